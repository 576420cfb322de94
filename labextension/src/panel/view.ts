/**
 * The side panel's content as pure DOM: the spec's clauses and markers as a tree with challenge
 * counts and the latest adherence, then the lint findings. Every string reaches the page through
 * textContent or title (spec text is as untrusted as model output).
 */

import { el, percent } from '../render';
import { Clause, Finding, Marker, SpecOutline } from '../spec/parse';
import { ClauseAdherence } from './latest';

export const PANEL_CSS = {
  root: 'jp-SpecPanel',
  source: 'jp-SpecPanel-source',
  summary: 'jp-SpecPanel-summary',
  tree: 'jp-SpecPanel-tree',
  entry: 'jp-SpecPanel-entry',
  id: 'jp-SpecPanel-id',
  title: 'jp-SpecPanel-title',
  count: 'jp-SpecPanel-count',
  untested: 'jp-SpecPanel-untested',
  adherence: 'jp-SpecPanel-adherence',
  findings: 'jp-SpecPanel-findings',
  error: 'jp-SpecPanel-error',
  warning: 'jp-SpecPanel-warning',
  empty: 'jp-SpecPanel-empty'
};

/** Where the findings came from: shown at the top so a reader knows what to trust. */
export type LintSource = { from: 'browser'; why?: string } | { from: 'kernel' };

export function sourceNote(source: LintSource): string {
  if (source.from === 'kernel') {
    return "Lint from the kernel's jupyter_spec extension (every rule), on the cells as they are in the editor.";
  }
  const why = source.why ? ` Kernel lint unavailable: ${source.why}.` : '';
  return (
    "Lint parsed in the browser from this notebook's cells: the structural rules only (duplicate IDs, " +
    'unknown targets, untested markers and clauses); %load_ext jupyter_spec in the kernel for every rule.' +
    why
  );
}

export interface PanelContent {
  outline: SpecOutline;
  lint: LintSource;
  adherence: Map<string, ClauseAdherence[]>;
  /** Called with the cell and line (1-based, in the cell) an entry stands for. */
  onJump: (cellId: string, line: number) => void;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function jumpButton(doc: Document, label: string, cellId: string, line: number, onJump: PanelContent['onJump']): HTMLButtonElement {
  const button = el(doc, 'button', PANEL_CSS.entry);
  button.type = 'button';
  button.dataset.cellId = cellId;
  button.dataset.line = String(line);
  button.title = `${label} (line ${line} of its cell)`;
  button.addEventListener('click', () => onJump(cellId, line));
  return button;
}

function adherenceBadge(doc: Document, rows: ClauseAdherence[] | undefined): HTMLElement | null {
  if (!rows || rows.length === 0) {
    return null;
  }
  const first = rows[0];
  const interval = first.low !== null && first.high !== null ? ` [${percent(first.low)}, ${percent(first.high)}]` : '';
  const badge = el(doc, 'span', PANEL_CSS.adherence, `${percent(first.adherence)} n=${first.n}`);
  badge.title = rows
    .map(r => `${r.model} judged by ${r.grader}: ${percent(r.adherence)}${r.low !== null && r.high !== null ? ` [${percent(r.low)}, ${percent(r.high)}]` : ''} (n=${r.n})`)
    .join('\n');
  if (rows.length > 1) {
    badge.textContent += ` +${rows.length - 1}`;
  }
  badge.setAttribute('aria-label', `adherence ${percent(first.adherence)}${interval}, n=${first.n}`);
  return badge;
}

function challengeCount(doc: Document, n: number): HTMLElement {
  const count = el(doc, 'span', PANEL_CSS.count + (n === 0 ? ` ${PANEL_CSS.untested}` : ''), String(n));
  count.title = plural(n, 'challenge');
  return count;
}

function markerItem(doc: Document, marker: Marker, content: PanelContent): HTMLLIElement {
  const li = el(doc, 'li');
  const button = jumpButton(doc, `[^${marker.id}]`, marker.cellId, marker.line, content.onJump);
  button.append(
    el(doc, 'span', PANEL_CSS.id, `[^${marker.id}]`),
    el(doc, 'span', PANEL_CSS.title, marker.sentence),
    challengeCount(doc, marker.challenges)
  );
  li.append(button);
  return li;
}

function clauseItem(doc: Document, clause: Clause, content: PanelContent): HTMLLIElement {
  const li = el(doc, 'li');
  const button = jumpButton(doc, clause.title, clause.cellId, clause.line, content.onJump);
  button.append(el(doc, 'span', PANEL_CSS.title, clause.title));
  if (clause.id !== null) {
    button.append(el(doc, 'span', PANEL_CSS.id, `#${clause.id}`));
    const badge = adherenceBadge(doc, content.adherence.get(clause.id));
    if (badge) {
      button.append(badge);
    }
    button.append(challengeCount(doc, clause.challenges));
  }
  if (clause.authority) {
    button.title += ` \u00b7 authority ${clause.authority}`;
  }
  li.append(button);
  if (clause.markers.length || clause.children.length) {
    const ul = el(doc, 'ul');
    ul.append(...clause.markers.map(m => markerItem(doc, m, content)));
    ul.append(...clause.children.map(c => clauseItem(doc, c, content)));
    li.append(ul);
  }
  return li;
}

function count(clauses: Clause[]): { clauses: number; markers: number; challenges: number } {
  let c = 0;
  let m = 0;
  let ch = 0;
  const walk = (nodes: Clause[]): void => {
    for (const node of nodes) {
      c += node.id !== null ? 1 : 0;
      m += node.markers.length;
      ch += node.challenges + node.markers.reduce((s, x) => s + x.challenges, 0);
      walk(node.children);
    }
  };
  walk(clauses);
  return { clauses: c, markers: m, challenges: ch };
}

function findingItem(doc: Document, finding: Finding, content: PanelContent): HTMLLIElement {
  const li = el(doc, 'li', finding.severity === 'error' ? PANEL_CSS.error : PANEL_CSS.warning);
  const button = jumpButton(doc, finding.code, finding.cellId, finding.line, content.onJump);
  button.append(
    el(doc, 'span', PANEL_CSS.id, `${finding.severity} ${finding.code}`),
    el(doc, 'span', PANEL_CSS.title, finding.message)
  );
  li.append(button);
  return li;
}

function sourceLine(doc: Document, source: LintSource): HTMLElement {
  const line = el(doc, 'p', PANEL_CSS.source, sourceNote(source));
  line.dataset.lint = source.from;
  return line;
}

export function renderPanel(doc: Document, content: PanelContent): HTMLElement {
  const root = el(doc, 'div', PANEL_CSS.root);
  const { outline } = content;
  if (outline.clauses.length === 0 && outline.findings.length === 0) {
    root.append(
      el(doc, 'p', PANEL_CSS.empty, 'No %%spec cells in this notebook. A cell that starts with %%spec declares clauses; %%challenge ID adds prompts for one.')
    );
    return root;
  }
  const totals = count(outline.clauses);
  const errors = outline.findings.filter(f => f.severity === 'error').length;
  root.append(
    el(doc, 'p', PANEL_CSS.summary,
      `${plural(totals.clauses, 'clause')} \u00b7 ${plural(totals.markers, 'marker')} \u00b7 ` +
      `${plural(totals.challenges, 'challenge')} \u00b7 ${plural(errors, 'error')}, ` +
      `${plural(outline.findings.length - errors, 'warning')}`),
    sourceLine(doc, content.lint)
  );
  const tree = el(doc, 'ul', PANEL_CSS.tree);
  tree.setAttribute('aria-label', 'Clauses and markers');
  tree.append(...outline.clauses.map(c => clauseItem(doc, c, content)));
  root.append(tree);
  if (outline.findings.length) {
    root.append(el(doc, 'h4', undefined, 'Lint'));
    const list = el(doc, 'ul', PANEL_CSS.findings);
    list.append(...outline.findings.map(f => findingItem(doc, f, content)));
    root.append(list);
  }
  return root;
}
