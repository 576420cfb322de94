/**
 * The CodeMirror 6 language of `%%spec` and `%%challenge` cells, and the switch that gives a cell
 * this language exactly while its first line is one of those magics.
 *
 * The switch lives inside the editor state (a field computed from the document in the same
 * transaction that changes it), not in the cell model's MIME type: JupyterLab sets a notebook's
 * cells to the kernel's language asynchronously (when a notebook opens, when its kernel starts,
 * when a cell is added), and a MIME type set by us could be overwritten by one of those late
 * updates. A language facet at the highest precedence wins over whatever JupyterLab configures
 * and yields to it again as soon as the magic is gone.
 *
 * Token classes (`cm-spec-*`) are stable names the stylesheet and the UI tests use; each tag
 * also inherits from a standard tag so the editor theme colours it.
 */

import { Language, StreamLanguage, StringStream, language, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState, Extension, Prec, Text } from '@codemirror/state';
import { Tag, tagHighlighter, tags } from '@lezer/highlight';

import { isBlank, magicName, sourceMagic } from './parse';

/** The tags of the spec language, each under the standard tag the theme knows. */
export const specTags = {
  magic: Tag.define(tags.keyword),
  option: Tag.define(tags.attributeName),
  heading: Tag.define(tags.heading),
  attribute: Tag.define(tags.attributeName),
  id: Tag.define(tags.labelName),
  marker: Tag.define(tags.link),
  role: Tag.define(tags.tagName),
  good: Tag.define(tags.inserted),
  bad: Tag.define(tags.deleted),
  ok: Tag.define(tags.changed),
  reason: Tag.define(tags.comment),
  ref: Tag.define(tags.link),
  expect: Tag.define(tags.processingInstruction),
  comment: Tag.define(tags.comment),
  example: Tag.define(tags.strong),
  exampleTitle: Tag.define(tags.emphasis),
  fence: Tag.define(tags.meta),
  meta: Tag.define(tags.meta),
  bullet: Tag.define(tags.list)
};

type TokenName = keyof typeof specTags;

/** The stable class of each token, e.g. `cm-spec-heading`, `cm-spec-exampleTitle`. */
export function tokenClass(name: TokenName): string {
  return `cm-spec-${name}`;
}

const ROLE_TAG = /^<\/?(?:comparison|system|developer|user|assistant|tool)>/;
const LABEL = /^<!--\s*(GOOD|BAD|OK)\b/;
const EXPECT = /^<!--\s*expect\b/i;
const MARKER = /^\[\^[^\]\s]{1,200}\]/; // bounded: a long run of `[^` stays linear
const REF = /^\[#[^\]]{0,200}\]/;
/** Characters at which a plain run of text stops so a token may start. */
const SPECIAL = new Set(['[', '<', '{']);

interface SpecState {
  /** Whether the first non-blank line (where a magic can be) has been read. */
  seenMagic: boolean;
  magic: 'spec' | 'challenge' | null;
  /** What the rest of the current line is: the magic's arguments, a heading, an example title. */
  rest: 'magicArgs' | 'heading' | 'exampleTitle' | 'attribute' | null;
  /** Whether the first word after `{#` (the ID) has been read. */
  attributeId: boolean;
  /** Inside `<!-- ... -->`, which may span lines. */
  comment: 'good' | 'bad' | 'ok' | 'expect' | 'comment' | null;
}

function readComment(stream: StringStream, state: SpecState): TokenName {
  const kind = state.comment!;
  if (stream.match('-->')) {
    state.comment = null;
    return kind;
  }
  if (kind === 'good' || kind === 'bad' || kind === 'ok') {
    if (stream.match(REF)) {
      return 'ref';
    }
    while (!stream.eol() && !stream.match('-->', false) && !stream.match(REF, false)) {
      stream.next();
    }
    return 'reason';
  }
  while (!stream.eol() && !stream.match('-->', false)) {
    stream.next();
  }
  return kind;
}

function readAttribute(stream: StringStream, state: SpecState): TokenName {
  if (stream.eat('}')) {
    state.rest = 'heading';
    return 'attribute';
  }
  if (!state.attributeId) {
    state.attributeId = true;
    if (stream.match(/^[^\s}]+/)) {
      return 'id';
    }
  }
  stream.eatWhile(c => c !== '}');
  return 'attribute';
}

function readLineStart(stream: StringStream, state: SpecState): TokenName | null {
  if (!state.seenMagic) {
    if (stream.match(/^\s*$/)) {
      return null;
    }
    state.seenMagic = true;
    const name = magicName(stream.string);
    if (name !== null) {
      state.magic = name;
      stream.match(/^\s*%%\S+/);
      state.rest = 'magicArgs';
      return 'magic';
    }
  }
  if (stream.match(/^#{1,6}(?=\s|$)/)) {
    state.rest = 'heading';
    return 'heading';
  }
  if (stream.match(/^\s*(?:~~~|```)/)) {
    stream.skipToEnd();
    return 'fence';
  }
  if (stream.match(/^!!!\s/)) {
    stream.skipToEnd();
    return 'meta';
  }
  if (stream.match('**Example**:')) {
    state.rest = 'exampleTitle';
    return 'example';
  }
  if (state.magic === 'challenge' && stream.match(/^\s*-(?=\s)/)) {
    return 'bullet';
  }
  return null;
}

function readToken(stream: StringStream, state: SpecState): TokenName | null {
  if (stream.sol()) {
    state.rest = null;
    if (state.comment === null) {
      const start = readLineStart(stream, state);
      if (start !== null || stream.eol()) {
        return start;
      }
    }
  }
  if (state.comment !== null) {
    return readComment(stream, state);
  }
  if (state.rest === 'attribute') {
    return readAttribute(stream, state);
  }
  if (state.rest === 'magicArgs') {
    if (stream.eatSpace()) {
      return null;
    }
    const word = stream.match(/^\S+/) as RegExpMatchArray;
    return word[0].startsWith('-') ? 'option' : 'id';
  }
  if (stream.match(MARKER)) {
    return 'marker';
  }
  if (state.rest === 'heading' && stream.match('{#')) {
    state.rest = 'attribute';
    state.attributeId = false;
    return 'attribute';
  }
  const label = stream.match(LABEL) as RegExpMatchArray | null;
  if (label) {
    state.comment = label[1].toLowerCase() as 'good' | 'bad' | 'ok';
    return state.comment;
  }
  if (stream.match(EXPECT)) {
    state.comment = 'expect';
    return 'expect';
  }
  if (stream.match('<!--')) {
    state.comment = 'comment';
    return 'comment';
  }
  if (stream.match(ROLE_TAG)) {
    return 'role';
  }
  stream.next();
  stream.eatWhile(c => !SPECIAL.has(c));
  return state.rest === 'heading' ? 'heading' : state.rest === 'exampleTitle' ? 'exampleTitle' : null;
}

/** Token names are prefixed: plain ones such as `meta` or `attribute` are CodeMirror's own. */
function token(stream: StringStream, state: SpecState): string | null {
  const name = readToken(stream, state);
  return name === null ? null : `spec-${name}`;
}

const TOKEN_TABLE = Object.fromEntries(Object.entries(specTags).map(([name, tag]) => [`spec-${name}`, tag]));

/** The language itself: a stream tokenizer (incremental, and only as far as the viewport). */
export const specLanguage: Language = StreamLanguage.define<SpecState>({
  name: 'jupyter-spec',
  startState: () => ({
    seenMagic: false,
    magic: null,
    rest: null,
    attributeId: false,
    comment: null
  }),
  copyState: s => ({ ...s }),
  token,
  tokenTable: TOKEN_TABLE,
  languageData: { commentTokens: { block: { open: '<!--', close: '-->' } } }
});

/** Stable class names for the spec tokens, on top of the theme's colours. */
export const specHighlighting: Extension = syntaxHighlighting(
  tagHighlighter(
    (Object.keys(specTags) as TokenName[]).map(name => ({ tag: specTags[name], class: tokenClass(name) }))
  )
);

/** The magic of an editor's document: its first non-blank line's (as `sourceMagic` for a string). */
export function documentMagic(doc: Text): 'spec' | 'challenge' | null {
  for (let n = 1; n <= doc.lines; n++) {
    const line = doc.line(n).text;
    if (!isBlank(line)) {
      return magicName(line);
    }
  }
  return null;
}

/**
 * The editor extension: the spec language while the document starts with `%%spec` or
 * `%%challenge`, the editor's own language otherwise. `source` is the text the editor starts
 * with; every later change is checked in the transaction that makes it.
 *
 * A compartment rather than a computed facet: while the cell is not a spec cell this adds
 * nothing at all (CodeMirror's parser state needs some language once any is configured, and
 * JupyterLab configures the kernel's language only later, asynchronously).
 */
export function specLanguageSwitch(source = ''): Extension {
  const slot = new Compartment();
  const choose = (on: boolean): Extension => (on ? Prec.highest(specLanguage.extension) : []);
  return [
    slot.of(choose(sourceMagic(source) !== null)),
    EditorState.transactionExtender.of(tr => {
      if (!tr.docChanged) {
        return null;
      }
      const on = documentMagic(tr.newDoc) !== null;
      return on === usesSpecLanguage(tr.startState) ? null : { effects: slot.reconfigure(choose(on)) };
    }),
    specHighlighting
  ];
}

/** Whether an editor state currently uses the spec language (for tests and the completer). */
export function usesSpecLanguage(state: EditorState): boolean {
  return state.facet(language) === specLanguage;
}
