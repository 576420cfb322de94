/**
 * Galata's Playwright configuration, with the browser Debian installs (downloads are impossible
 * here) and a JupyterLab server the tests start themselves.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

module.exports = {
  ...baseConfig,
  timeout: 120000,
  use: {
    ...baseConfig.use,
    video: 'off', // Playwright's ffmpeg is a download, and downloads are impossible here
    trace: 'off',
    viewport: { width: 1400, height: 900 }, // wide enough for the views' screenshots
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox']
    }
  },
  webServer: {
    command: 'jlpm start',
    url: 'http://localhost:8888/lab',
    timeout: 120000,
    reuseExistingServer: !process.env.CI
  }
};
