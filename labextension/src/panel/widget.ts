/**
 * The spec side panel: a left-area widget that follows the current notebook and redraws its
 * outline (after a short pause, and only while shown) whenever a cell's source or outputs, or its
 * kernel, change.
 */

import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { listIcon } from '@jupyterlab/ui-components';
import { Kernel } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { codeCells, resultsOutputs } from '../notebook';
import { Finding, parseNotebook, sourceMagic } from '../spec/parse';
import { inNotebookOrder, kernelLint } from './kernel';
import { latestAdherence } from './latest';
import { LintSource, renderPanel } from './view';

/** How long the panel waits after a change before re-reading the notebook. */
const SETTLE_MS = 150;

/** The class a cell gets for a moment after the panel jumped to it. */
export const JUMP_TARGET_CLASS = 'jp-SpecPanel-jumpTarget';

export class SpecPanel extends Widget {
  constructor(private readonly tracker: INotebookTracker) {
    super();
    this.id = 'jupyter-spec-panel';
    this.addClass('jp-SpecPanel-container');
    this.title.icon = listIcon;
    this.title.caption = 'Spec: clauses, challenges and lint of this notebook';
    tracker.currentChanged.connect(this.follow, this);
    this.follow();
  }

  private follow(): void {
    this.watch(false);
    this.watched = this.tracker.currentWidget;
    this.watch(true);
    if (this.watched && !this.watched.model) {
      void this.watched.context.ready.then(() => this.follow());
    }
    this.generation++; // a reply about the notebook left behind is not drawn
    this.schedule();
  }

  private watch(on: boolean): void {
    const panel = this.watched;
    const signals = [panel?.model?.contentChanged, panel?.sessionContext.kernelChanged];
    for (const signal of signals) {
      if (on) {
        signal?.connect(this.schedule, this);
      } else {
        signal?.disconnect(this.schedule, this);
      }
    }
    this.waitForIdle(null);
  }

  private schedule(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.redraw();
    }, SETTLE_MS);
  }

  protected onAfterShow(): void {
    if (this.stale) {
      this.redraw();
    }
  }

  /**
   * Draws the current notebook's outline. The lint comes from the kernel when it is an idle Python
   * kernel with the jupyter_spec extension loaded (every rule), else from the browser (the
   * structural rules): the panel says which. The kernel is asked only while the panel is shown,
   * and again only when a spec or challenge cell changed. Public so a command or a test can force it.
   */
  redraw(): void {
    if (!this.isVisible) {
      this.stale = true;
      return;
    }
    this.stale = false;
    const panel = this.watched;
    const cells = panel ? codeCells(panel) : [];
    const outline = parseNotebook(cells);
    const adherence = latestAdherence(panel ? resultsOutputs(panel) : []);
    const generation = ++this.generation;
    const draw = (findings: Finding[], lint: LintSource): void => {
      if (generation !== this.generation || this.isDisposed || panel?.isDisposed) {
        return; // the notebook changed, or closed, while the kernel was asked
      }
      const onJump = (cellId: string, line: number): void => void (panel && jumpTo(panel, cellId, line));
      this.node.replaceChildren(
        renderPanel(this.node.ownerDocument, { outline: { ...outline, findings }, adherence, lint, onJump })
      );
    };
    const browser = (why?: string): void => draw(outline.findings, { from: 'browser', why });
    const kernel = panel?.sessionContext.session?.kernel;
    if (!kernel) {
      browser(panel ? 'no kernel' : undefined);
      return;
    }
    const specCells = cells.filter(c => sourceMagic(c.source) !== null);
    const key = JSON.stringify([kernel.id, specCells]);
    if (this.lastKernelLint?.key === key) {
      draw(inNotebookOrder(this.lastKernelLint.findings, cells), { from: 'kernel' });
      return;
    }
    if (kernel.status !== 'idle') {
      browser(`the kernel is ${kernel.status}`);
      this.waitForIdle(kernel);
      return;
    }
    kernelLint(kernel, specCells)
      .then(reply => {
        if (reply.status === 'ok') {
          this.lastKernelLint = { key, findings: reply.findings };
          draw(inNotebookOrder(reply.findings, cells), { from: 'kernel' });
        } else {
          browser(reply.reason);
        }
      })
      .catch(reason => browser(String(reason)));
  }

  /** One handler at a time: redraw once `kernel` is idle (null: stop waiting). */
  private waitForIdle(kernel: Kernel.IKernelConnection | null): void {
    this.waiting?.statusChanged.disconnect(this.onStatus, this);
    this.waiting = kernel;
    kernel?.statusChanged.connect(this.onStatus, this);
  }

  private onStatus(_: Kernel.IKernelConnection, status: Kernel.Status): void {
    if (status === 'idle') {
      this.waitForIdle(null);
      this.schedule();
    }
  }

  dispose(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
    }
    this.generation++;
    this.tracker.currentChanged.disconnect(this.follow, this);
    this.watch(false);
    super.dispose();
  }

  private watched: NotebookPanel | null = null;
  private waiting: Kernel.IKernelConnection | null = null;
  private lastKernelLint: { key: string; findings: Finding[] } | null = null;
  private generation = 0;
  private stale = true;
  private timer: ReturnType<typeof setTimeout> | null = null;
}

/** Selects the cell, scrolls it into view and puts the cursor on the line. */
export async function jumpTo(panel: NotebookPanel, cellId: string, line: number): Promise<void> {
  const notebook = panel.content;
  const index = notebook.widgets.findIndex(c => c.model.id === cellId);
  if (index < 0) {
    return;
  }
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  const cell = notebook.widgets[index];
  await notebook.scrollToCell(cell, 'start');
  const editor = cell.editor;
  if (editor) {
    const position = { line: Math.max(0, Math.min(line - 1, editor.lineCount - 1)), column: 0 };
    editor.setCursorPosition(position);
    editor.revealPosition(position);
  }
  cell.addClass(JUMP_TARGET_CLASS);
  setTimeout(() => cell.removeClass(JUMP_TARGET_CLASS), 1500);
}

export const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: '@jupyter-spec/labextension:panel',
  description: "A side panel with the open notebook's spec: clauses, markers, challenges, lint, adherence.",
  autoStart: true,
  requires: [INotebookTracker, ILabShell],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, shell: ILabShell): void => {
    const panel = new SpecPanel(tracker);
    shell.add(panel, 'left', { rank: 600 });
    app.commands.addCommand('jupyter-spec:show-panel', {
      label: 'Show the Spec Panel',
      execute: () => shell.activateById(panel.id)
    });
  }
};
