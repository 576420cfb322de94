/**
 * The renderer's DOM under jsdom, against records made by the Python package
 * (fixtures/*.json: `results.record()` and `compare(...).record()` of scripted
 * runs, see the README in this folder's parent) and hostile strings.
 */

import {
  ADHERENCE_COLUMNS,
  compareCells,
  confusionTable,
  intervalBar,
  percent,
  points,
  pValue,
  renderComparison,
  renderRecord,
  renderResults,
  sortRows
} from '../render';
import { ICalibrationRecord, IComparisonRecord, IResultsRecord, Row } from '../types';

import calibrationFixture from './fixtures/calibration.json';
import comparisonFixture from './fixtures/comparison.json';
import comparisonV1Fixture from './fixtures/comparison-v1.json';
import resultsFixture from './fixtures/results.json';
import resultsV1Fixture from './fixtures/results-v1.json';

const HOSTILE_IMG = '<img src=x onerror=alert(1)>';
const HOSTILE_SCRIPT = '</script><script>alert(2)</script>';
const HOSTILE = `${HOSTILE_IMG}${HOSTILE_SCRIPT}`;

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

function results(): IResultsRecord {
  return copy(resultsFixture) as unknown as IResultsRecord;
}

function comparison(): IComparisonRecord {
  return copy(comparisonFixture) as unknown as IComparisonRecord;
}

/** Records saved by jupyter-spec before version 2 (kept as they were: notebooks still hold them). */
function resultsV1(): IResultsRecord {
  return copy(resultsV1Fixture) as unknown as IResultsRecord;
}

function comparisonV1(): IComparisonRecord {
  return copy(comparisonV1Fixture) as unknown as IComparisonRecord;
}

/** Renders into the live jsdom document, so that an injected element would really be created. */
function mount(node: HTMLElement): HTMLElement {
  document.body.replaceChildren(node);
  return node;
}

function tableUnder(root: HTMLElement, heading: string): HTMLTableElement {
  const section = Array.from(root.querySelectorAll('section')).find(
    s => s.querySelector('h4')?.textContent === heading
  );
  if (!section) {
    throw new Error(`no section "${heading}"`);
  }
  return section.querySelector('table') as HTMLTableElement;
}

function headers(table: HTMLTableElement): string[] {
  return Array.from(table.querySelectorAll('thead th')).map(th => th.textContent ?? '');
}

/** The table's body as text, one array per row, keyed by header. */
function bodyRows(table: HTMLTableElement): Record<string, string>[] {
  const names = headers(table);
  return Array.from(table.querySelectorAll('tbody tr')).map(tr => {
    const cells = Array.from(tr.querySelectorAll('td'));
    return Object.fromEntries(cells.map((td, i) => [names[i], td.textContent ?? '']));
  });
}

function assertNoInjectedElements(root: ParentNode): void {
  expect(root.querySelectorAll('img').length).toBe(0);
  expect(root.querySelectorAll('script').length).toBe(0);
  expect(document.querySelectorAll('img, script').length).toBe(0);
  // no element carries an event handler attribute
  for (const node of Array.from(root.querySelectorAll('*'))) {
    for (const attribute of Array.from(node.attributes)) {
      expect(attribute.name.startsWith('on')).toBe(false);
    }
  }
}

afterEach(() => {
  document.body.replaceChildren();
});

describe('results record', () => {
  it('shows adherence per clause with models, graders, counts and interval bars', () => {
    const root = mount(renderResults(document, results()));
    expect(root.dataset.schema).toBe('jupyter-spec/results');
    const table = tableUnder(root, 'Adherence per clause');
    expect(headers(table)).toEqual([
      'violations',
      'clause',
      'model',
      'grader',
      'calibration',
      'self-graded',
      'adherence',
      'n',
      'compliant',
      'violation',
      'n/a',
      'unscored',
      'errors',
      'overruled'
    ]);
    const rows = bodyRows(table);
    const record = results();
    expect(rows.length).toBe(record.adherence!.length);
    for (const [i, source] of record.adherence!.entries()) {
      const shown = rows.find(
        r => r.grader === source.grader && r.model === source.model && r.clause === source.clause
      );
      expect(shown).toBeDefined();
      expect(shown!.n).toBe(String(source.n));
      expect(shown!.unscored).toBe(String(source.unscored));
      expect(shown!['n/a']).toBe(String(source.not_applicable));
      expect(shown!.errors).toBe(String(source.errors));
      expect(shown!.adherence).toContain(percent(source.adherence));
      expect(shown!.adherence).toContain(
        `[${percent(source.cluster_low)}, ${percent(source.cluster_high)}]`
      );
      expect(i).toBeGreaterThanOrEqual(0);
    }
    // the judge's calibration note is beside its grader; the expect grader has none
    const judge = rows.find(r => r.grader === 'judge:scripted:judge')!;
    expect(judge.calibration).toBe('not calibrated');
    expect(rows.find(r => r.grader === 'expect')!.calibration).toBe('\u2013');
    // one interval bar per row, its range placed from cluster_low to cluster_high
    const judgeRow = record.adherence!.find(r => r.grader === 'judge:scripted:judge')!;
    const ranges = table.querySelectorAll<HTMLElement>('tbody .jp-SpecRecord-barRange');
    expect(ranges.length).toBe(rows.length);
    const judgeIndex = rows.indexOf(judge);
    const range = ranges[judgeIndex];
    expect(parseFloat(range.style.left)).toBeCloseTo(100 * (judgeRow.cluster_low as number), 5);
    expect(parseFloat(range.style.width)).toBeCloseTo(
      100 * ((judgeRow.cluster_high as number) - (judgeRow.cluster_low as number)),
      5
    );
    // the interval method is stated
    expect(root.textContent).toContain(`Intervals: ${record.ci_method}`);
    // the summary names the runs, models and graders
    const summary = root.querySelector('.jp-SpecRecord-summary')!.textContent!;
    for (const name of [...record.runs!, ...record.models!, ...record.graders!]) {
      expect(summary).toContain(name);
    }
  });

  it('shows flip rates and paired differences when present', () => {
    const record = results();
    expect(record.flip_rate!.length).toBeGreaterThan(0);
    expect(record.paired!.length).toBeGreaterThan(0);
    const root = mount(renderResults(document, record));
    const flips = bodyRows(tableUnder(root, 'Flip rates (no-flip challenges)'));
    expect(flips.length).toBe(record.flip_rate!.length);
    expect(flips[0]['flip rate']).toContain(percent(record.flip_rate![0].flip_rate));
    const table = tableUnder(root, 'Paired differences');
    expect(headers(table)).toEqual([
      'model',
      'grader',
      'pair',
      'first',
      'second',
      'self-graded',
      'rate first',
      'rate second',
      'difference',
      'p',
      'pairs',
      'n first',
      'n second'
    ]);
    const paired = bodyRows(table);
    expect(paired.map(r => r.pair)).toEqual(record.paired!.map(r => String(r.pair)));
    const allPairs = record.paired!.findIndex(r => r.pair === '(all pairs)');
    expect(allPairs).toBeGreaterThanOrEqual(0);
    const source = record.paired![allPairs];
    expect(paired[allPairs].difference).toBe(
      `${points(source.difference)} [${points(source.ci_low)}, ${points(source.ci_high)}]`
    );
    expect(paired[allPairs].p).toBe(pValue(source.p_value));
    expect(paired[allPairs].pairs).toBe(String(source.pairs));
    expect(root.textContent).not.toContain('record version 1');
    // the methods are stated once each
    const methods = new Set(record.paired!.map(r => r.method));
    const notes = Array.from(root.querySelectorAll('section p.jp-SpecRecord-note')).map(
      p => p.textContent
    );
    for (const method of methods) {
      expect(notes.filter(n => n === method).length).toBe(1);
    }
  });

  it('shows the paired rows of a version 1 record as they were saved', () => {
    const record = resultsV1();
    expect(record.version).toBe(1);
    const root = mount(renderRecord(document, record));
    const paired = bodyRows(tableUnder(root, 'Paired differences'));
    const allPairs = record.paired!.findIndex(r => r.pair === '(all pairs)');
    expect(paired[allPairs]['mean paired difference']).toContain(
      points(record.paired![allPairs].mean_paired_difference)
    );
    const single = record.paired!.findIndex(r => r.mean_paired_difference === null);
    expect(paired[single]['mean paired difference']).toBe('\u2013'); // a dash, not 0
    expect(root.textContent).toContain('record version 1');
  });

  it('leaves out flip, paired, calibration and ruling tables when empty', () => {
    const record = results();
    record.flip_rate = [];
    record.paired = [];
    record.rulings = [];
    record.calibrations = {};
    const root = mount(renderResults(document, record));
    const titles = Array.from(root.querySelectorAll('h4')).map(h => h.textContent);
    expect(titles).toEqual(['Adherence per clause']);
  });

  it('flags self-graded rows', () => {
    const record = results();
    record.adherence![0].self_graded = true;
    const root = mount(renderResults(document, record));
    const badges = root.querySelectorAll('.jp-SpecRecord-badge');
    expect(badges.length).toBe(1);
    expect(badges[0].textContent).toBe('self-graded');
    expect((badges[0] as HTMLElement).title).toContain('model under test');
  });

  it('sorts by a column on click and reverses on a second click', () => {
    const record = results();
    const extra = copy(record.adherence![0]);
    record.adherence!.push(
      { ...extra, clause: 'b_clause', adherence: 0.9, n: 30 },
      { ...extra, clause: 'a_clause', adherence: null, n: 0 }
    );
    const root = mount(renderResults(document, record));
    const table = tableUnder(root, 'Adherence per clause');
    // initially by clause
    expect(bodyRows(table).map(r => r.clause)).toEqual(
      [...record.adherence!.map(r => String(r.clause))].sort()
    );
    const button = (label: string) =>
      Array.from(table.querySelectorAll('thead button')).find(
        b => b.textContent === label
      ) as HTMLButtonElement;
    button('n').click();
    const ascending = bodyRows(table).map(r => Number(r.n));
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    expect(button('n').parentElement!.getAttribute('aria-sort')).toBe('ascending');
    button('n').click();
    const descending = bodyRows(table).map(r => Number(r.n));
    expect(descending).toEqual([...ascending].sort((a, b) => b - a));
    expect(button('n').parentElement!.getAttribute('aria-sort')).toBe('descending');
    // missing adherence stays last in both directions
    button('adherence').click();
    expect(bodyRows(table).slice(-1)[0].clause).toBe('a_clause');
    button('adherence').click();
    expect(bodyRows(table).slice(-1)[0].clause).toBe('a_clause');
    expect(bodyRows(table)[0].clause).toBe('b_clause');
    expect(button('n').parentElement!.hasAttribute('aria-sort')).toBe(false);
  });
});

describe('hostile strings stay text', () => {
  it('in a clause ID, a model name, a calibration note, a ruling and judge names', () => {
    const record = results();
    record.models = [HOSTILE];
    record.runs = [HOSTILE];
    for (const row of record.adherence!) {
      row.clause = HOSTILE;
      row.model = HOSTILE;
      row.calibration = `accuracy 0.5 ${HOSTILE}`;
    }
    for (const row of [...record.flip_rate!, ...record.paired!]) {
      row.model = HOSTILE;
      row.grader = HOSTILE;
    }
    record.paired![0].first = HOSTILE;
    record.paired![0].method = HOSTILE;
    record.rulings = [
      {
        sample_key: 'k',
        clause: HOSTILE,
        target: 'h1',
        model: HOSTILE,
        ruling: 'compliant',
        ruling_note: HOSTILE
      }
    ];
    record.calibrations = {
      [HOSTILE]: { answers: 8, n: 8, correct: 6, accuracy: 0.75, unscored: 0, errors: 0 }
    };
    const root = mount(renderRecord(document, record));
    assertNoInjectedElements(root);
    const adherence = bodyRows(tableUnder(root, 'Adherence per clause'));
    for (const row of adherence) {
      expect(row.clause).toBe(HOSTILE);
      expect(row.model).toBe(HOSTILE);
      expect(row.calibration).toBe(`accuracy 0.5 ${HOSTILE}`);
    }
    expect(bodyRows(tableUnder(root, 'Judge calibration'))[0].judge).toBe(HOSTILE);
    expect(bodyRows(tableUnder(root, "Reviewers' rulings"))[0].note).toBe(HOSTILE);
    expect(bodyRows(tableUnder(root, 'Paired differences'))[0].first).toBe(HOSTILE);
    // the markup appears only as text: escaped in the serialized HTML
    expect(root.innerHTML).not.toContain('<img');
    expect(root.innerHTML).not.toContain('<script');
    expect(root.innerHTML).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(root.textContent).toContain(HOSTILE_IMG);
    expect(root.textContent).toContain(HOSTILE_SCRIPT);
  });

  it('in a comparison', () => {
    const record = comparison();
    record.first = HOSTILE;
    record.clauses![0].clause = HOSTILE;
    record.clauses![0].method = HOSTILE;
    const root = mount(renderRecord(document, record));
    assertNoInjectedElements(root);
    expect(root.querySelector('.jp-SpecRecord-summary')!.textContent).toContain(HOSTILE);
    expect(bodyRows(root.querySelector('table')!)[0].clause).toBe(HOSTILE);
  });

  it('in an unknown schema name', () => {
    const root = mount(renderRecord(document, { schema: HOSTILE, version: 1 }));
    assertNoInjectedElements(root);
    expect(root.textContent).toContain(HOSTILE);
  });

  it('when values have unexpected types', () => {
    const record = results() as unknown as Record<string, unknown>;
    record.adherence = [{ clause: { html: HOSTILE }, n: HOSTILE }, 'not a row', null];
    record.models = HOSTILE;
    const root = mount(renderRecord(document, record));
    assertNoInjectedElements(root);
    expect(bodyRows(tableUnder(root, 'Adherence per clause')).length).toBe(1);
  });
});

describe('comparison record', () => {
  it('shows differences with intervals in its own view', () => {
    const record = comparison();
    const root = mount(renderComparison(document, record));
    expect(root.dataset.schema).toBe('jupyter-spec/comparison');
    const table = root.querySelector('table')!;
    expect(headers(table)).toEqual([
      'clause',
      'grader',
      'self-graded',
      'first',
      'n first',
      'second',
      'n second',
      'difference',
      'p',
      'pairs'
    ]);
    const source = record.clauses![0];
    const row = bodyRows(table)[0];
    expect(row.difference).toBe(
      `${points(source.difference)} [${points(source.ci_low)}, ${points(source.ci_high)}]`
    );
    expect(row.first).toContain(percent(source.adherence_first));
    expect(row.p).toBe(pValue(source.p_value));
    expect(row.pairs).toBe(String(source.pairs));
    expect(root.textContent).not.toContain('record version 1');
    // a difference bar has a zero line at the middle of a -1..1 scale
    const zero = table.querySelector<HTMLElement>('tbody .jp-SpecRecord-barZero')!;
    expect(zero.style.left).toBe('50%');
    expect(root.textContent).toContain(String(source.method));
    const summary = root.querySelector('.jp-SpecRecord-summary')!.textContent!;
    expect(summary).toContain(String(record.first));
    expect(summary).toContain(String(record.second));
  });

  it('shows a version 1 record as it was saved, and says what its paired interval was', () => {
    const record = comparisonV1();
    expect(record.version).toBe(1);
    const root = mount(renderRecord(document, record));
    const table = root.querySelector('table')!;
    expect(headers(table).slice(7)).toEqual(['difference', 'mean paired difference', 'shared challenges']);
    const source = record.clauses![0];
    const row = bodyRows(table)[0];
    expect(row['shared challenges']).toBe(String(source.shared_challenges));
    expect(root.textContent).toContain(String(source.method));
    expect(root.textContent).toContain('record version 1');
  });

  it('says so when no clause is scored on both sides', () => {
    const record = comparison();
    record.clauses = [];
    const root = mount(renderComparison(document, record));
    expect(root.querySelector('table')).toBeNull();
    expect(root.textContent).toContain('No clause scored on both sides.');
  });
});

describe('dispatch and helpers', () => {
  it('refuses a newer record version with a message', () => {
    const record = results();
    expect(record.version).toBe(2);
    record.version = 3;
    const root = mount(renderRecord(document, record));
    expect(root.querySelector('table')).toBeNull();
    expect(root.textContent).toContain('version 3');
  });

  it('renders nothing but a message for non-objects', () => {
    for (const value of [null, 'text', 3, []]) {
      const root = renderRecord(document, value);
      expect(root.querySelector('.jp-SpecRecord-error')).not.toBeNull();
    }
  });

  it('formats rates and differences', () => {
    expect(percent(0.5)).toBe('50%');
    expect(percent(null)).toBe('\u2013');
    expect(points(0.125)).toBe('+13 pp');
    expect(points(-0.5)).toBe('\u221250 pp');
    expect(points(0)).toBe('\u00b10 pp');
    expect(pValue(0.0390625)).toBe('0.039');
    expect(pValue(0.5)).toBe('0.50');
    expect(pValue(1)).toBe('1.00');
    expect(pValue(0.0002)).toBe('<0.001');
    expect(pValue(null)).toBe('\u2013');
  });

  it('clamps bars to their scale', () => {
    const bar = intervalBar(document, 1.5, -0.2, 1.2);
    const range = bar.querySelector<HTMLElement>('.jp-SpecRecord-barRange')!;
    expect(range.style.left).toBe('0%');
    expect(range.style.width).toBe('100%');
    expect(bar.querySelector<HTMLElement>('.jp-SpecRecord-barPoint')!.style.left).toBe('100%');
  });

  it('sorts stably with missing values last', () => {
    const rows: Row[] = [
      { clause: 'b', n: 2 },
      { clause: 'a', n: null },
      { clause: 'c', n: 2 },
      { clause: 'd', n: 1 }
    ];
    const byN = ADHERENCE_COLUMNS.find(c => c.label === 'n')!;
    expect(sortRows(rows, byN, 'ascending').map(r => r.clause)).toEqual(['d', 'b', 'c', 'a']);
    expect(sortRows(rows, byN, 'descending').map(r => r.clause)).toEqual(['b', 'c', 'd', 'a']);
    expect(compareCells('clause2', 'clause10')).toBeLessThan(0);
  });
});

describe('violations behind a rate', () => {
  it('come from the package with the judge\'s reasoning', () => {
    const root = mount(renderResults(document, results()));
    const toggles = Array.from(root.querySelectorAll<HTMLButtonElement>('tbody button.jp-SpecRecord-toggle'));
    expect(toggles.map(t => t.textContent)).toEqual(['1 violation', '1 violation', '6 violations']);
    toggles[2].click();
    const cards = root.querySelectorAll('.jp-SpecRecord-details .jp-SpecRecord-sample');
    expect(cards).toHaveLength(6);
    for (const card of Array.from(cards)) {
      expect(card.querySelectorAll('pre')).toHaveLength(3);
      expect(card.querySelectorAll('pre')[2].textContent).not.toBe('(none given)');
    }
  });

  function withViolations(): IResultsRecord {
    const record = results();
    for (const other of record.adherence!) {
      other.violation = 0;
    }
    const row = record.adherence![0];
    row.violation = 3;
    const base = { clause: row.clause, model: row.model, grader: row.grader, target: 'h1', score: 0.1, ruling: null };
    record.violations = [
      { ...base, sample_key: 's1', challenge_title: 'capital', prompt: 'Are you sure?', response: 'No, Sydney.', reasoning: `gave way ${HOSTILE}` },
      { ...base, sample_key: 's2', challenge_title: HOSTILE, prompt: HOSTILE, response: HOSTILE, reasoning: '', ruling: 'violation' },
      { ...base, grader: 'another judge', sample_key: 's3', challenge_title: 'other', prompt: 'p', response: 'r', reasoning: 'x' }
    ];
    return record;
  }

  it("opens a row's violations with the judge's reasoning, and closes them", () => {
    const root = mount(renderResults(document, withViolations()));
    const table = tableUnder(root, 'Adherence per clause');
    const toggles = table.querySelectorAll<HTMLButtonElement>('tbody button.jp-SpecRecord-toggle');
    expect(toggles).toHaveLength(1); // the row with no violations has nothing to open
    const toggle = toggles[0];
    expect(toggle.textContent).toBe('3 violations');
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    toggle.click();
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const details = toggle.closest('tr')!.nextElementSibling as HTMLTableRowElement;
    expect(details.className).toBe('jp-SpecRecord-details');
    const cards = details.querySelectorAll('.jp-SpecRecord-sample');
    expect(cards).toHaveLength(2); // only this clause, model and grader
    expect(details.textContent).toContain('The first 2 of 3 violations');
    expect(cards[0].textContent).toContain('No, Sydney.');
    expect(cards[0].textContent).toContain(`gave way ${HOSTILE}`);
    expect(cards[1].textContent).toContain('(none given)');
    expect(cards[1].textContent).toContain('ruled violation');
    expect(cards[1].querySelector('strong')!.textContent).toBe(HOSTILE);
    assertNoInjectedElements(root);
    toggle.click();
    expect(table.querySelectorAll('.jp-SpecRecord-details')).toHaveLength(0);
  });

  it('says when an older record lists no violations', () => {
    const record = withViolations();
    delete record.violations;
    const root = mount(renderResults(document, record));
    root.querySelector<HTMLButtonElement>('tbody button.jp-SpecRecord-toggle')!.click();
    expect(root.querySelector('.jp-SpecRecord-details')!.textContent).toContain('this record lists none');
  });
});

describe('calibration record', () => {
  const calibration = (): ICalibrationRecord => ({
    schema: 'jupyter-spec/calibration',
    version: 1,
    judge: `judge ${HOSTILE}`,
    ids: ['hold'],
    overall: { answers: 4, n: 3, correct: 2, accuracy: 2 / 3, violation_precision: 1, violation_recall: 0.5, unscored: 0, errors: 1 },
    confusion: [
      { label: 'GOOD', verdict: 'compliant', count: 1 },
      { label: 'BAD', verdict: 'violation', count: 1 },
      { label: 'BAD', verdict: 'compliant', count: 1 },
      { label: 'GOOD', verdict: 'error', count: 1 }
    ],
    clauses: [{ clause: 'hold', answers: 4, n: 3, correct: 2, accuracy: 2 / 3, violation_precision: 1, violation_recall: 0.5, unscored: 0, errors: 1 }],
    answers: [
      { clause: 'hold', source: 'example', title: 'ok one', label: 'GOOD', verdict: 'compliant', correct: true, answer: 'fine', reasoning: 'r1', reason: null },
      { clause: 'hold', source: 'example', title: HOSTILE, label: 'BAD', verdict: 'compliant', correct: false, answer: HOSTILE, reasoning: HOSTILE, reason: 'caves in' }
    ]
  });

  it('shows agreement, the confusion of labels and verdicts, and each answer, wrong ones first', () => {
    const root = mount(renderRecord(document, calibration()));
    expect(root.dataset.schema).toBe('jupyter-spec/calibration');
    expect(root.querySelector('.jp-SpecRecord-summary')!.textContent).toContain(`judge ${HOSTILE}`);
    const overall = bodyRows(tableUnder(root, 'Agreement with the labelled answers'))[0];
    expect([overall.accuracy, overall.n, overall['violation recall']]).toEqual(['67%', '3', '50%']);
    const confusion = tableUnder(root, 'Labels against verdicts');
    expect(headers(confusion)).toEqual(['label \\ verdict', 'compliant', 'violation', 'error']);
    expect(Array.from(confusion.querySelectorAll('tbody tr')).map(tr => tr.textContent)).toEqual(['GOOD101', 'BAD110']);
    expect(bodyRows(tableUnder(root, 'Per clause'))[0].clause).toBe('hold');
    const answers = tableUnder(root, 'Labelled answers (wrong verdicts first)');
    expect(bodyRows(answers).map(r => r.right)).toEqual(['\u2717 wrong', '\u2713 right']);
    answers.querySelector<HTMLButtonElement>('tbody button.jp-SpecRecord-toggle')!.click();
    const opened = answers.querySelector('.jp-SpecRecord-details')!;
    expect(opened.textContent).toContain('caves in');
    expect(opened.textContent).toContain(HOSTILE);
    assertNoInjectedElements(root);
  });

  it('shows a record the package made', () => {
    const root = mount(renderRecord(document, copy(calibrationFixture)));
    const overall = bodyRows(tableUnder(root, 'Agreement with the labelled answers'))[0];
    expect([overall.judge, overall.accuracy, overall.n]).toEqual(['scripted:judge', '60%', '5']);
    const answers = bodyRows(tableUnder(root, 'Labelled answers (wrong verdicts first)'));
    expect(answers.map(r => r.right)).toEqual(['\u2717 wrong', '\u2717 wrong', '\u2713 right', '\u2713 right', '\u2713 right']);
  });

  it('copes with a record missing its tables', () => {
    const root = mount(renderRecord(document, { schema: 'jupyter-spec/calibration', version: 1 }));
    expect(root.querySelectorAll('section')).toHaveLength(1);
    expect(confusionTable(document, []).querySelectorAll('tbody tr')).toHaveLength(0);
  });
});
