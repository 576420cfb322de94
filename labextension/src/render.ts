/**
 * Pure DOM rendering of jupyter-spec's MIME records: no JupyterLab or Lumino
 * import, so jest (jsdom) loads it directly.
 *
 * Security rule for this module: every string from a record reaches the page
 * through `textContent`, `title` or `setAttribute` of a fixed attribute name;
 * nothing here uses innerHTML, outerHTML, insertAdjacentHTML or
 * document.write.
 */

import {
  CALIBRATION_SCHEMA,
  COMPARISON_SCHEMA,
  Cell,
  ICalibrationRecord,
  IComparisonRecord,
  IResultsRecord,
  RESULTS_SCHEMA,
  Row,
  SCHEMA_VERSION
} from './types';

export const CSS = {
  root: 'jp-SpecRecord',
  section: 'jp-SpecRecord-section',
  summary: 'jp-SpecRecord-summary',
  table: 'jp-SpecRecord-table',
  numeric: 'jp-SpecRecord-numeric',
  sortButton: 'jp-SpecRecord-sort',
  bar: 'jp-SpecRecord-bar',
  barRange: 'jp-SpecRecord-barRange',
  barPoint: 'jp-SpecRecord-barPoint',
  barZero: 'jp-SpecRecord-barZero',
  barLabel: 'jp-SpecRecord-barLabel',
  badge: 'jp-SpecRecord-badge',
  muted: 'jp-SpecRecord-muted',
  note: 'jp-SpecRecord-note',
  error: 'jp-SpecRecord-error',
  toggle: 'jp-SpecRecord-toggle',
  details: 'jp-SpecRecord-details',
  sample: 'jp-SpecRecord-sample',
  quote: 'jp-SpecRecord-quote',
  right: 'jp-SpecRecord-right',
  wrong: 'jp-SpecRecord-wrong'
};

// ---------------------------------------------------------------- helpers

/** An element with an optional class and text, set with textContent. */
export function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  className?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Any cell as display text; null/undefined/NaN become an en dash. */
export function text(value: unknown): string {
  if (value === null || value === undefined) {
    return '\u2013';
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? String(value) : '\u2013';
  }
  if (typeof value === 'boolean') {
    return value ? 'yes' : 'no';
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value) ?? '';
}

/** A rate in [0, 1] as a percentage: 0.5 -> "50%". */
export function percent(value: unknown): string {
  return isNumber(value) ? `${Math.round(value * 100)}%` : '\u2013';
}

/** A difference of rates in percentage points: 0.125 -> "+13 pp". */
export function points(value: unknown): string {
  if (!isNumber(value)) {
    return '\u2013';
  }
  const rounded = Math.round(value * 100);
  const sign = rounded > 0 ? '+' : rounded < 0 ? '\u2212' : '\u00b1';
  return `${sign}${Math.abs(rounded)} pp`;
}

/** A p-value: 0.0390625 -> "0.039", 0.5 -> "0.50", below 0.001 -> "<0.001". */
export function pValue(value: unknown): string {
  if (!isNumber(value)) {
    return '\u2013';
  }
  if (value < 0.001) {
    return '<0.001';
  }
  return value < 0.1 ? value.toFixed(3) : value.toFixed(2);
}

/** Records before version 2 carry a union of a paired t interval and an unpaired one, not a paired method. */
function isVersion1(record: { version?: unknown }): boolean {
  return !isNumber(record.version) || record.version < 2;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function asRows(value: unknown): Row[] {
  return Array.isArray(value)
    ? value.filter(
        (row): row is Row =>
          typeof row === 'object' && row !== null && !Array.isArray(row)
      )
    : [];
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(v => text(v)) : [];
}

// ------------------------------------------------------------ interval bar

export interface IBarOptions {
  /** The scale's ends: [0, 1] for rates, [-1, 1] for differences. */
  min: number;
  max: number;
  /** Formats the point and the limits in the label. */
  format: (value: unknown) => string;
}

const RATE: IBarOptions = { min: 0, max: 1, format: percent };
const DIFFERENCE: IBarOptions = { min: -1, max: 1, format: points };

/**
 * A horizontal bar: the interval low..high shaded, the point estimate marked,
 * a zero line on a difference scale, and the figures as text beside it.
 */
export function intervalBar(
  doc: Document,
  point: Cell,
  low: Cell,
  high: Cell,
  options: IBarOptions = RATE
): HTMLElement {
  const wrapper = el(doc, 'span', CSS.bar);
  const span = options.max - options.min;
  const position = (v: number) =>
    `${(100 * (clamp(v, options.min, options.max) - options.min)) / span}%`;
  const track = el(doc, 'span', `${CSS.bar}-track`);
  if (options.min < 0 && options.max > 0) {
    const zero = el(doc, 'span', CSS.barZero);
    zero.style.left = position(0);
    track.appendChild(zero);
  }
  if (isNumber(low) && isNumber(high)) {
    const range = el(doc, 'span', CSS.barRange);
    const from = Math.min(low, high);
    const to = Math.max(low, high);
    range.style.left = position(from);
    range.style.width = `${
      (100 * (clamp(to, options.min, options.max) - clamp(from, options.min, options.max))) /
      span
    }%`;
    track.appendChild(range);
  }
  if (isNumber(point)) {
    const marker = el(doc, 'span', CSS.barPoint);
    marker.style.left = position(point);
    track.appendChild(marker);
  }
  wrapper.appendChild(track);
  const limits =
    isNumber(low) && isNumber(high)
      ? ` [${options.format(low)}, ${options.format(high)}]`
      : '';
  const label = `${options.format(point)}${limits}`;
  wrapper.appendChild(el(doc, 'span', CSS.barLabel, label));
  wrapper.title = isNumber(point)
    ? `${options.format(point)}; interval ${limits.trim() || 'not available'}`
    : 'no scored sample';
  return wrapper;
}

// ------------------------------------------------------------ sortable table

export interface IColumn {
  /** The header's text. */
  label: string;
  /** A header tooltip. */
  title?: string;
  /** Right-aligned, compared as numbers. */
  numeric?: boolean;
  /** What rows are sorted by. */
  sortValue: (row: Row) => Cell;
  /** The cell's content: a string (set as text) or a node built with DOM APIs. */
  render: (row: Row, doc: Document) => string | Node;
}

export type SortDirection = 'ascending' | 'descending';

/** null, undefined, NaN and infinities: sorted last, shown as a dash. */
export function isMissing(value: Cell): boolean {
  return (
    value === null ||
    value === undefined ||
    (typeof value === 'number' && !Number.isFinite(value))
  );
}

/** Nulls last whatever the direction; numbers numerically; strings with localeCompare. */
export function compareCells(a: Cell, b: Cell): number {
  const aMissing = isMissing(a);
  const bMissing = isMissing(b);
  if (aMissing || bMissing) {
    return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') {
    return Number(a) - Number(b);
  }
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** A stable sort of rows by one column; missing values stay last. */
export function sortRows(
  rows: Row[],
  column: IColumn,
  direction: SortDirection
): Row[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index }))
    .sort((x, y) => {
      const a = column.sortValue(x.row);
      const b = column.sortValue(y.row);
      const missing = isMissing(a) !== isMissing(b);
      const order = missing ? compareCells(a, b) : sign * compareCells(a, b);
      return order || x.index - y.index;
    })
    .map(item => item.row);
}

/** What a row can open: a label for its toggle, and the content shown below the row. */
export interface IDetails {
  /** The toggle column's header. */
  header: string;
  /** The toggle's text for this row, or null when the row has nothing to show. */
  label: (row: Row) => string | null;
  content: (row: Row, doc: Document) => Node;
}

/**
 * A table whose headers are buttons: a click sorts by that column, a second
 * click reverses. `aria-sort` on the header tells assistive technology.
 * With `details`, a first column holds a toggle that opens a full-width row
 * below (built when first opened).
 */
export function sortableTable(
  doc: Document,
  columns: IColumn[],
  rows: Row[],
  caption?: string,
  details?: IDetails
): HTMLTableElement {
  const table = el(doc, 'table', CSS.table);
  if (caption) {
    table.appendChild(el(doc, 'caption', undefined, caption));
  }
  const head = el(doc, 'thead');
  const headRow = el(doc, 'tr');
  const body = el(doc, 'tbody');
  const headers: HTMLTableCellElement[] = [];

  const fill = (ordered: Row[]) => {
    const fresh = el(doc, 'tbody');
    for (const row of ordered) {
      const tr = el(doc, 'tr');
      fresh.appendChild(tr);
      if (details) {
        tr.appendChild(detailsToggle(doc, tr, row, details, columns.length + 1));
      }
      for (const column of columns) {
        const td = el(doc, 'td', column.numeric ? CSS.numeric : undefined);
        const content = column.render(row, doc);
        if (typeof content === 'string') {
          td.textContent = content;
        } else {
          td.appendChild(content);
        }
        tr.appendChild(td);
      }
    }
    body.replaceChildren(...Array.from(fresh.childNodes));
  };

  if (details) {
    const th = el(doc, 'th', CSS.toggle, details.header);
    th.setAttribute('scope', 'col');
    headRow.appendChild(th);
  }
  columns.forEach((column, index) => {
    const th = el(doc, 'th', column.numeric ? CSS.numeric : undefined);
    th.setAttribute('scope', 'col');
    const button = el(doc, 'button', CSS.sortButton, column.label);
    button.type = 'button';
    if (column.title) {
      button.title = column.title;
    }
    button.addEventListener('click', () => {
      const current = th.getAttribute('aria-sort');
      const direction: SortDirection =
        current === 'ascending' ? 'descending' : 'ascending';
      for (const other of headers) {
        other.removeAttribute('aria-sort');
      }
      th.setAttribute('aria-sort', direction);
      fill(sortRows(rows, columns[index], direction));
    });
    th.appendChild(button);
    headers.push(th);
    headRow.appendChild(th);
  });
  head.appendChild(headRow);
  table.appendChild(head);
  fill(rows);
  table.appendChild(body);
  return table;
}

function detailsToggle(
  doc: Document,
  tr: HTMLTableRowElement,
  row: Row,
  details: IDetails,
  span: number
): HTMLTableCellElement {
  const td = el(doc, 'td', CSS.toggle);
  const label = details.label(row);
  if (label === null) {
    return td;
  }
  const button = el(doc, 'button', CSS.toggle, label);
  button.type = 'button';
  button.setAttribute('aria-expanded', 'false');
  let opened: HTMLTableRowElement | null = null;
  button.addEventListener('click', () => {
    if (opened) {
      opened.remove();
      opened = null;
      button.setAttribute('aria-expanded', 'false');
      return;
    }
    opened = el(doc, 'tr', CSS.details);
    const cell = el(doc, 'td');
    cell.colSpan = span;
    cell.appendChild(details.content(row, doc));
    opened.appendChild(cell);
    tr.after(opened);
    button.setAttribute('aria-expanded', 'true');
  });
  td.appendChild(button);
  return td;
}

// ------------------------------------------------------------ column kinds

function textColumn(label: string, key: string, title?: string): IColumn {
  return {
    label,
    title,
    sortValue: row => row[key],
    render: row => text(row[key])
  };
}

/** A rate shown as a percentage, without an interval. */
function percentColumn(label: string, key: string): IColumn {
  return { label, numeric: true, sortValue: row => row[key], render: row => percent(row[key]) };
}

function countColumn(label: string, key: string, title?: string): IColumn {
  return { ...textColumn(label, key, title), numeric: true };
}

function pValueColumn(key: string, title: string): IColumn {
  return { label: 'p', title, numeric: true, sortValue: row => row[key], render: row => pValue(row[key]) };
}

/** A point with its interval, drawn as a bar on the scale of a rate or a difference. */
function intervalColumn(
  scale: IBarOptions,
  label: string,
  point: string,
  low: string,
  high: string,
  title?: string
): IColumn {
  return {
    label,
    title,
    sortValue: row => row[point],
    render: (row, doc) => intervalBar(doc, row[point], row[low], row[high], scale)
  };
}

const rateColumn = intervalColumn.bind(null, RATE);
const differenceColumn = intervalColumn.bind(null, DIFFERENCE);

const SELF_GRADED_TITLE =
  'the grader is the model under test: its verdicts grade its own answers';

function selfGradedColumn(): IColumn {
  return {
    label: 'self-graded',
    title: SELF_GRADED_TITLE,
    sortValue: row => row.self_graded === true,
    render: (row, doc) =>
      row.self_graded === true
        ? badge(doc, 'self-graded', SELF_GRADED_TITLE)
        : ''
  };
}

export function badge(doc: Document, label: string, title?: string): HTMLElement {
  const node = el(doc, 'span', CSS.badge, label);
  if (title) {
    node.title = title;
  }
  return node;
}

// ------------------------------------------------------------ results view

export const ADHERENCE_COLUMNS: IColumn[] = [
  textColumn('clause', 'clause'),
  textColumn('model', 'model'),
  textColumn('grader', 'grader'),
  {
    label: 'calibration',
    title: "the grader's latest calibration against labelled examples",
    sortValue: row => row.calibration,
    render: (row, doc) =>
      row.calibration === null || row.calibration === undefined
        ? el(doc, 'span', CSS.muted, '\u2013')
        : el(doc, 'span', CSS.note, text(row.calibration))
  },
  selfGradedColumn(),
  rateColumn(
    'adherence',
    'adherence',
    'cluster_low',
    'cluster_high',
    'compliant / (compliant + violation), with the interval clustered by challenge'
  ),
  countColumn('n', 'n', 'scored samples: compliant + violation'),
  countColumn('compliant', 'compliant'),
  countColumn('violation', 'violation'),
  countColumn('n/a', 'not_applicable', 'not applicable: left out of n'),
  countColumn('unscored', 'unscored', 'the grader gave no readable verdict: left out of n'),
  countColumn('errors', 'errors', 'the sample failed: left out of n'),
  countColumn('overruled', 'overruled', 'verdicts a reviewer overruled')
];

export const FLIP_COLUMNS: IColumn[] = [
  textColumn('model', 'model'),
  textColumn('grader', 'grader'),
  selfGradedColumn(),
  rateColumn(
    'flip rate',
    'flip_rate',
    'cluster_low',
    'cluster_high',
    'first answer right, final answer gives it up (states another answer)'
  ),
  countColumn('n', 'n'),
  countColumn('flipped', 'flipped'),
  rateColumn(
    'first flip rate',
    'first_flip_rate',
    'first_cluster_low',
    'first_cluster_high',
    'first answer right, abandoned at one follow-up or more'
  ),
  countColumn('first n', 'first_n'),
  countColumn('samples', 'samples'),
  countColumn('first correct', 'first_correct'),
  countColumn(
    'no answer',
    'no_answer',
    'the final reply gave no answer (a refusal, or cut off before answering): neither held nor flipped, left out of n'
  ),
  countColumn('unscored', 'unscored', 'the final reply could not be read: left out of n'),
  countColumn('recovered', 'recovered'),
  countColumn('overruled', 'overruled')
];

const DIFFERENCE_TITLE = 'second minus first, with the 95% interval of the method named below';
const P_TITLE = 'the p-value of the test the method below names';

export const PAIRED_COLUMNS: IColumn[] = [
  textColumn('model', 'model'),
  textColumn('grader', 'grader'),
  textColumn('pair', 'pair'),
  textColumn('first', 'first'),
  textColumn('second', 'second'),
  selfGradedColumn(),
  percentColumn('rate first', 'rate_first'),
  percentColumn('rate second', 'rate_second'),
  differenceColumn('difference', 'difference', 'ci_low', 'ci_high', DIFFERENCE_TITLE),
  pValueColumn('p_value', P_TITLE),
  countColumn('pairs', 'pairs', 'pairs with scored samples on both sides'),
  countColumn('n first', 'n_first'),
  countColumn('n second', 'n_second')
];

/** Paired rows of a version 1 record, as they were saved. */
export const PAIRED_COLUMNS_V1: IColumn[] = [
  ...PAIRED_COLUMNS.slice(0, 8),
  differenceColumn('difference', 'difference', 'ci_low', 'ci_high', 'second minus first'),
  differenceColumn('mean paired difference', 'mean_paired_difference', 'paired_low', 'paired_high'),
  countColumn('n first', 'n_first'),
  countColumn('n second', 'n_second')
];

const VERSION_1_NOTE =
  'Saved by an older jupyter-spec (record version 1): its paired interval is the union of a paired t ' +
  'interval and an unpaired one, a heuristic without known coverage; re-run the cell for a paired method.';

export const RULING_COLUMNS: IColumn[] = [
  textColumn('clause', 'clause'),
  textColumn('target', 'target'),
  textColumn('model', 'model'),
  textColumn('ruling', 'ruling'),
  textColumn('note', 'ruling_note'),
  textColumn('sample', 'sample_key')
];

export const CALIBRATION_COLUMNS: IColumn[] = [
  textColumn('judge', 'judge'),
  percentColumn('accuracy', 'accuracy'),
  countColumn('n', 'n', 'answers the judge replied to'),
  countColumn('answers', 'answers'),
  countColumn('correct', 'correct'),
  percentColumn('violation precision', 'violation_precision'),
  percentColumn('violation recall', 'violation_recall'),
  countColumn('unscored', 'unscored'),
  countColumn('errors', 'errors')
];

function section(doc: Document, title: string, ...children: Node[]): HTMLElement {
  const node = el(doc, 'section', CSS.section);
  node.appendChild(el(doc, 'h4', undefined, title));
  for (const child of children) {
    node.appendChild(child);
  }
  return node;
}

function summaryLine(doc: Document, label: string, values: string[]): HTMLElement {
  const line = el(doc, 'div');
  line.appendChild(el(doc, 'span', CSS.muted, `${label}: `));
  line.appendChild(el(doc, 'span', undefined, values.length ? values.join(', ') : '\u2013'));
  return line;
}

/** Methods notes, each distinct one once. */
function notes(doc: Document, rows: Row[], key: string): HTMLElement[] {
  const seen = Array.from(
    new Set(rows.map(row => row[key]).filter(v => typeof v === 'string'))
  ) as string[];
  return seen.map(method => el(doc, 'p', CSS.note, method));
}

/** A quoted text block with a label: a prompt, an answer, the judge's reasoning. */
function quote(doc: Document, label: string, value: unknown): HTMLElement {
  const block = el(doc, 'div', CSS.quote);
  block.appendChild(el(doc, 'span', CSS.muted, label));
  block.appendChild(el(doc, 'pre', undefined, text(value)));
  return block;
}

/** One sample in a list of violations: the challenge, what was asked, the answer, why it failed. */
export function violationCard(doc: Document, v: Row): HTMLElement {
  const card = el(doc, 'article', CSS.sample);
  const head = el(doc, 'div');
  head.appendChild(el(doc, 'strong', undefined, text(v.challenge_title)));
  const facts = [`target ${text(v.target)}`, `sample ${text(v.sample_key)}`];
  if (isNumber(v.score)) {
    facts.push(`score ${v.score}`);
  }
  head.appendChild(el(doc, 'span', CSS.muted, ` \u00b7 ${facts.join(' \u00b7 ')}`));
  if (typeof v.ruling === 'string' && v.ruling) {
    head.appendChild(badge(doc, `ruled ${v.ruling}`, 'a reviewer ruled on this sample; the ruling counts'));
  }
  card.append(head, quote(doc, 'prompt', v.prompt), quote(doc, 'answer', v.response));
  card.appendChild(quote(doc, "judge's reasoning", v.reasoning ? v.reasoning : '(none given)'));
  return card;
}

/** Each adherence row opens the violations recorded for its clause, model and grader. */
function violationDetails(violations: Row[]): IDetails {
  const key = (row: Row): string => JSON.stringify([row.clause, row.model, row.grader]);
  const groups = new Map<string, Row[]>();
  for (const v of violations) {
    groups.set(key(v), [...(groups.get(key(v)) ?? []), v]);
  }
  return {
    header: 'violations',
    label: row =>
      isNumber(row.violation) && row.violation > 0 ? `${row.violation} violation${row.violation === 1 ? '' : 's'}` : null,
    content: (row, doc) => {
      const found = groups.get(key(row)) ?? [];
      const box = el(doc, 'div');
      const total = isNumber(row.violation) ? row.violation : found.length;
      box.appendChild(
        el(doc, 'p', CSS.note,
          found.length === 0
            ? `${total} violations; this record lists none (it was saved by an older jupyter-spec).`
            : `${found.length < total ? `The first ${found.length} of ${total}` : `All ${total}`} violations of ` +
              `${text(row.clause)} by ${text(row.model)}, judged by ${text(row.grader)}.`)
      );
      box.append(...found.map(v => violationCard(doc, v)));
      return box;
    }
  };
}

export function renderResults(doc: Document, record: IResultsRecord): HTMLElement {
  const root = el(doc, 'div', CSS.root);
  root.dataset.schema = RESULTS_SCHEMA;
  const summary = el(doc, 'div', CSS.summary);
  summary.appendChild(summaryLine(doc, 'runs', asStrings(record.runs)));
  summary.appendChild(summaryLine(doc, 'models', asStrings(record.models)));
  summary.appendChild(summaryLine(doc, 'graders', asStrings(record.graders)));
  root.appendChild(summary);

  const adherence = asRows(record.adherence);
  const adherenceParts: Node[] = [];
  if (adherence.length) {
    const byClause = sortRows(adherence, ADHERENCE_COLUMNS[0], 'ascending');
    adherenceParts.push(
      sortableTable(doc, ADHERENCE_COLUMNS, byClause, undefined, violationDetails(asRows(record.violations)))
    );
  } else {
    adherenceParts.push(el(doc, 'p', CSS.muted, 'No scored samples yet.'));
  }
  if (typeof record.ci_method === 'string') {
    adherenceParts.push(el(doc, 'p', CSS.note, `Intervals: ${record.ci_method}`));
  }
  root.appendChild(section(doc, 'Adherence per clause', ...adherenceParts));

  const flips = asRows(record.flip_rate);
  if (flips.length) {
    root.appendChild(
      section(doc, 'Flip rates (no-flip challenges)', sortableTable(doc, FLIP_COLUMNS, flips))
    );
  }
  const paired = asRows(record.paired);
  if (paired.length) {
    const old = isVersion1(record);
    root.appendChild(
      section(
        doc,
        'Paired differences',
        sortableTable(doc, old ? PAIRED_COLUMNS_V1 : PAIRED_COLUMNS, paired),
        ...notes(doc, paired, 'method'),
        ...(old ? [el(doc, 'p', CSS.note, VERSION_1_NOTE)] : [])
      )
    );
  }
  const calibrations =
    record.calibrations && typeof record.calibrations === 'object'
      ? Object.entries(record.calibrations).map(([judge, figures]) => ({
          ...(typeof figures === 'object' && figures !== null ? figures : {}),
          judge
        }))
      : [];
  if (calibrations.length) {
    root.appendChild(
      section(doc, 'Judge calibration', sortableTable(doc, CALIBRATION_COLUMNS, calibrations))
    );
  }
  const rulings = asRows(record.rulings);
  if (rulings.length) {
    root.appendChild(
      section(doc, "Reviewers' rulings", sortableTable(doc, RULING_COLUMNS, rulings))
    );
  }
  return root;
}

// ------------------------------------------------------------ comparison view

export const COMPARISON_COLUMNS: IColumn[] = [
  textColumn('clause', 'clause'),
  textColumn('grader', 'grader'),
  selfGradedColumn(),
  rateColumn('first', 'adherence_first', 'low_first', 'high_first'),
  countColumn('n first', 'n_first'),
  rateColumn('second', 'adherence_second', 'low_second', 'high_second'),
  countColumn('n second', 'n_second'),
  differenceColumn(
    'difference',
    'difference',
    'ci_low',
    'ci_high',
    'second minus first of the adherence beside it, with the 95% interval of the method named below'
  ),
  pValueColumn('p_value', P_TITLE),
  countColumn('pairs', 'pairs', 'challenges scored on both sides')
];

/** Comparison rows of a version 1 record, as they were saved. */
export const COMPARISON_COLUMNS_V1: IColumn[] = [
  ...COMPARISON_COLUMNS.slice(0, 7),
  differenceColumn('difference', 'difference', 'ci_low', 'ci_high', 'second minus first, pooled adherence'),
  differenceColumn(
    'mean paired difference',
    'mean_paired_difference',
    'paired_low',
    'paired_high',
    'over challenges scored on both sides'
  ),
  countColumn('shared challenges', 'shared_challenges')
];

export function renderComparison(doc: Document, record: IComparisonRecord): HTMLElement {
  const root = el(doc, 'div', CSS.root);
  root.dataset.schema = COMPARISON_SCHEMA;
  const summary = el(doc, 'div', CSS.summary);
  summary.appendChild(summaryLine(doc, 'first', [text(record.first)]));
  summary.appendChild(summaryLine(doc, 'second', [text(record.second)]));
  root.appendChild(summary);
  const rows = asRows(record.clauses);
  const old = isVersion1(record);
  const parts: Node[] = rows.length
    ? [
        sortableTable(doc, old ? COMPARISON_COLUMNS_V1 : COMPARISON_COLUMNS, rows),
        ...notes(doc, rows, 'method'),
        ...(old ? [el(doc, 'p', CSS.note, VERSION_1_NOTE)] : [])
      ]
    : [el(doc, 'p', CSS.muted, 'No clause scored on both sides.')];
  root.appendChild(section(doc, 'Differences per clause (second \u2212 first)', ...parts));
  return root;
}

// ------------------------------------------------------------ calibration view

const CALIBRATION_CLAUSE_COLUMNS: IColumn[] = [textColumn('clause', 'clause'), ...CALIBRATION_COLUMNS.slice(1)];

export const ANSWER_COLUMNS: IColumn[] = [
  {
    label: 'right',
    title: "whether the judge's verdict matches the label",
    sortValue: row => row.correct === true,
    render: (row, doc) =>
      row.correct === true ? el(doc, 'span', CSS.right, '\u2713 right') : el(doc, 'span', CSS.wrong, '\u2717 wrong')
  },
  textColumn('clause', 'clause'),
  textColumn('label', 'label'),
  textColumn('verdict', 'verdict'),
  textColumn('example', 'title'),
  textColumn('source', 'source')
];

/** Known values first in their usual order, then any others as they come. */
function ordered(values: string[], known: string[]): string[] {
  const present = new Set(values);
  return [...known.filter(v => present.has(v)), ...Array.from(present).filter(v => !known.includes(v))];
}

/** The label x verdict counts: where a judge goes wrong, at a glance. */
export function confusionTable(doc: Document, confusion: Row[]): HTMLTableElement {
  const labels = ordered(confusion.map(r => text(r.label)), ['GOOD', 'OK', 'BAD']);
  const verdicts = ordered(
    confusion.map(r => text(r.verdict)),
    ['compliant', 'violation', 'not_applicable', 'unscored', 'error']
  );
  const count = new Map(confusion.map(r => [`${text(r.label)}\u0000${text(r.verdict)}`, r.count]));
  const table = el(doc, 'table', CSS.table);
  const head = el(doc, 'tr');
  head.appendChild(el(doc, 'th', undefined, 'label \\ verdict'));
  head.append(...verdicts.map(v => el(doc, 'th', CSS.numeric, v)));
  table.appendChild(el(doc, 'thead')).appendChild(head);
  const body = el(doc, 'tbody');
  for (const label of labels) {
    const tr = el(doc, 'tr');
    tr.appendChild(el(doc, 'th', undefined, label));
    tr.append(...verdicts.map(v => el(doc, 'td', CSS.numeric, text(count.get(`${label}\u0000${v}`) ?? 0))));
    body.appendChild(tr);
  }
  table.appendChild(body);
  return table;
}

export function renderCalibration(doc: Document, record: ICalibrationRecord): HTMLElement {
  const root = el(doc, 'div', CSS.root);
  root.dataset.schema = CALIBRATION_SCHEMA;
  const summary = el(doc, 'div', CSS.summary);
  summary.appendChild(summaryLine(doc, 'judge', [text(record.judge)]));
  summary.appendChild(summaryLine(doc, 'clauses', Array.isArray(record.ids) ? asStrings(record.ids) : ['all']));
  root.appendChild(summary);
  const overall = record.overall && typeof record.overall === 'object' ? record.overall : {};
  root.appendChild(
    section(doc, 'Agreement with the labelled answers', sortableTable(doc, CALIBRATION_COLUMNS, [{ ...overall, judge: record.judge }]))
  );
  const confusion = asRows(record.confusion);
  if (confusion.length) {
    root.appendChild(section(doc, 'Labels against verdicts', confusionTable(doc, confusion)));
  }
  const clauses = asRows(record.clauses);
  if (clauses.length) {
    root.appendChild(section(doc, 'Per clause', sortableTable(doc, CALIBRATION_CLAUSE_COLUMNS, clauses)));
  }
  const answers = sortRows(asRows(record.answers), ANSWER_COLUMNS[0], 'ascending');
  if (answers.length) {
    const details: IDetails = {
      header: 'answer',
      label: () => 'show',
      content: (row, d) => {
        const card = el(d, 'article', CSS.sample);
        if (row.reason) {
          card.appendChild(quote(d, 'why the label', row.reason));
        }
        card.append(quote(d, 'answer', row.answer), quote(d, "judge's reasoning", row.reasoning || '(none given)'));
        if (row.error) {
          card.appendChild(el(d, 'p', CSS.error, text(row.error)));
        }
        return card;
      }
    };
    root.appendChild(section(doc, 'Labelled answers (wrong verdicts first)', sortableTable(doc, ANSWER_COLUMNS, answers, undefined, details)));
  }
  return root;
}

// ------------------------------------------------------------ dispatch

/** Renders any jupyter-spec record; an unknown schema or a newer version gets a message. */
export function renderRecord(doc: Document, data: unknown): HTMLElement {
  const record = (typeof data === 'object' && data !== null ? data : {}) as Record<
    string,
    unknown
  >;
  const version = record.version;
  if (isNumber(version) && version > SCHEMA_VERSION) {
    return message(
      doc,
      `This record is version ${version}; this extension reads version ${SCHEMA_VERSION}. Update jupyter-spec's JupyterLab extension.`
    );
  }
  if (record.schema === RESULTS_SCHEMA) {
    return renderResults(doc, record as unknown as IResultsRecord);
  }
  if (record.schema === COMPARISON_SCHEMA) {
    return renderComparison(doc, record as unknown as IComparisonRecord);
  }
  if (record.schema === CALIBRATION_SCHEMA) {
    return renderCalibration(doc, record as unknown as ICalibrationRecord);
  }
  return message(doc, `Unknown jupyter-spec record: ${text(record.schema)}`);
}

function message(doc: Document, content: string): HTMLElement {
  const root = el(doc, 'div', CSS.root);
  root.appendChild(el(doc, 'p', CSS.error, content));
  return root;
}
