import { expect, test } from '@jupyterlab/galata';
import { openNotebook } from './notebooks';

const NOTEBOOK = 'saved-results.ipynb';

test.use({ autoGoto: true });

test('saved records render without a kernel, each in its view, and hostile text stays text', async ({
  page,
  tmpPath
}, testInfo) => {
  await openNotebook(page, tmpPath, NOTEBOOK);
  // As a visitor without a kernel sees it: decline the kernel the notebook asks for.
  const dialog = page.locator('.jp-Dialog');
  await dialog.waitFor({ timeout: 30000 });
  await dialog.getByRole('button', { name: 'No Kernel' }).click();
  await expect(dialog).toHaveCount(0);

  const results = page.locator('.jp-SpecRecord[data-schema="jupyter-spec/results"]');
  await expect(results).toBeVisible();
  await expect(results).toContainText('<img src=x onerror=');
  await results.screenshot({ path: testInfo.outputPath('results-view.png') });

  // A clause's violations open below its row, with what the model said and why the judge objected.
  const toggle = results.getByRole('button', { name: '6 violations' });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  const details = results.locator('.jp-SpecRecord-details');
  await expect(details.locator('.jp-SpecRecord-sample')).toHaveCount(6);
  await expect(details).toContainText("judge's reasoning");
  await expect(details).toContainText('My answer: <img src=x onerror=');
  await results.screenshot({ path: testInfo.outputPath('results-violations.png') });

  const comparison = page.locator('.jp-SpecRecord[data-schema="jupyter-spec/comparison"]');
  await comparison.scrollIntoViewIfNeeded();
  await expect(comparison).toContainText('Differences per clause');
  await comparison.screenshot({ path: testInfo.outputPath('comparison-view.png') });

  const calibration = page.locator('.jp-SpecRecord[data-schema="jupyter-spec/calibration"]');
  await calibration.scrollIntoViewIfNeeded();
  await expect(calibration).toContainText('Labels against verdicts');
  await calibration.getByRole('button', { name: 'show' }).first().click();
  await expect(calibration.locator('.jp-SpecRecord-details')).toContainText("judge's reasoning");
  await calibration.screenshot({ path: testInfo.outputPath('calibration-view.png') });

  expect(await page.locator('.jp-SpecRecord img, .jp-SpecRecord script').count()).toBe(0);
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
});
