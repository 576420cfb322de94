import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';

const NOTEBOOK = 'saved-results.ipynb';

test.use({ autoGoto: true });

test('saved results render without a kernel, and hostile names stay text', async ({ page, tmpPath }, testInfo) => {
  await page.contents.uploadFile(path.resolve(__dirname, NOTEBOOK), `${tmpPath}/${NOTEBOOK}`);
  await page.notebook.openByPath(`${tmpPath}/${NOTEBOOK}`);
  // As a visitor without a kernel sees it: decline the kernel the notebook asks for.
  const dialog = page.locator('.jp-Dialog');
  await dialog.waitFor({ timeout: 30000 });
  await dialog.getByRole('button', { name: 'No Kernel' }).click();
  await expect(dialog).toHaveCount(0);
  const view = page.locator('.jp-SpecRecord').first();
  await expect(view).toBeVisible();
  await expect(view).toContainText('<img src=x onerror=');
  expect(await page.locator('.jp-SpecRecord img, .jp-SpecRecord script').count()).toBe(0);
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  await view.screenshot({ path: testInfo.outputPath('results-view.png') });
});
