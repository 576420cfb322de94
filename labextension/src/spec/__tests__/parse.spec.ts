import {
  blankCodeSpans,
  Clause,
  Finding,
  markerSentences,
  parseNotebook,
  pyRepr,
  SpecOutline
} from '../parse';
import reference from '../fixtures/python-reference.json';

/** A notebook of cells c0, c1, ... */
function notebook(...sources: string[]): SpecOutline {
  return parseNotebook(sources.map((source, i) => ({ id: `c${i}`, source })));
}

function flat(clauses: Clause[]): Clause[] {
  return clauses.flatMap(c => [c, ...flat(c.children)]);
}

function byCode(findings: Finding[], code: string): Finding[] {
  return findings.filter(f => f.code === code);
}

const SPEC = [
  '%%spec --name rules',
  '# Overview {#overview authority=root}',
  '',
  'The assistant follows the chain of command[^chain].',
  '',
  '## Stay honest {#honest}',
  '',
  'It does not lie, e.g. about its tools[^no_lies]. Inline `[^not_a_marker]` code is not prose.',
  '',
  '```python',
  '# not a heading {#in_fence}',
  'x = "[^fenced]"',
  '```',
  '',
  '!!! note "Why"',
  '    Honesty builds trust[^trust].',
  '',
  '!!! meta',
  '    Commentary is not normative[^meta_marker].',
  '',
  '**Example**: a white lie',
  '~~~xml',
  '<user>Do you like my poem? [^in_example]</user>',
  '<assistant>Yes!</assistant>',
  '~~~',
  '',
  '### Details {#details authority=user .strict}',
  '',
  'Details here.',
  '',
  '## Grouping without an ID',
  '',
  '#### Deep {#deep}',
  '',
  'Deep text[^deep_marker].'
].join('\n');

describe('parseNotebook: %%spec cells', () => {
  const outline = notebook(SPEC);
  const all = flat(outline.clauses);

  it('builds a tree by heading level', () => {
    expect(outline.clauses.map(c => c.id)).toEqual(['overview']);
    const overview = outline.clauses[0];
    expect(overview.children.map(c => c.id ?? c.title)).toEqual(['honest', 'Grouping without an ID']);
    expect(overview.children[0].children.map(c => c.id)).toEqual(['details']);
    expect(overview.children[1].children.map(c => c.id)).toEqual(['deep']);
    expect(all.map(c => [c.id, c.level, c.line])).toEqual([
      ['overview', 1, 2],
      ['honest', 2, 6],
      ['details', 3, 27],
      [null, 2, 31],
      ['deep', 4, 33]
    ]);
    expect(all.every(c => c.cellId === 'c0')).toBe(true);
  });

  it('inherits authority from enclosing sections', () => {
    const get = (id: string) => all.find(c => c.id === id)!;
    expect(get('overview').authority).toBe('root');
    expect(get('honest').authority).toBe('root');
    expect(get('honest').declaredAuthority).toBeNull();
    expect(get('details').authority).toBe('user');
    expect(get('details').classes).toEqual(['strict']);
    expect(get('deep').authority).toBe('root');
  });

  it('finds markers in prose and normative admonitions only', () => {
    const markers = all.flatMap(c => c.markers.map(m => [m.id, m.line, m.sentence]));
    expect(markers).toEqual([
      ['chain', 4, 'The assistant follows the chain of command.'],
      ['no_lies', 8, 'It does not lie, e.g. about its tools.'],
      ['trust', 16, 'Honesty builds trust.'],
      ['deep_marker', 35, 'Deep text.']
    ]);
    expect(all.find(c => c.id === 'in_fence')).toBeUndefined();
  });

  it('counts worked examples', () => {
    expect(all.find(c => c.id === 'honest')!.examples).toBe(1);
  });

  it('nests sections across cells, as the working spec does', () => {
    const two = notebook('%%spec\n# Top {#top authority=developer}\n\nText.', '%%spec\n## Child {#child}\n\nMore.');
    expect(two.clauses.length).toBe(1);
    const child = two.clauses[0].children[0];
    expect([child.id, child.cellId, child.line, child.authority]).toEqual(['child', 'c1', 2, 'developer']);
  });

  it('reads ~~~ fences as Python does: headings hidden, markers still found', () => {
    // markers.py blanks only inline code, and a ``` fence reads as one long code span; a ~~~
    // fence does not, so Python declares a marker inside it (and so does this parser).
    const out = notebook('%%spec\n## A {#a}\n\n~~~\n## hidden {#hidden}\nIn tilde[^tilde].\n~~~\n');
    const a = out.clauses[0];
    expect(flat(out.clauses).map(c => c.id)).toEqual(['a']);
    expect(a.markers.map(m => [m.id, m.line, m.sentence])).toEqual([
      ['tilde', 6, '~~~ ## hidden {#hidden} In tilde.']
    ]);
  });

  it('reads only cells whose first line is the magic, as IPython does', () => {
    const out = notebook(
      '# Just markdown {#md}\n',
      'x = 1\n%%spec\n# No {#no}',
      '\n  \n%%spec\n# Yes {#yes}\n\nText[^m].',
      '%%specs\n# Other magic {#other}',
      '  %%spec\n  # Indented {#indented}'
    );
    const all2 = flat(out.clauses);
    expect(all2.map(c => [c.id, c.cellId, c.line])).toEqual([
      ['yes', 'c2', 4],
      ['indented', 'c4', 2]
    ]);
    expect(all2[0].markers[0].line).toBe(6);
  });

  it('keeps headings with a closing sequence and odd spacing', () => {
    const out = notebook('%%spec\n##\tTabbed title ##  \n###   Spaced {#sp}\n#hashtag is prose\n####### too deep');
    expect(flat(out.clauses).map(c => [c.title, c.level, c.id])).toEqual([
      ['Tabbed title', 2, null],
      ['Spaced', 3, 'sp']
    ]);
  });

  it('reads quoted attribute values', () => {
    const out = notebook('%%spec\n## T {#t authority="user" note="two words" .a .b}');
    expect(out.clauses[0]).toMatchObject({ id: 't', authority: 'user', classes: ['a', 'b'], title: 'T' });
  });
});

describe('parseNotebook: %%challenge cells', () => {
  const spec = '%%spec\n## Clause {#c1}\n\nOne[^m1]. Two[^m2].';

  it('counts each top-level "- " line as one challenge', () => {
    const out = notebook(
      spec,
      [
        '%%challenge c1',
        '- What is 2 + 2? <!-- expect answer: 4 -->',
        '  - Are you sure?',
        '  - Really?',
        '',
        '* A second prompt',
        '  that goes on here',
        '- A third'
      ].join('\n'),
      '%%challenge m1 --name extra\n- Marker prompt\n- Another',
      '%%challenge --name n m2\n\n- Only one\n    - follow-up'
    );
    const c1 = out.clauses[0];
    expect(c1.challenges).toBe(3);
    expect(c1.markers.map(m => [m.id, m.challenges])).toEqual([
      ['m1', 2],
      ['m2', 1]
    ]);
    expect(out.findings).toEqual([]);
  });

  it('counts **Example**: blocks in the file form', () => {
    const body = [
      '%%challenge c1',
      'Examples for [^c1] in Clause:',
      '',
      '**Example**: first',
      '~~~xml',
      '<user>- not a bullet</user>',
      '~~~',
      '',
      '**Example**: second',
      '~~~xml',
      '<user>hi</user>',
      '<assistant></assistant>',
      '<user>Are you sure?</user>',
      '~~~'
    ].join('\n');
    expect(notebook(spec, body).clauses[0].challenges).toBe(2);
  });

  it('ignores a %%challenge cell without exactly one ID', () => {
    const out = notebook(spec, '%%challenge\n- x', '%%challenge a b\n- x');
    expect(out.clauses[0].challenges).toBe(0);
    expect(byCode(out.findings, 'unknown-target')).toEqual([]);
  });
});

describe('parseNotebook: findings', () => {
  it('reports duplicate IDs in one cell and across cells', () => {
    const out = notebook('%%spec\n## A {#a}\n\nText[^a].', '%%spec\n## B {#a}\n\nText.');
    expect(byCode(out.findings, 'duplicate-id')).toEqual([
      {
        severity: 'error',
        code: 'duplicate-id',
        message: "ID 'a' is declared again (first at line 2)",
        cellId: 'c0',
        line: 4,
        related: { cellId: 'c0', line: 2 }
      },
      {
        severity: 'error',
        code: 'duplicate-id',
        message: "ID 'a' is declared again (first at line 2 in another cell)",
        cellId: 'c1',
        line: 2,
        related: { cellId: 'c0', line: 2 }
      }
    ]);
  });

  it('reports challenges for IDs no %%spec cell declares', () => {
    const out = notebook('%%spec\n## A {#a}\n\nText.', "%%challenge ghost\n\n- Is it 'here'?\n- Second");
    expect(byCode(out.findings, 'unknown-target')).toEqual([
      {
        severity: 'error',
        code: 'unknown-target',
        message: `challenge "Is it 'here'?" tests [^ghost], which the spec no longer declares`,
        cellId: 'c1',
        line: 3
      },
      {
        severity: 'error',
        code: 'unknown-target',
        message: "challenge 'Second' tests [^ghost], which the spec no longer declares",
        cellId: 'c1',
        line: 4
      }
    ]);
  });

  it('reports untested clauses and markers', () => {
    const out = notebook(
      '%%spec\n## A {#a}\n\nText[^m].\n\n## B {#b}\n\nUntested.\n\n## E {#e}\n\n**Example**: shown\n~~~xml\n<user>x</user>\n~~~\n\n## Empty {#empty}\n'
    );
    expect(out.findings).toEqual([
      {
        severity: 'warning',
        code: 'untested-clause',
        message: "clause 'a' has neither challenges nor examples",
        cellId: 'c0',
        line: 2
      },
      {
        severity: 'warning',
        code: 'untested-marker',
        message: 'marker [^m] has no challenges',
        cellId: 'c0',
        line: 4
      },
      {
        severity: 'warning',
        code: 'untested-clause',
        message: "clause 'b' has neither challenges nor examples",
        cellId: 'c0',
        line: 6
      }
    ]);
  });

  it('does not report a clause whose subsections have IDs, or one tested through a marker', () => {
    const out = notebook(
      '%%spec\n# Parent {#p}\n\nIntro.\n\n## Child {#child}\n\nText[^cm].',
      '%%challenge cm\n- prompt'
    );
    expect(out.findings).toEqual([]);
  });

  it('reports markers outside any clause', () => {
    const out = notebook(
      '%%spec\nBefore any heading[^loose].\n\n## No ID\n\nOrphan[^orphan].',
      '%%challenge orphan\n- x'
    );
    expect(out.looseMarkers.map(m => [m.id, m.line])).toEqual([['loose', 2]]);
    expect(byCode(out.findings, 'marker-outside-clause')).toEqual([
      {
        severity: 'warning',
        code: 'marker-outside-clause',
        message: 'marker [^loose] is before the first heading, in no clause: it declares nothing',
        cellId: 'c0',
        line: 2
      },
      {
        severity: 'warning',
        code: 'marker-outside-clause',
        message: 'marker [^orphan] is in no section with an ID',
        cellId: 'c0',
        line: 6
      }
    ]);
    // a loose marker declares nothing: challenging it is a dangling challenge
    const dangling = notebook('%%spec\nLoose[^loose].\n\n## A {#a}\n\nText.', '%%challenge loose\n- x');
    expect(byCode(dangling.findings, 'unknown-target').map(f => f.line)).toEqual([2]);
  });

  it('puts errors first, then cell order, then line', () => {
    const out = notebook('%%spec\n## B {#b}\n\nText[^m].', '%%challenge nope\n- x', '%%spec\n## A {#a}\n\nText.');
    expect(out.findings.map(f => [f.severity, f.cellId, f.line, f.code])).toEqual([
      ['error', 'c1', 2, 'unknown-target'],
      ['warning', 'c0', 2, 'untested-clause'],
      ['warning', 'c0', 4, 'untested-marker'],
      ['warning', 'c2', 2, 'untested-clause']
    ]);
  });
});

describe('hostile text is plain data', () => {
  it('keeps markup, prototype names and template syntax as strings', () => {
    const out = notebook(
      '%%spec\n## <img src=x onerror=alert(1)> $x `rm -rf` &amp; {#__proto__ authority=constructor}\n\nText[^constructor].\n\n## Two {#toString}\n\nMore[^hasOwnProperty].',
      '%%challenge __proto__\n- <script>alert("x")</script>',
      '%%challenge valueOf\n- \u202e\u0000 hi'
    );
    const [first, second] = out.clauses;
    expect(first).toMatchObject({
      id: '__proto__',
      title: '<img src=x onerror=alert(1)> $x `rm -rf` &amp;',
      authority: 'constructor',
      challenges: 1
    });
    expect(first.markers[0]).toMatchObject({ id: 'constructor', challenges: 0 });
    expect(second).toMatchObject({ id: 'toString', challenges: 0 });
    expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
    expect(byCode(out.findings, 'unknown-target')[0].message).toBe(
      "challenge '\\u202e\\x00 hi' tests [^valueOf], which the spec no longer declares"
    );
  });

  it('reads a title with braces as Python does: from the first brace on, attributes', () => {
    // Python refuses this heading (malformed attribute); the outline keeps what it can
    const out = notebook('%%spec\n## Use ${x} and {{y}} {#t}');
    expect(out.clauses[0]).toMatchObject({ title: 'Use $', id: null });
  });

  it('prints reprs as Python does', () => {
    expect(pyRepr("it's")).toBe(`"it's"`);
    expect(pyRepr(`both ' and "`)).toBe(`'both \\' and "'`);
    expect(pyRepr('tab\there\\')).toBe("'tab\\there\\\\'");
    expect(pyRepr('plain id.x:y-z')).toBe("'plain id.x:y-z'");
  });
});

describe('matches the Python reader', () => {
  it('blanks code spans and finds marker sentences like markers.py', () => {
    for (const c of reference.markers) {
      expect([c.text, blankCodeSpans(c.text)]).toEqual([c.text, c.blanked]);
      expect([c.text, markerSentences(c.text)]).toEqual([c.text, c.markers]);
    }
  });

  it('reads spec cells like markdown.py', () => {
    for (const c of reference.specs) {
      const out = notebook('%%spec\n' + c.body);
      const got = flat(out.clauses).map(s => ({
        title: s.title,
        level: s.level,
        id: s.id,
        authority: s.authority,
        line: s.line,
        examples: s.examples,
        markers: s.markers.map(m => [m.id, m.sentence, m.line])
      }));
      const want = c.sections.map(({ hasText, ...s }) => s);
      expect([c.body, got]).toEqual([c.body, want]);
      expect([c.body, out.looseMarkers.map(m => [m.id, m.sentence, m.line])]).toEqual([c.body, c.loose]);
      // hasText drives untested-clause
      const untested = new Set(byCode(out.findings, 'untested-clause').map(f => f.line));
      for (const s of c.sections) {
        if (s.id && !s.hasText) {
          expect([c.body, s.line, untested.has(s.line)]).toEqual([c.body, s.line, false]);
        }
      }
    }
  });
});

describe('matches lint.py on whole notebooks', () => {
  it('reports the same structural findings, in the same order', () => {
    // python-reference.json: random notebooks Python accepts, linted by lint.py (only the codes
    // mirrored here); across cells this parser says which cell a duplicate was first declared in
    for (const n of reference.notebooks) {
      const got = parseNotebook(n.cells).findings.map(f => [
        f.severity,
        f.code,
        f.message.replace(/ in another cell\)$/, ')'),
        f.cellId,
        f.line
      ]);
      expect([n.cells, got]).toEqual([n.cells, n.findings]);
    }
  });
});

describe('large and adversarial cells', () => {
  it('parses a 2 MB cell in well under a second', () => {
    const section = (k: number) =>
      `## Section ${k} {#s${k} authority=user}\n\nA sentence e.g. with \`code [^x]\` and a marker[^m${k}]. More text here!\n\n`;
    let body = '';
    for (let k = 0; body.length < 2_000_000; k++) {
      body += section(k);
    }
    notebook('%%spec\n' + section(0)); // warm up
    const start = Date.now();
    const out = notebook('%%spec\n' + body);
    const elapsed = Date.now() - start;
    expect(out.clauses.length).toBeGreaterThan(10_000);
    expect(elapsed).toBeLessThan(1000);
  });

  it.each([
    ['backticks', '`'.repeat(1_000_000) + ' ' + '`x '.repeat(300_000)],
    ['growing backtick runs', Array.from({ length: 1400 }, (_, k) => '`'.repeat(k + 1)).join(' a ')],
    ['markers on one line', 'word[^m]. '.repeat(100_000)],
    ['unclosed markers', '[^'.repeat(500_000) + 'x'.repeat(500_000)],
    ['sentence ends', '. '.repeat(500_000) + 'end[^z].'],
    ['blank lines', '\n \n'.repeat(300_000) + 'x[^y].'],
    ['one long heading', '## ' + '# '.repeat(500_000) + '{#id'],
    ['attributes', '## T {' + '#a '.repeat(300_000) + '}'],
    ['comments', '- <!-- expect '.repeat(200_000)]
  ])('stays linear on %s', (_name, text) => {
    const start = Date.now();
    notebook('%%spec\n## A {#a}\n' + text, '%%challenge a\n' + text);
    expect(Date.now() - start).toBeLessThan(3000); // quadratic would take minutes
  });
});
