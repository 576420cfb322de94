/**
 * The latest adherence in a notebook's outputs: the results record of the most recently executed
 * cell that has one (a saved notebook keeps its records, so this works without a kernel).
 */

import { Row } from '../types';
import { RESULTS_SCHEMA } from '../types';

export interface OutputsOfCell {
  /** The cell's execution count; null when it never ran in this session's saved history. */
  executionCount: number | null;
  /** The data of each results output (the MIME type's value), in output order. */
  records: unknown[];
}

export interface ClauseAdherence {
  clause: string;
  model: string;
  grader: string;
  adherence: number | null;
  low: number | null;
  high: number | null;
  n: number;
}

function isResults(value: unknown): value is { adherence?: unknown } {
  return typeof value === 'object' && value !== null && (value as { schema?: unknown }).schema === RESULTS_SCHEMA;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Clause ID -> its rows (one per model and judge) in the latest results record. */
export function latestAdherence(cells: OutputsOfCell[]): Map<string, ClauseAdherence[]> {
  let best: { record: { adherence?: unknown }; rank: number } | null = null;
  cells.forEach((cell, index) => {
    for (const record of cell.records) {
      // a higher execution count is later; among cells never run, the lower one in the notebook
      const rank = (cell.executionCount ?? -1) * 1e6 + index;
      if (isResults(record) && (best === null || rank >= best.rank)) {
        best = { record, rank };
      }
    }
  });
  const out = new Map<string, ClauseAdherence[]>();
  const rows: unknown = best === null ? [] : (best as { record: { adherence?: unknown } }).record.adherence;
  if (!Array.isArray(rows)) {
    return out;
  }
  for (const row of rows as Row[]) {
    if (typeof row !== 'object' || row === null || typeof row.clause !== 'string') {
      continue;
    }
    const entry: ClauseAdherence = {
      clause: row.clause,
      model: String(row.model ?? ''),
      grader: String(row.grader ?? ''),
      adherence: num(row.adherence),
      low: num(row.ci_low),
      high: num(row.ci_high),
      n: num(row.n) ?? 0
    };
    out.set(row.clause, [...(out.get(row.clause) ?? []), entry]);
  }
  return out;
}
