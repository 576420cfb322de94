/**
 * The kernel's half of the panel's lint: when the notebook's kernel has loaded jupyter_spec,
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
 * The Python expression: None unless the jupyter_spec extension is loaded (its magics imported:
 * then the lint imports one small module more), else the lint of `payload` (the cells as JSON,
 * written as a Python string literal: a JSON string is one).
 */
export function lintExpression(payload: string): string {
  return (
    "(lambda m: m and __import__('jupyter_spec.frontdoors.panel', fromlist=['lint_cells'])" +
    `.lint_cells(${JSON.stringify(payload)}))(__import__('sys').modules.get('jupyter_spec.frontdoors.magics'))`
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
    return { status: 'unavailable', reason: 'the kernel has not loaded the extension (%load_ext jupyter_spec)' };
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

/** How long the panel waits for the kernel before showing the browser's lint instead. */
export const REPLY_TIMEOUT_MS = 10000;

/** The kernel's lint of `cells` (send only the spec and challenge cells: the kernel needs no more). */
export async function kernelLint(kernel: Kernel.IKernelConnection, cells: NotebookCell[]): Promise<KernelLint> {
  const info = await kernel.info;
  if (info.language_info.name !== 'python') {
    return { status: 'unavailable', reason: `the kernel runs ${info.language_info.name}, not Python` };
  }
  const future = kernel.requestExecute({
    code: '',
    silent: true,
    store_history: false,
    allow_stdin: false,
    stop_on_error: false,
    user_expressions: { [EXPRESSION_NAME]: lintExpression(JSON.stringify(cells)) }
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<KernelLint>(resolve => {
    timer = setTimeout(() => {
      future.dispose();
      resolve({ status: 'unavailable', reason: `no reply within ${REPLY_TIMEOUT_MS / 1000} s` });
    }, REPLY_TIMEOUT_MS);
  });
  const reply = future.done.then((msg): KernelLint => {
    const content = (msg as KernelMessage.IExecuteReplyMsg).content;
    return content.status === 'ok'
      ? readLintReply(content.user_expressions[EXPRESSION_NAME])
      : { status: 'unavailable', reason: 'the kernel refused the request' };
  });
  try {
    return await Promise.race([reply, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
