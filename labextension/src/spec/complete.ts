/**
 * What to offer when the user asks for completion in a `%%spec` or `%%challenge` cell: the
 * clause IDs and markers the notebook's `%%spec` cells declare, where an ID is expected.
 *
 * - after `[^` (a marker reference, or a challenge file's `Examples for [^id]` header): markers;
 * - after `[#` (a label's cross-reference, `<!-- BAD[#other] -->`): clause IDs;
 * - on the `%%challenge` line, as its target: clause IDs and markers.
 */

import { Clause, SpecOutline } from './parse';

export interface Candidate {
  id: string;
  kind: 'clause' | 'marker';
  /** The clause's title or the marker's sentence, to tell candidates apart. */
  detail: string;
}

export interface Completions {
  /** Offsets in the line: the typed prefix that a candidate replaces. */
  start: number;
  end: number;
  candidates: Candidate[];
}

/** Every ID the outline declares, clauses before markers, each in document order, once. */
export function declaredIds(outline: SpecOutline): { clauses: Candidate[]; markers: Candidate[] } {
  const clauses: Candidate[] = [];
  const markers: Candidate[] = [];
  const seen = new Set<string>();
  const walk = (nodes: Clause[]): void => {
    for (const node of nodes) {
      if (node.id !== null && !seen.has(node.id)) {
        seen.add(node.id);
        clauses.push({ id: node.id, kind: 'clause', detail: node.title });
      }
      for (const m of node.markers) {
        if (!seen.has(m.id)) {
          seen.add(m.id);
          markers.push({ id: m.id, kind: 'marker', detail: m.sentence });
        }
      }
      walk(node.children);
    }
  };
  walk(outline.clauses);
  return { clauses, markers };
}

const MARKER_REF = /\[\^([^\]\s]*)$/;
const CLAUSE_REF = /\[#([^\]\s]*)$/;
const CHALLENGE_TARGET = /^\s*%%challenge\s+([^\s-][^\s]*|)$/;

/**
 * The completions at `column` of `line`, or null where no ID is expected.
 * `isMagicLine` says whether the line is the cell's magic line.
 */
export function completeAt(
  outline: SpecOutline,
  line: string,
  column: number,
  isMagicLine: boolean
): Completions | null {
  const before = line.slice(0, column);
  const { clauses, markers } = declaredIds(outline);
  let match: RegExpExecArray | null;
  let pool: Candidate[];
  if ((match = MARKER_REF.exec(before))) {
    pool = markers;
  } else if ((match = CLAUSE_REF.exec(before))) {
    pool = clauses;
  } else if (isMagicLine && (match = CHALLENGE_TARGET.exec(before))) {
    pool = [...clauses, ...markers];
  } else {
    return null;
  }
  const prefix = match[1];
  // a completion inside an ID replaces all of it, up to the closing bracket or the next space
  const rest = /^[^\]\s]*/.exec(line.slice(column))![0];
  return {
    start: column - prefix.length,
    end: column + rest.length,
    candidates: pool.filter(c => c.id.startsWith(prefix))
  };
}
