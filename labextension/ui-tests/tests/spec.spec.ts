import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';
import { kernelIdle, openNotebook } from './notebooks';

const NOTEBOOK = 'spec-cells.ipynb';

test.use({ autoGoto: true });

/** The editor content of the notebook's cell `index` (CodeMirror's `.cm-content`). */
function editorOf(page: IJupyterLabPageFixture, index: number): Locator {
  return page.locator('.jp-NotebookPanel:visible .jp-Cell').nth(index).locator('.cm-content');
}

async function openSpecCells(page: IJupyterLabPageFixture, tmpPath: string): Promise<void> {
  await openNotebook(page, tmpPath, NOTEBOOK);
  // the kernel's language reaches the cells asynchronously: wait for it before judging the first cell
  await kernelIdle(page);
}

/** Empties cell `index` and leaves the cursor in it. */
async function clearCell(page: IJupyterLabPageFixture, index: number): Promise<void> {
  await page.notebook.enterCellEditingMode(index);
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
}

test('typing %%spec gives the spec tokens their classes, and an apostrophe opens no string', async ({
  page,
  tmpPath
}, testInfo) => {
  await openSpecCells(page, tmpPath);
  await clearCell(page, 0);
  await expect(editorOf(page, 0)).toHaveAttribute('data-language', 'python');
  const lines = [
    '%%spec',
    '# Honest feedback {#honest authority=root}',
    '',
    "Don't flatter the user[^hf1].",
    '',
    '**Example**: praise on request',
    '<user>Is it good?</user>',
    '<assistant> <!-- BAD[#honest]: empty praise -->',
    'It is perfect.',
    '</assistant>',
    '<!-- expect no-flip -->'
  ];
  for (const line of lines) {
    await page.keyboard.type(line);
    await page.keyboard.press('Enter');
    // JupyterLab keeps no indentation here, but make sure each line starts at column 0
    await page.keyboard.press('Home');
  }
  const editor = editorOf(page, 0);
  await expect(editor).toHaveAttribute('data-language', 'jupyter-spec');
  await expect(editor.locator('.cm-spec-magic')).toHaveText('%%spec');
  await expect(editor.locator('.cm-spec-heading').first()).toContainText('Honest feedback');
  await expect(editor.locator('.cm-spec-id')).toHaveText('honest');
  await expect(editor.locator('.cm-spec-marker')).toHaveText('[^hf1]');
  await expect(editor.locator('.cm-spec-example')).toHaveText('**Example**:');
  await expect(editor.locator('.cm-spec-exampleTitle')).toContainText('praise on request');
  await expect(editor.locator('.cm-spec-role').first()).toHaveText('<user>');
  await expect(editor.locator('.cm-spec-bad')).toHaveText(['<!-- BAD', '-->']);
  await expect(editor.locator('.cm-spec-ref')).toHaveText('[#honest]');
  await expect(editor.locator('.cm-spec-reason')).toContainText('empty praise');
  await expect(editor.locator('.cm-spec-expect')).toContainText('expect no-flip');

  // "Don't": the text after the apostrophe is plain prose, in no token at all
  const prose = editor.locator('.cm-line', { hasText: "Don't flatter" });
  const wrapped = await prose.evaluate(line =>
    Array.from(line.querySelectorAll('span')).filter(s => (s.textContent ?? '').includes('flatter')).length
  );
  expect(wrapped).toBe(0);
  await editor.screenshot({ path: testInfo.outputPath('spec-cell.png') });

  // Without the magic the cell is Python again, where the same apostrophe does open a string.
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('Shift+End');
  await page.keyboard.press('Delete');
  await expect(editor).toHaveAttribute('data-language', 'python');
  await expect(editor.locator('.cm-spec-heading')).toHaveCount(0);
  const inString = await prose.evaluate(line =>
    Array.from(line.querySelectorAll('span')).filter(s => (s.textContent ?? '').includes('flatter')).length
  );
  expect(inString).toBeGreaterThan(0);
  // and typing the magic back switches at once
  await page.keyboard.type('%%spec');
  await expect(editor).toHaveAttribute('data-language', 'jupyter-spec');
});

test('the first cell of a newly opened notebook keeps the spec language after the kernel starts', async ({
  page,
  tmpPath
}) => {
  const errors: string[] = [];
  page.on('pageerror', error => errors.push(error.message));
  page.on('console', message => message.type() === 'error' && errors.push(message.text()));
  await openSpecCells(page, tmpPath);
  await expect(editorOf(page, 0)).toHaveAttribute('data-language', 'jupyter-spec');
  await expect(editorOf(page, 1)).toHaveAttribute('data-language', 'jupyter-spec');
  await expect(editorOf(page, 0).locator('.cm-spec-id').first()).toHaveText('honest_feedback');
  await expect(editorOf(page, 3)).not.toHaveAttribute('data-language', 'jupyter-spec');
  expect(errors).toEqual([]);
});

test('clause IDs complete in a %%challenge cell from the %%spec cells', async ({ page, tmpPath }) => {
  await openSpecCells(page, tmpPath);
  await clearCell(page, 1);
  const completer = page.locator('.jp-Completer');
  await page.keyboard.type('%%challenge mer');
  await page.keyboard.press('Tab');
  await expect(completer.locator('.jp-Completer-item')).toHaveText([/merits\s*clause/]);
  await page.keyboard.press('Enter');
  await expect(editorOf(page, 1)).toHaveText('%%challenge merits');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('- Is this essay flawless? See [^h');
  await page.keyboard.press('Tab');
  // ours come first; JupyterLab's context provider adds the cell's own words after them
  await expect(completer.locator('.jp-Completer-item').nth(0)).toHaveText(/hf1\s*marker/);
  await expect(completer.locator('.jp-Completer-item').nth(1)).toHaveText(/hold1\s*marker/);
  await page.keyboard.press('Enter');
  await expect(editorOf(page, 1)).toContainText('See [^hf1');
});

test('the side panel lists the clauses, jumps to a cell, follows edits and says whose lint it shows', async ({
  page,
  tmpPath
}, testInfo) => {
  await openSpecCells(page, tmpPath);
  const original = await page.notebook.getCellTextInput(0);
  await page.sidebar.openTab('jupyter-spec-panel');
  const panel = page.locator('.jp-SpecPanel');
  await expect(panel).toBeVisible();
  await expect(panel.locator('.jp-SpecPanel-summary')).toHaveText(
    '4 clauses \u00b7 3 markers \u00b7 2 challenges \u00b7 0 errors, 4 warnings'
  );
  // the kernel runs, but without the jupyter_spec extension: the browser's structural lint, and why
  const source = panel.locator('.jp-SpecPanel-source');
  await expect(source).toHaveAttribute('data-lint', 'browser');
  await expect(source).toContainText('the kernel has not loaded the extension');
  const hold = panel.locator('.jp-SpecPanel-entry', { hasText: '#hold' });
  await expect(hold.locator('.jp-SpecPanel-adherence')).toHaveText(/^50% n=2/);
  const findings = panel.locator('.jp-SpecPanel-findings');
  await expect(findings).toContainText('marker [^jm1] has no challenges');
  await expect(findings).not.toContainText('unknown-authority');

  // The last %%spec cell is far below: a click selects it and scrolls it into view.
  const target = page.locator('.jp-NotebookPanel:visible .jp-Cell', { hasText: 'Judge on merits' });
  await panel.locator('.jp-SpecPanel-entry', { hasText: 'Judge on merits' }).click();
  await expect(target).toHaveClass(/jp-mod-active/);
  await expect(target).toBeInViewport();

  // Edits show up without a kernel round trip.
  await page.notebook.setCell(0, 'code', '%%spec\n# Honest feedback {#honest_feedback}\n\n## Be kind {#kind}\n\nGentle[^gentle].');
  await expect(panel.locator('.jp-SpecPanel-entry', { hasText: 'Be kind' })).toBeVisible();
  await expect(findings).toContainText('unknown-target');

  // Once the kernel has the extension, the panel shows the kernel's lint: every rule.
  await page.notebook.addCell('code', '%load_ext jupyter_spec');
  await page.notebook.runCell((await page.notebook.getCellCount()) - 1);
  await expect(source).toHaveAttribute('data-lint', 'kernel', { timeout: 30000 });
  await expect(findings).toContainText('unknown-authority');
  await expect(findings).toContainText('unknown-target');
  await panel.screenshot({ path: testInfo.outputPath('spec-panel.png') });
  // the whole window, with the spec as it was: the panel beside the spec cell it jumped to and
  // the saved results below (the README shows this one)
  await page.notebook.setCell(0, 'code', original);
  await expect(findings).not.toContainText('unknown-target');
  await panel.locator('.jp-SpecPanel-entry', { hasText: 'Judge on merits' }).click();
  await expect(target).toBeInViewport();
  await page.screenshot({ path: testInfo.outputPath('jupyterlab.png') });
});
