/**
 * The kernel's half of the panel's lint: when the notebook's kernel has imported jupyter_spec,
 * every lint rule (jupyter_spec/frontdoors/panel.py) instead of the structural ones the browser
 * checks. Asked with a silent `user_expressions` request: nothing is printed, stored in the
 * history or counted as an execution, and a kernel without jupyter_spec is left as it is.
 */

import { Kernel, KernelMessage } from '@jupyterlab/services';

import { Finding, NotebookCell } from '../spec/parse';

/** The reply version this panel reads (`REPLY_VERSION` in panel.py). */
export const REPLY_VERSION = 1;

const EXPRESSION_NAME = 'jupyter_spec_panel_lint';

/**
 * The Python expression: None unless jupyter_spec is already imported, else the lint of `payload`
 * (the cells as JSON, written as a Python string literal: a JSON string is one).
 */
export function lintExpression(payload: string): string {
  return (
    "(lambda m: m and __import__('jupyter_spec.frontdoors.panel', fromlist=['lint_cells'])" +
    `.lint_cells(${JSON.stringify(payload)}))(__import__('sys').modules.get('jupyter_spec'))`
  );
}

export type KernelLint = { status: 'ok'; findings: Finding[] } | { status: 'unavailable'; reason: string };

/** Reads one user expression's result defensively: a kernel may be old, new or not Python. */
export function readLintReply(result: unknown): KernelLint {
  const r = (typeof result === 'object' && result !== null ? result : {}) as Record<string, unknown>;
  if (r.status !== 'ok') {
    return { status: 'unavailable', reason: `${String(r.ename ?? 'error')}: ${String(r.evalue ?? 'no reply')}` };
  }
  const data = (r.data ?? {}) as Record<string, unknown>;
  const reply = data['application/json'] as { version?: unknown; findings?: unknown } | undefined;
  if (reply === undefined) {
    return { status: 'unavailable', reason: 'the kernel has not imported jupyter_spec' };
  }
  if (reply.version !== REPLY_VERSION || !Array.isArray(reply.findings)) {
    return { status: 'unavailable', reason: `the kernel's jupyter_spec replies in version ${String(reply.version)}` };
  }
  const findings: Finding[] = [];
  for (const f of reply.findings as Array<Record<string, unknown>>) {
    if (typeof f === 'object' && f !== null && typeof f.cellId === 'string' && typeof f.message === 'string') {
      findings.push({
        severity: f.severity === 'error' ? 'error' : 'warning',
        code: String(f.code ?? ''),
        message: f.message,
        cellId: f.cellId,
        line: typeof f.line === 'number' ? f.line : 1
      });
    }
  }
  return { status: 'ok', findings };
}

/** Errors first, then in notebook order: the order the browser's lint uses. */
export function inNotebookOrder(findings: Finding[], cells: NotebookCell[]): Finding[] {
  const order = new Map(cells.map((c, k) => [c.id, k]));
  return findings
    .map((f, k) => ({ f, k }))
    .sort(
      (a, b) =>
        Number(a.f.severity !== 'error') - Number(b.f.severity !== 'error') ||
        (order.get(a.f.cellId) ?? 0) - (order.get(b.f.cellId) ?? 0) ||
        a.f.line - b.f.line ||
        a.k - b.k
    )
    .map(x => x.f);
}

export async function kernelLint(kernel: Kernel.IKernelConnection, cells: NotebookCell[]): Promise<KernelLint> {
  const future = kernel.requestExecute({
    code: '',
    silent: true,
    store_history: false,
    allow_stdin: false,
    stop_on_error: false,
    user_expressions: { [EXPRESSION_NAME]: lintExpression(JSON.stringify(cells)) }
  });
  const reply = (await future.done) as KernelMessage.IExecuteReplyMsg;
  if (reply.content.status !== 'ok') {
    return { status: 'unavailable', reason: 'the kernel refused the request' };
  }
  return { ...readLintReply(reply.content.user_expressions[EXPRESSION_NAME]) } as KernelLint;
}
