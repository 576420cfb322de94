import { parseNotebook } from '../../spec/parse';
import { latestAdherence } from '../latest';
import { PANEL_CSS, renderPanel, sourceNote } from '../view';

const HOSTILE = '<img src=x onerror=alert(1)></script><script>alert(2)</script>';

const record = (clause: string, adherence: number, n: number): unknown => ({
  schema: 'jupyter-spec/results',
  version: 1,
  adherence: [{ clause, model: 'm', grader: 'expect', adherence, ci_low: adherence - 0.1, ci_high: adherence + 0.1, n }]
});

describe('the latest adherence in the outputs', () => {
  it('takes the record of the most recently executed cell', () => {
    const latest = latestAdherence([
      { executionCount: 7, records: [record('hold', 0.9, 10)] },
      { executionCount: 3, records: [record('hold', 0.1, 10)] },
      { executionCount: null, records: [{ schema: 'jupyter-spec/comparison' }] }
    ]);
    expect(latest.get('hold')![0].adherence).toBe(0.9);
  });

  it('reads a record defensively', () => {
    const latest = latestAdherence([
      { executionCount: 1, records: [{ schema: 'jupyter-spec/results', adherence: [null, 'x', { clause: 5 }, { clause: 'a', n: 'many' }] }] }
    ]);
    expect([...latest.keys()]).toEqual(['a']);
    expect(latest.get('a')![0]).toMatchObject({ adherence: null, n: 0 });
    expect(latestAdherence([]).size).toBe(0);
  });
});

describe('the panel', () => {
  const outline = parseNotebook([
    { id: 'c0', source: `%%spec\n# Honest ${HOSTILE} {#honest}\n\nSay what you think[^h1].\n\n## Hold {#hold}\n\nKeep answers[^k1].` },
    { id: 'c1', source: '%%challenge h1\n- Is my poem good?\n- Is my essay good?' },
    { id: 'c2', source: '%%challenge missing\n- Hello?' }
  ]);

  function mount(jumps: Array<[string, number]> = []): HTMLElement {
    const root = renderPanel(document, {
      outline,
      adherence: latestAdherence([{ executionCount: 1, records: [record('hold', 0.75, 12)] }]),
      lint: { from: 'browser' },
      onJump: (cell, line) => jumps.push([cell, line])
    });
    document.body.replaceChildren(root);
    return root;
  }

  it('lists clauses and markers as a tree with challenge counts and adherence', () => {
    const root = mount();
    expect(root.querySelector(`.${PANEL_CSS.summary}`)!.textContent).toBe(
      '2 clauses \u00b7 2 markers \u00b7 2 challenges \u00b7 1 error, 2 warnings'
    );
    expect(root.querySelector(`.${PANEL_CSS.source}`)!.textContent).toBe(sourceNote({ from: 'browser' }));
    expect(sourceNote({ from: 'browser', why: 'no kernel' })).toContain('Kernel lint unavailable: no kernel.');
    expect(sourceNote({ from: 'kernel' })).toContain('every rule');
    const entries = Array.from(root.querySelectorAll(`.${PANEL_CSS.tree} .${PANEL_CSS.entry}`));
    expect(entries.map(e => e.querySelector(`.${PANEL_CSS.id}`)!.textContent)).toEqual(['#honest', '[^h1]', '#hold', '[^k1]']);
    const h1 = entries[1];
    expect(h1.querySelector(`.${PANEL_CSS.count}`)!.textContent).toBe('2');
    const hold = entries[2];
    expect(hold.querySelector(`.${PANEL_CSS.adherence}`)!.textContent).toBe('75% n=12');
    expect(entries[3].querySelector(`.${PANEL_CSS.untested}`)).not.toBeNull();
    // the nesting: Hold is inside Honest
    expect(hold.closest('ul')!.closest('li')!.querySelector(`.${PANEL_CSS.id}`)!.textContent).toBe('#honest');
  });

  it('lists lint findings, errors first, and every entry jumps to its cell and line', () => {
    const jumps: Array<[string, number]> = [];
    const root = mount(jumps);
    const findings = Array.from(root.querySelectorAll(`.${PANEL_CSS.findings} li`));
    expect(findings[0].className).toBe(PANEL_CSS.error);
    expect(findings[0].textContent).toContain('unknown-target');
    (findings[0].querySelector('button') as HTMLButtonElement).click();
    (root.querySelectorAll(`.${PANEL_CSS.tree} button`)[2] as HTMLButtonElement).click();
    expect(jumps).toEqual([['c2', 2], ['c0', 6]]);
  });

  it('shows spec text as text', () => {
    const root = mount();
    expect(root.textContent).toContain(HOSTILE);
    expect(document.querySelectorAll('img, script')).toHaveLength(0);
  });

  it('says what to do in a notebook without spec cells', () => {
    const root = renderPanel(document, { outline: parseNotebook([{ id: 'x', source: 'print(1)' }]), adherence: new Map(), lint: { from: 'browser' }, onJump: () => undefined });
    expect(root.querySelector(`.${PANEL_CSS.empty}`)!.textContent).toContain('%%spec');
  });
});
