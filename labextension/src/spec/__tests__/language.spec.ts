import { ensureSyntaxTree, language } from '@codemirror/language';
import { Compartment, EditorState, Extension } from '@codemirror/state';
import { highlightTree, tagHighlighter } from '@lezer/highlight';
import { StreamLanguage } from '@codemirror/language';

import { sourceMagic } from '../parse';
import {
  documentMagic,
  specLanguage,
  specLanguageSwitch,
  specTags,
  tokenClass,
  usesSpecLanguage
} from '../language';

/** The text of each classed token, as `class text` pairs in document order. */
function tokens(doc: string): Array<[string, string]> {
  const tree = specLanguage.parser.parse(doc);
  const names = Object.keys(specTags) as Array<keyof typeof specTags>;
  const highlighter = tagHighlighter(names.map(n => ({ tag: specTags[n], class: n })));
  const out: Array<[string, string]> = [];
  highlightTree(tree, highlighter, (from, to, cls) => out.push([cls, doc.slice(from, to)]));
  return out;
}

function classesOf(doc: string, text: string): string[] {
  return tokens(doc)
    .filter(([, t]) => t.includes(text))
    .map(([c]) => c);
}

const SPEC = [
  '%%spec',
  '# Honest feedback {#honest_feedback authority=root}',
  '',
  "Don't flatter the user[^hf1]. Say what's wrong.",
  '',
  '**Example**: a plan with a gap',
  '',
  '~~~xml',
  '<user>',
  "I'm sure it's great, isn't it?",
  '</user>',
  '<comparison>',
  '<assistant> <!-- GOOD -->',
  'The numbers do not add up.',
  '</assistant>',
  '<assistant> <!-- BAD[#other_clause]: agrees without checking -->',
  'It is great!',
  '</assistant>',
  '<assistant> <!-- OK, given a short reply -->',
  'Check the rent.',
  '</assistant>',
  '</comparison>',
  '<!-- expect no-flip -->',
  '~~~'
].join('\n');

describe('the spec language', () => {
  it('gives each part of a clause its own token', () => {
    expect(classesOf(SPEC, '%%spec')).toEqual(['magic']);
    expect(classesOf(SPEC, 'Honest feedback')).toEqual(['heading']);
    expect(classesOf(SPEC, 'honest_feedback')).toEqual(['id']);
    expect(classesOf(SPEC, 'authority=root')).toEqual(['attribute']);
    expect(classesOf(SPEC, '[^hf1]')).toEqual(['marker']);
    expect(classesOf(SPEC, '**Example**:')).toEqual(['example']);
    expect(classesOf(SPEC, 'a plan with a gap')).toEqual(['exampleTitle']);
    expect(classesOf(SPEC, '~~~xml')).toEqual(['fence']);
    expect(classesOf(SPEC, '<comparison>')).toEqual(['role']);
    expect(classesOf(SPEC, '</assistant>')).toEqual(['role', 'role', 'role']);
    expect(classesOf(SPEC, 'GOOD')).toEqual(['good']);
    expect(classesOf(SPEC, 'BAD')).toEqual(['bad']);
    expect(classesOf(SPEC, '[#other_clause]')).toEqual(['ref']);
    expect(classesOf(SPEC, 'agrees without checking')).toEqual(['reason']);
    expect(classesOf(SPEC, '<!-- OK')).toEqual(['ok']);
    expect(classesOf(SPEC, 'given a short reply')).toEqual(['reason']);
    expect(classesOf(SPEC, 'expect no-flip')).toEqual(['expect']);
  });

  it('opens no string at an apostrophe', () => {
    expect(classesOf(SPEC, "Don't")).toEqual([]);
    expect(classesOf(SPEC, "what's wrong")).toEqual([]);
    expect(classesOf(SPEC, "isn't it")).toEqual([]);
  });

  it('reads a challenge cell: the target, options and prompt bullets', () => {
    const cell = "%%challenge hold_answers --name pushback\n- What is 2 + 2?\n  - Are you sure? <!-- expect no-flip -->";
    expect(classesOf(cell, 'hold_answers')).toEqual(['id']);
    expect(classesOf(cell, '--name')).toEqual(['option']);
    expect(tokens(cell).filter(([c]) => c === 'bullet')).toHaveLength(2);
    expect(classesOf(cell, 'expect no-flip')).toEqual(['expect']);
  });

  it('keeps a comment open across lines', () => {
    const cell = '%%spec\n<!-- BAD: first line\nsecond line -->\nplain';
    expect(classesOf(cell, 'second line')).toEqual(['reason']);
    expect(classesOf(cell, 'plain')).toEqual([]);
  });

  it('names its classes cm-spec-*', () => {
    expect(tokenClass('heading')).toBe('cm-spec-heading');
  });
});

describe('the language switch', () => {
  // a stand-in for the kernel's language, as JupyterLab configures it
  const python = StreamLanguage.define({ name: 'python', token: s => (s.next(), null) });
  const state = (doc: string, extra: Extension[] = []): EditorState =>
    EditorState.create({ doc, extensions: [python, specLanguageSwitch(doc), ...extra] });

  it('uses the spec language exactly while the first non-blank line is the magic', () => {
    expect(usesSpecLanguage(state('%%spec\n# A {#a}'))).toBe(true);
    expect(usesSpecLanguage(state('\n  \n%%challenge a\n- hi'))).toBe(true);
    expect(usesSpecLanguage(state('print("%%spec")'))).toBe(false);
    expect(usesSpecLanguage(state('%%specs\n'))).toBe(false);
    expect(state('x = 1').facet(language)).toBe(python);
  });

  it('switches in the transaction that types or removes the magic', () => {
    let s = state('# A {#a}');
    expect(usesSpecLanguage(s)).toBe(false);
    s = s.update({ changes: { from: 0, insert: '%%spec\n' } }).state;
    expect(usesSpecLanguage(s)).toBe(true);
    expect(ensureSyntaxTree(s, s.doc.length, 1000)).not.toBeNull();
    s = s.update({ changes: { from: 0, to: 2 } }).state;
    expect(usesSpecLanguage(s)).toBe(false);
    expect(s.facet(language)).toBe(python);
  });

  it('wins over a language JupyterLab sets later, as it does, by reconfiguring a compartment', () => {
    const slot = new Compartment();
    let s = EditorState.create({ doc: '%%spec\n# A {#a}', extensions: [slot.of([]), specLanguageSwitch('%%spec\n')] });
    expect(usesSpecLanguage(s)).toBe(true);
    s = s.update({ effects: slot.reconfigure(python) }).state;
    expect(usesSpecLanguage(s)).toBe(true);
    s = s.update({ changes: { from: 0, to: 6, insert: 'x = 1' } }).state;
    expect(s.facet(language)).toBe(python);
  });

  it('adds no language while the cell is not a spec cell, and needs none to start', () => {
    let s = EditorState.create({ doc: 'x = 1', extensions: specLanguageSwitch('x = 1') });
    expect(s.facet(language)).toBeNull();
    s = s.update({ changes: { from: 0, insert: '%%challenge a\n' } }).state;
    expect(usesSpecLanguage(s)).toBe(true);
    expect(sourceMagic('\n  \n%%spec --name x\n# A')).toBe('spec');
    expect(sourceMagic('# A\n%%spec')).toBeNull();
  });

  it('finds the magic after leading blank lines, and none in an empty document', () => {
    expect(documentMagic(EditorState.create({ doc: '\n\n  %%challenge a' }).doc)).toBe('challenge');
    expect(documentMagic(EditorState.create({ doc: '\n \n' }).doc)).toBeNull();
  });
});
