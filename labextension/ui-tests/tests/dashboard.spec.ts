import { expect, test } from '@jupyterlab/galata';
import { kernelIdle, openNotebook } from './notebooks';

const NOTEBOOK = 'dashboard.ipynb';

test.use({ autoGoto: true, viewport: { width: 1400, height: 1600 } }); // tall enough to hold the whole dashboard

test('the live dashboard of a real run on the embedded model', async ({ page, tmpPath }, testInfo) => {
  test.setTimeout(300000);
  await openNotebook(page, tmpPath, NOTEBOOK);
  await kernelIdle(page);
  await page.notebook.run();
  const output = page.locator('.jp-NotebookPanel:visible .jp-Cell').nth(3).locator('.jp-OutputArea-output');
  // the dashboard appears at once, and says "done" when every answer is judged
  await expect(output.getByText('samples', { exact: true })).toBeVisible({ timeout: 60000 });
  await expect(output.locator('b', { hasText: 'done' })).toBeVisible({ timeout: 240000 });
  await expect(output.locator('img')).toBeVisible(); // the adherence chart
  await expect(output.getByRole('button', { name: 'Cancel' })).toBeDisabled();
  // the transcript browser lists every judged answer (violations first); open the first one
  const list = output.locator('.widget-select select');
  await expect(list.locator('option').first()).toBeAttached({ timeout: 60000 });
  await list.selectOption({ index: 0 });
  await expect(output.getByText('keep_answer').last()).toBeVisible();
  await output.screenshot({ path: testInfo.outputPath('dashboard.png') });
});
