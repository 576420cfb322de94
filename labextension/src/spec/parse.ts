/**
 * A dependency-free reader of a notebook's `%%spec` and `%%challenge` cells, for the side panel
 * that shows the clauses and markers the open notebook defines.
 *
 * It mirrors the Python reader (jupyter_spec/spec/markdown.py, markers.py, challenges.py and
 * the structural checks of lint.py) but never throws: text Python would refuse is still outlined
 * as well as it can be. Every scan is linear in the size of the text (hand-written scanners; the
 * few regular expressions test one character or cannot backtrack), so a cell of several
 * megabytes is read in well under a second.
 *
 * Line numbers are 1-based within the cell's source as the editor shows it: with the magic on the
 * first line (the usual case) they are the line numbers Python reports (`first_line=2` for the
 * body).
 */

export interface NotebookCell {
  id: string;
  source: string;
}

/** A sentence marked `[^id]`: a sub-clause challenges can target. */
export interface Marker {
  id: string;
  /** The sentence the marker ends, whitespace collapsed and markers removed (as Python's). */
  sentence: string;
  cellId: string;
  line: number;
  /** Challenges (in `%%challenge` cells of this notebook) that target this marker's ID. */
  challenges: number;
}

/** A section: a clause when it has an `{#id}`, else a grouping node. */
export interface Clause {
  id: string | null;
  title: string;
  level: number;
  /** The effective authority: declared here or inherited from the enclosing sections. */
  authority: string | null;
  /** The authority this heading declares itself, if any. */
  declaredAuthority: string | null;
  classes: string[];
  cellId: string;
  line: number;
  markers: Marker[];
  /** Challenges that target this clause's own ID (its markers count their own). */
  challenges: number;
  /** Worked examples (`**Example**:` blocks) in the section. */
  examples: number;
  children: Clause[];
}

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  cellId: string;
  line: number;
  /** Where the other half of the finding is (the first declaration of a duplicate ID). */
  related?: { cellId: string; line: number };
}

export interface SpecOutline {
  /** Top-level sections; deeper headings are their children (sections nest across cells). */
  clauses: Clause[];
  /** Markers before the first heading of a `%%spec` cell: they declare nothing. */
  looseMarkers: Marker[];
  findings: Finding[];
}

// -- Python string semantics -------------------------------------------------------------------

/** Python's str.isspace() for one UTF-16 unit (\s in a Python str pattern). */
function isPySpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    (c >= 0x1c && c <= 0x20) ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

function isBlankOrTab(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Python's str.splitlines() (no line ends kept). */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (
      c === 0x0a ||
      c === 0x0d ||
      c === 0x0b ||
      c === 0x0c ||
      c === 0x1c ||
      c === 0x1d ||
      c === 0x1e ||
      c === 0x85 ||
      c === 0x2028 ||
      c === 0x2029
    ) {
      out.push(text.slice(start, i));
      i += c === 0x0d && text.charCodeAt(i + 1) === 0x0a ? 2 : 1;
      start = i;
    } else {
      i++;
    }
  }
  if (start < n) {
    out.push(text.slice(start));
  }
  return out;
}

function pyStripEnd(s: string, end = s.length): number {
  let e = end;
  while (e > 0 && isPySpace(s.charCodeAt(e - 1))) {
    e--;
  }
  return e;
}

function pyStrip(s: string): string {
  let a = 0;
  const e = pyStripEnd(s);
  while (a < e && isPySpace(s.charCodeAt(a))) {
    a++;
  }
  return s.slice(a, e);
}

/** Python's `not s.strip()`. */
export function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (!isPySpace(s.charCodeAt(i))) {
      return false;
    }
  }
  return true;
}

/** " ".join(s.split()) */
function collapse(s: string): string {
  const words: string[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && isPySpace(s.charCodeAt(i))) {
      i++;
    }
    const a = i;
    while (i < n && !isPySpace(s.charCodeAt(i))) {
      i++;
    }
    if (i > a) {
      words.push(s.slice(a, i));
    }
  }
  return words.join(' ');
}

/** Python's repr() of a str, as lint messages print titles and IDs. */
export function pyRepr(s: string): string {
  if (/^[\x20-\x26\x28-\x5b\x5d-\x7e]*$/.test(s)) {
    return `'${s}'`; // printable ASCII without quotes or backslashes: the common case
  }
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '\\' || ch === quote) {
      out += '\\' + ch;
    } else if (ch === '\n') {
      out += '\\n';
    } else if (ch === '\r') {
      out += '\\r';
    } else if (ch === '\t') {
      out += '\\t';
    } else if (ch !== ' ' && /^[\p{C}\p{Z}]$/u.test(ch)) {
      const hex = c.toString(16);
      out +=
        c < 0x100
          ? '\\x' + hex.padStart(2, '0')
          : c < 0x10000
            ? '\\u' + hex.padStart(4, '0')
            : '\\U' + hex.padStart(8, '0');
    } else {
      out += ch;
    }
  }
  return out + quote;
}

// -- markers (markers.py) ----------------------------------------------------------------------

function isIdStart(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f
  );
}

function isIdChar(c: number): boolean {
  return isIdStart(c) || c === 0x2e || c === 0x3a || c === 0x2d; // . : -
}

/** `[A-Za-z0-9_][A-Za-z0-9_.:-]*` in full. */
export function isValidId(s: string): boolean {
  if (!s || !isIdStart(s.charCodeAt(0))) {
    return false;
  }
  for (let i = 1; i < s.length; i++) {
    if (!isIdChar(s.charCodeAt(i))) {
      return false;
    }
  }
  return true;
}

/** A marker `[^id]` starting at `i` and ending by `end`: the index after its `]`, or -1. */
function markerAt(text: string, i: number, end: number): number {
  if (text.charCodeAt(i) !== 0x5b || text.charCodeAt(i + 1) !== 0x5e || i + 2 >= end) {
    return -1;
  }
  if (!isIdStart(text.charCodeAt(i + 2))) {
    return -1;
  }
  let j = i + 3;
  while (j < end && isIdChar(text.charCodeAt(j))) {
    j++;
  }
  return j < end && text.charCodeAt(j) === 0x5d ? j + 1 : -1;
}

/**
 * Inline code replaced by spaces of the same length, as Python's
 * `re.sub(r"(`+)(?:(?!\1).)+?\1", ...)` does (DOTALL), in linear time.
 *
 * From a position p with r backticks left in its run, that pattern matches with the longest
 * n in (r/2, r] such that a later run has at least n backticks, and closes at the first such run.
 */
export function blankCodeSpans(text: string): string {
  const starts: number[] = [];
  const lens: number[] = [];
  for (let i = 0; i < text.length; ) {
    if (text.charCodeAt(i) === 0x60) {
      const a = i;
      while (i < text.length && text.charCodeAt(i) === 0x60) {
        i++;
      }
      starts.push(a);
      lens.push(i - a);
    } else {
      i++;
    }
  }
  const count = starts.length;
  if (count < 2) {
    return text;
  }
  const laterMax = new Int32Array(count + 1); // laterMax[k] = max(lens[k:])
  for (let k = count - 1; k >= 0; k--) {
    laterMax[k] = Math.max(lens[k], laterMax[k + 1]);
  }
  const pieces: string[] = [];
  let copied = 0;
  let cursor = 0;
  for (let k = 0; k < count; k++) {
    const end = starts[k] + lens[k];
    if (end <= cursor) {
      continue;
    }
    const most = laterMax[k + 1];
    if (most === 0) {
      break;
    }
    let p = Math.max(starts[k], cursor);
    let r = end - p;
    if (2 * most <= r) {
      r = 2 * most - 1;
      p = end - r;
    }
    const n = Math.min(r, most);
    let j = k + 1;
    while (lens[j] < n) {
      j++;
    }
    const close = starts[j] + n;
    pieces.push(text.slice(copied, p), ' '.repeat(close - p));
    copied = close;
    cursor = close;
    k = j - 1;
  }
  if (copied === 0) {
    return text;
  }
  pieces.push(text.slice(copied));
  return pieces.join('');
}

const ABBREVIATIONS = ['e.g.', 'i.e.', 'etc.', 'vs.', 'cf.', 'Mr.', 'Ms.', 'Dr.', 'St.'];

function isSentencePunct(c: number): boolean {
  return c === 0x2e || c === 0x21 || c === 0x3f;
}

/** `["'”’)]`, and `]` too when `bracket`. */
function isCloser(c: number, bracket: boolean): boolean {
  return c === 0x22 || c === 0x27 || c === 0x201d || c === 0x2019 || c === 0x29 || (bracket && c === 0x5d);
}

/** Where the sentence ending at `end` begins (markers.py `_sentence_start`). */
function sentenceStart(scan: string, end: number, floor: number): number {
  let start = floor;
  let i = floor;
  while (i < end) {
    if (isSentencePunct(scan.charCodeAt(i))) {
      let j = i + 1;
      while (j < end && isCloser(scan.charCodeAt(j), true)) {
        j++;
      }
      if (j < end && isPySpace(scan.charCodeAt(j))) {
        while (j < end && isPySpace(scan.charCodeAt(j))) {
          j++;
        }
        const before = scan.slice(Math.max(floor, i - 4), i + 1);
        if (!ABBREVIATIONS.some(a => before.endsWith(a))) {
          start = j;
        }
        i = j;
        continue;
      }
    }
    i++;
  }
  return start;
}

/** A sentence without its markers, whitespace collapsed (markers.py `_clean`). */
function cleanSentence(text: string): string {
  let out = '';
  let copied = 0;
  for (let i = text.indexOf('[^'); i >= 0; i = text.indexOf('[^', i + 1)) {
    const after = markerAt(text, i, text.length);
    if (after >= 0) {
      out += text.slice(copied, i);
      copied = after;
      i = after - 1;
    }
  }
  return collapse(out + text.slice(copied));
}

/** At a newline: does a blank line follow (`\n\s*\n`)? */
function paragraphBreak(scan: string, i: number): boolean {
  for (let k = i + 1; k < scan.length; k++) {
    const c = scan.charCodeAt(k);
    if (c === 0x0a) {
      return true;
    }
    if (!isPySpace(c)) {
      return false;
    }
  }
  return false;
}

/** [id, sentence, offset] for every marker in a block of text (markers.py `marker_sentences`). */
export function markerSentences(text: string): Array<[string, string, number]> {
  const scan = blankCodeSpans(text);
  const out: Array<[string, string, number]> = [];
  const n = scan.length;
  let hit = scan.indexOf('[^'); // the next `[^` at or after where the scan is (or -1)
  let i = 0;
  while (i < n) {
    if (scan.charCodeAt(i) === 0x0a && paragraphBreak(scan, i)) {
      i++;
      continue;
    }
    const pStart = i;
    let pEnd = i + 1;
    while (pEnd < n && (scan.charCodeAt(pEnd) !== 0x0a || !paragraphBreak(scan, pEnd))) {
      pEnd++;
    }
    let floor = pStart;
    if (hit >= 0 && hit < pStart) {
      hit = scan.indexOf('[^', pStart);
    }
    for (let m = hit; m >= 0 && m < pEnd; m = hit = scan.indexOf('[^', m + 1)) {
      const after = markerAt(scan, m, pEnd);
      if (after < 0) {
        continue;
      }
      const start = sentenceStart(scan, m, floor);
      let end = after;
      if (end < pEnd && isSentencePunct(text.charCodeAt(end))) {
        end++;
      }
      while (end < pEnd && isCloser(text.charCodeAt(end), false)) {
        end++;
      }
      out.push([scan.slice(m + 2, after - 1), cleanSentence(text.slice(start, end)), m]);
      floor = end;
      m = after - 1;
    }
    i = pEnd;
  }
  return out;
}

/** Newlines in the text before an offset, for offsets that never decrease. */
class LineCounter {
  private at = 0;
  private lines = 0;
  constructor(private readonly text: string) {}
  upTo(offset: number): number {
    for (; this.at < offset; this.at++) {
      if (this.text.charCodeAt(this.at) === 0x0a) {
        this.lines++;
      }
    }
    return this.lines;
  }
}

// -- headings (markdown.py) --------------------------------------------------------------------

interface Heading {
  title: string;
  level: number;
  id: string | null;
  authority: string | null;
  classes: string[];
}

/** Python's `[\w-]` for one character. */
function isWordChar(ch: string): boolean {
  return ch === '-' || ch === '_' || /^[\p{L}\p{N}\p{Mn}\p{Mc}]$/u.test(ch);
}

/** `#id .class key=value key="quoted value"` (markdown.py `parse_attributes`), leniently. */
function parseAttributes(block: string, heading: Heading): void {
  const n = block.length;
  const keys = new Set<string>();
  let i = 0;
  const token = (from: number): number => {
    let j = from;
    while (j < n && !isPySpace(block.charCodeAt(j))) {
      j++;
    }
    return j;
  };
  while (i < n) {
    if (isPySpace(block.charCodeAt(i))) {
      i++;
      continue;
    }
    const ch = block[i];
    if (ch === '#') {
      const j = token(i + 1);
      const ident = block.slice(i + 1, j);
      if (heading.id === null && isValidId(ident)) {
        heading.id = ident;
      }
      i = j;
      continue;
    }
    if (ch === '.' && i + 1 < n && !isPySpace(block.charCodeAt(i + 1))) {
      const j = token(i + 1);
      heading.classes.push(block.slice(i + 1, j));
      i = j;
      continue;
    }
    if (/^[A-Za-z_]$/.test(ch)) {
      let j = i + 1;
      while (j < n && isWordChar(block[j])) {
        j++;
      }
      if (block[j] === '=') {
        const key = block.slice(i, j);
        let value: string | null = null;
        let next = j + 1;
        const closing = block[next] === '"' ? block.indexOf('"', next + 1) : -1;
        if (closing >= 0) {
          value = block.slice(next + 1, closing);
          next = closing + 1;
        } else if (next < n && !isPySpace(block.charCodeAt(next))) {
          const k = token(next);
          value = block.slice(next, k);
          next = k;
        }
        if (value !== null) {
          if (key === 'authority' && !keys.has(key)) {
            heading.authority = value;
          }
          keys.add(key);
          i = next;
          continue;
        }
      }
    }
    i = token(i); // junk: Python refuses the heading; it is read without it here
  }
}

/** A heading line (markdown.py `HEADING` and `parse_heading`), or null. */
function parseHeading(line: string): Heading | null {
  let level = 0;
  while (level < line.length && line.charCodeAt(level) === 0x23) {
    level++;
  }
  if (level === 0 || level > 6) {
    return null;
  }
  if (level < line.length && !isBlankOrTab(line.charCodeAt(level))) {
    return null;
  }
  // rest: after the blanks, without a closing `[ \t]+#+` sequence and trailing blanks
  let a = level;
  while (a < line.length && isBlankOrTab(line.charCodeAt(a))) {
    a++;
  }
  let e = line.length;
  while (e > a && isBlankOrTab(line.charCodeAt(e - 1))) {
    e--;
  }
  let h = e;
  while (h > a && line.charCodeAt(h - 1) === 0x23) {
    h--;
  }
  if (h < e && h > a && isBlankOrTab(line.charCodeAt(h - 1))) {
    e = h;
    while (e > a && isBlankOrTab(line.charCodeAt(e - 1))) {
      e--;
    }
  }
  const rest = line.slice(a, e);
  const heading: Heading = { title: '', level, id: null, authority: null, classes: [] };
  const brace = rest.indexOf('{');
  if (brace >= 0 && rest.endsWith('}')) {
    heading.title = rest.slice(0, pyStripEnd(rest, brace));
    parseAttributes(rest.slice(brace + 1, -1), heading);
  } else {
    heading.title = pyStrip(rest);
  }
  return heading; // an empty title is a syntax error in Python; kept here
}

// -- spec cells --------------------------------------------------------------------------------

interface RawSection {
  heading: Heading;
  cellId: string;
  cellIndex: number;
  line: number;
  markers: Marker[];
  examples: number;
  /** Python's `Section.text` is not empty. */
  hasText: boolean;
}

interface TextBlock {
  text: string;
  /** The line of the block text's first line. */
  first: number;
}

const EXAMPLE_PREFIX = '**Example**:';

/** `^[ \t]{0,3}(~{3,}|`{3,})`: the fence's character and length, or null. */
function fenceAt(line: string): { ch: number; len: number; at: number } | null {
  let i = 0;
  while (i < 3 && i < line.length && isBlankOrTab(line.charCodeAt(i))) {
    i++;
  }
  const ch = line.charCodeAt(i);
  if (ch !== 0x7e && ch !== 0x60) {
    return null;
  }
  let j = i;
  while (j < line.length && line.charCodeAt(j) === ch) {
    j++;
  }
  return j - i >= 3 ? { ch, len: j - i, at: i } : null;
}

/** The closing line of an example block: `^[ \t]{0,3}C{len,}[ \t]*$`. */
function closesExample(line: string, ch: number, len: number): boolean {
  const f = fenceAt(line);
  if (!f || f.ch !== ch || f.len < len) {
    return false;
  }
  for (let i = f.at + f.len; i < line.length; i++) {
    if (!isBlankOrTab(line.charCodeAt(i))) {
      return false;
    }
  }
  return true;
}

/** The index after an example block starting at lines[i] (transcript.py `read_example_block`). */
function skipExample(lines: string[], i: number): number {
  let k = i + 1;
  while (k < lines.length && isBlank(lines[k])) {
    k++;
  }
  const fence = k < lines.length ? fenceAt(lines[k]) : null;
  if (!fence) {
    return i + 1; // Python: "expected a fenced block": read the line alone
  }
  let end = k + 1;
  while (end < lines.length && !closesExample(lines[end], fence.ch, fence.len)) {
    end++;
  }
  return Math.min(end + 1, lines.length);
}

function isAdmonition(line: string): boolean {
  return line.startsWith('!!!');
}

/** Markers of a text block, with their lines. */
function blockMarkers(block: TextBlock, cellId: string): Marker[] {
  const counter = new LineCounter(block.text);
  return markerSentences(block.text).map(([id, sentence, offset]) => ({
    id,
    sentence,
    cellId,
    line: block.first + counter.upTo(offset),
    challenges: 0
  }));
}

interface SpecCellResult {
  sections: RawSection[];
  loose: Marker[];
}

function parseSpecBody(lines: string[], firstLine: number, cellId: string, cellIndex: number): SpecCellResult {
  const sections: RawSection[] = [];
  const loose: Marker[] = [];
  let current: RawSection | null = null;
  let prose: string[] = [];
  let proseLine = 0;
  let textParts = 0;
  let textNonEmpty = false;

  const addBlock = (block: TextBlock, normative: boolean): void => {
    if (current === null) {
      for (const m of blockMarkers(block, cellId)) {
        loose.push(m);
      }
      return;
    }
    if (!normative) {
      return;
    }
    for (const m of blockMarkers(block, cellId)) {
      current.markers.push(m);
    }
    textParts++;
    textNonEmpty = textNonEmpty || block.text.length > 0;
  };
  const flushProse = (): void => {
    if (prose.length) {
      let text = prose.join('\n');
      let a = 0;
      while (text.charCodeAt(a) === 0x0a) {
        a++;
      }
      text = text.slice(a, pyStripEnd(text));
      if (text) {
        addBlock({ text, first: proseLine }, true);
      }
    }
    prose = [];
  };
  const addProse = (line: string, number: number): void => {
    if (!prose.length && isBlank(line)) {
      return;
    }
    if (!prose.length) {
      proseLine = number;
    }
    prose.push(line);
  };
  const finish = (): void => {
    flushProse();
    if (current) {
      current.hasText = textParts > 1 || textNonEmpty;
      sections.push(current);
    }
  };

  let fence: { ch: number; len: number } | null = null;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const number = i + firstLine;
    const f = fenceAt(line);
    if (fence !== null) {
      if (f && f.ch === fence.ch && f.len >= fence.len) {
        fence = null;
      }
      addProse(line, number);
      i++;
      continue;
    }
    const heading = parseHeading(line);
    if (heading !== null) {
      finish();
      current = {
        heading,
        cellId,
        cellIndex,
        line: number,
        markers: [],
        examples: 0,
        hasText: false
      };
      textParts = 0;
      textNonEmpty = false;
      i++;
    } else if (line.startsWith(EXAMPLE_PREFIX)) {
      flushProse();
      if (current) {
        current.examples++;
      }
      i = skipExample(lines, i);
    } else if (isAdmonition(line)) {
      flushProse();
      let k = 3;
      while (k < line.length && isBlankOrTab(line.charCodeAt(k))) {
        k++;
      }
      const meta = line.startsWith('meta', k) && (k + 4 === line.length || isBlankOrTab(line.charCodeAt(k + 4)));
      let end = i + 1;
      const body: string[] = [];
      while (end < lines.length) {
        const b = lines[end];
        if (b.startsWith('    ')) {
          body.push(b.slice(4));
        } else if (b.startsWith('\t') || isBlank(b)) {
          body.push(b.slice(1));
        } else {
          break;
        }
        end++;
      }
      while (body.length && isBlank(body[body.length - 1])) {
        body.pop();
        end--;
      }
      let text = body.join('\n');
      let a = 0;
      let z = text.length;
      while (text.charCodeAt(a) === 0x0a) {
        a++;
      }
      while (z > a && text.charCodeAt(z - 1) === 0x0a) {
        z--;
      }
      text = text.slice(a, z);
      addBlock({ text, first: number + 1 }, !meta);
      i = end;
    } else {
      if (f) {
        fence = f;
      }
      addProse(line, number);
      i++;
    }
  }
  finish();
  return { sections, loose };
}

// -- challenge cells (challenges.py) -----------------------------------------------------------

interface RawChallenge {
  target: string;
  title: string;
  cellId: string;
  cellIndex: number;
  line: number;
}

/** `Examples for [^id] ...:` (writer.py `HEADER`), leniently: the line is skipped. */
function isChallengeHeader(line: string): boolean {
  return line.startsWith('Examples for [^') && line.includes(']');
}

/** The text with `<!-- expect ... -->` comments taken out (transcript.py `EXPECT_COMMENT`). */
function withoutExpectations(text: string): string {
  let out = '';
  let copied = 0;
  let from = 0;
  for (;;) {
    const open = text.indexOf('<!--', from);
    if (open < 0) {
      break;
    }
    let k = open + 4;
    while (k < text.length && isPySpace(text.charCodeAt(k))) {
      k++;
    }
    const word = text.slice(k, k + 6).toLowerCase();
    const after = text[k + 6];
    if (word !== 'expect' || (after !== undefined && isWordChar(after))) {
      from = open + 1;
      continue;
    }
    const close = text.indexOf('-->', k + 6);
    if (close < 0) {
      break;
    }
    out += text.slice(copied, open);
    copied = close + 3;
    from = copied;
  }
  return out + text.slice(copied);
}

function challengeTitle(content: string): string {
  const title = Array.from(collapse(content));
  return title.length <= 60 ? title.join('') : title.slice(0, 59).join('') + '\u2026';
}

function parseChallengeBody(
  lines: string[],
  firstLine: number,
  target: string,
  cellId: string,
  cellIndex: number
): RawChallenge[] {
  let i = 0;
  while (i < lines.length && isBlank(lines[i])) {
    i++;
  }
  if (i < lines.length && isChallengeHeader(lines[i])) {
    i++;
  }
  const out: RawChallenge[] = [];
  const exampleForm = lines.slice(i).some(l => l.startsWith(EXAMPLE_PREFIX));
  if (exampleForm) {
    while (i < lines.length) {
      if (lines[i].startsWith(EXAMPLE_PREFIX)) {
        const raw = lines[i].slice(EXAMPLE_PREFIX.length);
        let a = 0;
        while (a < raw.length && isBlankOrTab(raw.charCodeAt(a))) {
          a++;
        }
        out.push({ target, title: raw.slice(a, pyStripEnd(raw)), cellId, cellIndex, line: i + firstLine });
        i = skipExample(lines, i);
      } else {
        i++; // blank, or a line Python refuses
      }
    }
    return out;
  }
  let prompt: string[] | null = null; // the first user turn of the current challenge
  let inFirstTurn = false;
  let promptLine = 0;
  const flush = (): void => {
    if (prompt) {
      out.push({ target, title: challengeTitle(pyStrip(prompt.join('\n'))), cellId, cellIndex, line: promptLine });
    }
  };
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (isBlank(line)) {
      continue;
    }
    let indent = 0;
    while (indent < line.length && isBlankOrTab(line.charCodeAt(indent))) {
      indent++;
    }
    const bullet =
      (line[indent] === '-' || line[indent] === '*') && isBlankOrTab(line.charCodeAt(indent + 1));
    let at = indent;
    if (bullet) {
      at = indent + 1;
      while (at < line.length && isBlankOrTab(line.charCodeAt(at))) {
        at++;
      }
    } else {
      at = 0;
      while (at < line.length && isPySpace(line.charCodeAt(at))) {
        at++;
      }
    }
    const text = withoutExpectations(line.slice(at, pyStripEnd(line)));
    const cleaned = text.slice(0, pyStripEnd(text));
    if (bullet && indent === 0) {
      flush();
      prompt = [cleaned];
      inFirstTurn = true;
      promptLine = i + firstLine;
    } else if (bullet) {
      inFirstTurn = false; // a follow-up turn: not a new challenge, and not the title's turn
    } else if (prompt && inFirstTurn) {
      prompt.push(cleaned);
    }
  }
  flush();
  return out;
}

// -- the magic line (IPython's input transformers) ---------------------------------------------

interface MagicCell {
  magic: 'spec' | 'challenge';
  args: string[];
  bodyLines: string[];
  /** The line (in the cell) of the body's first line. */
  firstLine: number;
  /** The line (in the cell) of the magic. */
  magicLine: number;
}

/** Split like shlex: whitespace-separated words, with '...' and "..." quoting. */
function splitArgs(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) {
        quote = null;
      } else {
        word += ch;
      }
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word = word ?? '';
    } else if (/\s/.test(ch)) {
      if (word !== null) {
        words.push(word);
        word = null;
      }
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== null) {
    words.push(word);
  }
  return words;
}

/** The positional arguments, `--name N`, `-n N`, `--name=N` left out. */
function positionals(args: string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    if (a === '--name' || a === '-n') {
      k++;
    } else if (!a.startsWith('-') || a === '-') {
      out.push(a);
    }
  }
  return out;
}

/** The cell magic a cell's first non-blank line starts, if it is one of ours. */
export function magicName(line: string): 'spec' | 'challenge' | null {
  const head = line.trimStart();
  if (!head.startsWith('%%')) {
    return null;
  }
  const rest = head.slice(2, pyStripEnd(head));
  const space = rest.indexOf(' ');
  const name = space < 0 ? rest : rest.slice(0, space);
  return name === 'spec' || name === 'challenge' ? name : null;
}

/** The magic of a cell's text: its first non-blank line's, found without splitting the rest. */
export function sourceMagic(source: string): 'spec' | 'challenge' | null {
  for (let start = 0; ; ) {
    const end = source.indexOf('\n', start);
    const line = source.slice(start, end < 0 ? source.length : end).replace(/\r$/, '');
    if (!isBlank(line)) {
      return magicName(line);
    }
    if (end < 0) {
      return null;
    }
    start = end + 1;
  }
}

/**
 * A `%%spec` or `%%challenge` cell, as IPython reads it: leading blank lines dropped, the first
 * line's indentation removed from every line, then `%%name args` on the first line.
 */
function readMagic(source: string): MagicCell | null {
  const all = splitLines(source);
  let skip = 0;
  while (skip < all.length && isBlank(all[skip])) {
    skip++;
  }
  if (skip >= all.length) {
    return null;
  }
  let lines = all.slice(skip);
  const indent = /^[ \t]*/.exec(lines[0].slice(0, 1000))![0];
  if (indent) {
    lines = lines.map(l => (l.startsWith(indent) ? l.slice(indent.length) : l));
  }
  const head = lines[0];
  const name = magicName(head);
  if (name === null) {
    return null;
  }
  const rest = head.slice(2, pyStripEnd(head));
  const space = rest.indexOf(' ');
  return {
    magic: name,
    args: splitArgs(space < 0 ? '' : rest.slice(space + 1)),
    bodyLines: lines.slice(1),
    firstLine: skip + 2,
    magicLine: skip + 1
  };
}

// -- the outline and its checks (lint.py `_structure`, `dangling_references`) ------------------

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1 };

export function parseNotebook(cells: NotebookCell[]): SpecOutline {
  const sections: RawSection[] = [];
  const looseMarkers: Marker[] = [];
  const challenges: RawChallenge[] = [];
  const cellOrder = new Map<string, number>();

  cells.forEach((cell, cellIndex) => {
    cellOrder.set(cell.id, cellIndex);
    const magic = readMagic(cell.source ?? '');
    if (magic === null) {
      return;
    }
    if (magic.magic === 'spec') {
      const result = parseSpecBody(magic.bodyLines, magic.firstLine, cell.id, cellIndex);
      for (const s of result.sections) {
        sections.push(s);
      }
      for (const m of result.loose) {
        looseMarkers.push(m);
      }
    } else {
      const ids = positionals(magic.args);
      if (ids.length === 1) {
        for (const c of parseChallengeBody(magic.bodyLines, magic.firstLine, ids[0], cell.id, cellIndex)) {
          challenges.push(c);
        }
      }
    }
  });

  const counts = new Map<string, number>();
  for (const c of challenges) {
    counts.set(c.target, (counts.get(c.target) ?? 0) + 1);
  }

  // The tree: sections nest by heading level across cells (document.py `_parents`).
  const roots: Clause[] = [];
  const entries: { node: Clause; raw: RawSection; parent: number; hasIdBelow: boolean }[] = [];
  const stack: number[] = []; // indices into entries
  sections.forEach(raw => {
    const h = raw.heading;
    while (stack.length && entries[stack[stack.length - 1]].node.level >= h.level) {
      stack.pop();
    }
    const parentIndex = stack.length ? stack[stack.length - 1] : -1;
    const parent = parentIndex >= 0 ? entries[parentIndex].node : null;
    const node: Clause = {
      id: h.id,
      title: h.title,
      level: h.level,
      authority: h.authority ?? parent?.authority ?? null,
      declaredAuthority: h.authority,
      classes: h.classes,
      cellId: raw.cellId,
      line: raw.line,
      markers: raw.markers,
      challenges: h.id !== null ? counts.get(h.id) ?? 0 : 0,
      examples: raw.examples,
      children: []
    };
    for (const m of raw.markers) {
      m.challenges = counts.get(m.id) ?? 0;
    }
    (parent ? parent.children : roots).push(node);
    entries.push({ node, raw, parent: parentIndex, hasIdBelow: false });
    if (h.id !== null) {
      for (let k = parentIndex; k >= 0 && !entries[k].hasIdBelow; k = entries[k].parent) {
        entries[k].hasIdBelow = true;
      }
    }
    stack.push(entries.length - 1);
  });

  const findings: Finding[] = [];
  const findingCell: number[] = [];
  const add = (f: Finding, cellIndex: number): void => {
    findings.push(f);
    findingCell.push(cellIndex);
  };

  // duplicate-id: clause and marker IDs share one namespace
  const seen = new Map<string, { cellId: string; line: number }>();
  const clauseIds = new Set<string>();
  const firstMarkerEntry = new Map<string, number>();
  const declare = (id: string, line: number, raw: RawSection): void => {
    const first = seen.get(id);
    if (first) {
      const where = first.cellId === raw.cellId ? `line ${first.line}` : `line ${first.line} in another cell`;
      add(
        {
          severity: 'error',
          code: 'duplicate-id',
          message: `ID ${pyRepr(id)} is declared again (first at ${where})`,
          cellId: raw.cellId,
          line,
          related: { cellId: first.cellId, line: first.line }
        },
        raw.cellIndex
      );
    } else {
      seen.set(id, { cellId: raw.cellId, line });
    }
  };
  entries.forEach(({ node, raw }, index) => {
    if (node.id !== null) {
      declare(node.id, node.line, raw);
      clauseIds.add(node.id);
    }
    for (const m of node.markers) {
      declare(m.id, m.line, raw);
      if (!firstMarkerEntry.has(m.id)) {
        firstMarkerEntry.set(m.id, index);
      }
    }
  });

  for (const m of looseMarkers) {
    add(
      {
        severity: 'warning',
        code: 'marker-outside-clause',
        message: `marker [^${m.id}] is before the first heading, in no clause: it declares nothing`,
        cellId: m.cellId,
        line: m.line
      },
      cellOrder.get(m.cellId) ?? 0
    );
  }

  const inClause = (id: string): boolean => {
    if (clauseIds.has(id)) {
      return true;
    }
    for (let k = firstMarkerEntry.get(id) ?? -1; k >= 0; k = entries[k].parent) {
      if (entries[k].node.id !== null) {
        return true;
      }
    }
    return false;
  };
  for (const { node, raw, hasIdBelow } of entries) {
    for (const m of node.markers) {
      if (!counts.has(m.id)) {
        add(
          {
            severity: 'warning',
            code: 'untested-marker',
            message: `marker [^${m.id}] has no challenges`,
            cellId: m.cellId,
            line: m.line
          },
          raw.cellIndex
        );
      }
      if (!inClause(m.id)) {
        add(
          {
            severity: 'warning',
            code: 'marker-outside-clause',
            message: `marker [^${m.id}] is in no section with an ID`,
            cellId: m.cellId,
            line: m.line
          },
          raw.cellIndex
        );
      }
    }
    if (node.id === null || !raw.hasText || hasIdBelow) {
      continue;
    }
    const tested = counts.has(node.id) || node.markers.some(m => counts.has(m.id));
    if (!tested && node.examples === 0) {
      add(
        {
          severity: 'warning',
          code: 'untested-clause',
          message: `clause ${pyRepr(node.id)} has neither challenges nor examples`,
          cellId: node.cellId,
          line: node.line
        },
        raw.cellIndex
      );
    }
  }

  const declared = new Set<string>([...clauseIds, ...firstMarkerEntry.keys()]);
  for (const c of challenges) {
    if (!declared.has(c.target)) {
      add(
        {
          severity: 'error',
          code: 'unknown-target',
          message: `challenge ${pyRepr(c.title)} tests [^${c.target}], which the spec no longer declares`,
          cellId: c.cellId,
          line: c.line
        },
        c.cellIndex
      );
    }
  }

  const order = findings.map((_, k) => k);
  order.sort((a, b) => {
    const x = findings[a];
    const y = findings[b];
    return (
      SEVERITY_ORDER[x.severity] - SEVERITY_ORDER[y.severity] ||
      findingCell[a] - findingCell[b] ||
      x.line - y.line ||
      a - b
    );
  });
  return { clauses: roots, looseMarkers, findings: order.map(k => findings[k]) };
}
