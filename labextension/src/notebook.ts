/**
 * What the editor and the side panel read from an open notebook: its code cells' sources, and
 * the results records in their outputs.
 */

import { ICodeCellModel } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';

import { OutputsOfCell } from './panel/latest';
import { NotebookCell } from './spec/parse';
import { MIME_TYPE } from './types';

/** The code cells in order (a Markdown cell starting with %%spec is prose, not a spec). */
function* codeCellModels(panel: NotebookPanel): Generator<ICodeCellModel> {
  const cells = panel.content.model?.cells;
  for (let i = 0; cells && i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type === 'code') {
      yield cell as ICodeCellModel;
    }
  }
}

export function codeCells(panel: NotebookPanel): NotebookCell[] {
  return Array.from(codeCellModels(panel), cell => ({ id: cell.id, source: cell.sharedModel.getSource() }));
}

export function resultsOutputs(panel: NotebookPanel): OutputsOfCell[] {
  const out: OutputsOfCell[] = [];
  for (const cell of codeCellModels(panel)) {
    const records: unknown[] = [];
    for (let k = 0; k < cell.outputs.length; k++) {
      const data = cell.outputs.get(k).data[MIME_TYPE];
      if (data !== undefined) {
        records.push(data);
      }
    }
    if (records.length) {
      out.push({ executionCount: cell.executionCount, records });
    }
  }
  return out;
}
