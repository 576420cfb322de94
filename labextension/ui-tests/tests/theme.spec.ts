import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { kernelIdle, openNotebook } from './notebooks';

const NOTEBOOK = 'spec-cells.ipynb';

test.use({ autoGoto: true });

/** What must stay readable: spec tokens, the panel's entries and badges, the results tables. */
const READABLE = [
  '.cm-spec-magic',
  '.cm-spec-heading',
  '.cm-spec-id',
  '.cm-spec-attribute',
  '.cm-spec-marker',
  '.jp-SpecPanel-title',
  '.jp-SpecPanel-id',
  '.jp-SpecPanel-count',
  '.jp-SpecPanel-untested',
  '.jp-SpecPanel-adherence',
  '.jp-SpecPanel-findings .jp-SpecPanel-title',
  '.jp-SpecRecord-table td',
  '.jp-SpecRecord-table th button',
  'button.jp-SpecRecord-toggle',
  '.jp-SpecRecord-barLabel'
];

/** The lowest WCAG contrast ratio of each selector's text against what is painted behind it. */
async function contrasts(page: IJupyterLabPageFixture): Promise<Record<string, number>> {
  return page.evaluate(selectors => {
    const rgb = (css: string): number[] => (css.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]): number => {
      const lin = (c: number): number => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const background = (node: Element | null): number[] => {
      for (; node; node = node.parentElement) {
        const c = rgb(getComputedStyle(node).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) {
          return c.slice(0, 3);
        }
      }
      return [255, 255, 255];
    };
    const out: Record<string, number> = {};
    for (const selector of selectors) {
      let lowest = Infinity;
      for (const node of Array.from(document.querySelectorAll(selector)).slice(0, 20)) {
        const a = luminance(rgb(getComputedStyle(node).color).slice(0, 3));
        const b = luminance(background(node));
        lowest = Math.min(lowest, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05));
      }
      out[selector] = Math.round(lowest * 100) / 100;
    }
    return out;
  }, READABLE);
}

test('spec tokens, the panel and the results read well in the light and the dark theme', async ({
  page,
  tmpPath
}, testInfo) => {
  await openNotebook(page, tmpPath, NOTEBOOK);
  await kernelIdle(page);
  await page.sidebar.openTab('jupyter-spec-panel');
  await expect(page.locator('.jp-SpecPanel-adherence').first()).toBeVisible();
  for (const theme of ['light', 'dark']) {
    await (theme === 'dark' ? page.theme.setDarkTheme() : page.theme.setLightTheme());
    // the first cell's tokens and the results are both in the DOM once scrolled past
    await page.notebook.selectCells(0);
    const found = await contrasts(page);
    const results = page.locator('.jp-SpecRecord[data-schema="jupyter-spec/results"]');
    await results.scrollIntoViewIfNeeded();
    Object.assign(found, Object.fromEntries(Object.entries(await contrasts(page)).filter(([, v]) => v !== Infinity)));
    await page.screenshot({ path: testInfo.outputPath(`${theme}-theme.png`) });
    for (const selector of READABLE) {
      expect.soft(found[selector], `${selector} in the ${theme} theme`).toBeGreaterThanOrEqual(3);
      expect.soft(found[selector], `${selector} was not on the page`).not.toBe(Infinity);
    }
  }
});
