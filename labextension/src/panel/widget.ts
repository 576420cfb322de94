/**
 * The spec side panel: a left-area widget that follows the current notebook and redraws its
 * outline (after a short pause) whenever a cell's source or outputs, or its kernel, change.
 */

import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { listIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { codeCells, resultsOutputs } from '../notebook';
import { Finding, parseNotebook } from '../spec/parse';
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
    this.watched?.model?.contentChanged.disconnect(this.schedule, this);
    this.watched?.sessionContext.kernelChanged.disconnect(this.schedule, this);
    this.watched = this.tracker.currentWidget;
    this.watched?.model?.contentChanged.connect(this.schedule, this);
    this.watched?.sessionContext.kernelChanged.connect(this.schedule, this);
    if (this.watched && !this.watched.model) {
      void this.watched.context.ready.then(() => this.follow());
    }
    this.schedule();
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

  /**
   * Draws the current notebook's outline. The lint comes from the kernel when it is idle and has
   * jupyter_spec imported (every rule), else from the browser (the structural rules): the panel
   * says which. Public so a command or a test can force it.
   */
  redraw(): void {
    const panel = this.watched;
    const cells = panel ? codeCells(panel) : [];
    const outline = parseNotebook(cells);
    const adherence = latestAdherence(panel ? resultsOutputs(panel) : []);
    const generation = ++this.generation;
    const draw = (findings: Finding[], lint: LintSource): void => {
      if (generation !== this.generation) {
        return; // the notebook changed while the kernel was asked
      }
      const onJump = (cellId: string, line: number): void => void (panel && jumpTo(panel, cellId, line));
      this.node.replaceChildren(
        renderPanel(this.node.ownerDocument, { outline: { ...outline, findings }, adherence, lint, onJump })
      );
    };
    const kernel = panel?.sessionContext.session?.kernel;
    if (!kernel) {
      draw(outline.findings, { from: 'browser', why: panel ? 'no kernel' : undefined });
      return;
    }
    if (kernel.status !== 'idle') {
      draw(outline.findings, { from: 'browser', why: `the kernel is ${kernel.status}` });
      const retry = (_: unknown, status: string): void => {
        if (status === 'idle') {
          kernel.statusChanged.disconnect(retry);
          this.schedule();
        }
      };
      kernel.statusChanged.connect(retry);
      return;
    }
    kernelLint(kernel, cells)
      .then(reply =>
        reply.status === 'ok'
          ? draw(inNotebookOrder(reply.findings, cells), { from: 'kernel' })
          : draw(outline.findings, { from: 'browser', why: reply.reason })
      )
      .catch(reason => draw(outline.findings, { from: 'browser', why: String(reason) }));
  }

  dispose(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
    }
    this.tracker.currentChanged.disconnect(this.follow, this);
    this.watched?.model?.contentChanged.disconnect(this.schedule, this);
    this.watched?.sessionContext.kernelChanged.disconnect(this.schedule, this);
    super.dispose();
  }

  private watched: NotebookPanel | null = null;
  private generation = 0;
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
