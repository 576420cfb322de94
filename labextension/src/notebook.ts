/**
 * What the editor and the side panel read from an open notebook: its code cells' sources, and
 * the results records in their outputs.
 */

import { ICodeCellModel } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';

import { OutputsOfCell } from './panel/latest';
import { NotebookCell } from './spec/parse';
import { MIME_TYPE } from './types';

/** The code cells (a Markdown cell starting with %%spec is prose, not a spec). */
export function codeCells(panel: NotebookPanel): NotebookCell[] {
  const cells: NotebookCell[] = [];
  const model = panel.content.model;
  if (!model) {
    return cells;
  }
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type === 'code') {
      cells.push({ id: cell.id, source: cell.sharedModel.getSource() });
    }
  }
  return cells;
}

export function resultsOutputs(panel: NotebookPanel): OutputsOfCell[] {
  const out: OutputsOfCell[] = [];
  const model = panel.content.model;
  if (!model) {
    return out;
  }
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') {
      continue;
    }
    const code = cell as ICodeCellModel;
    const records: unknown[] = [];
    for (let k = 0; k < code.outputs.length; k++) {
      const data = code.outputs.get(k).data[MIME_TYPE];
      if (data !== undefined) {
        records.push(data);
      }
    }
    if (records.length) {
      out.push({ executionCount: code.executionCount, records });
    }
  }
  return out;
}
