/**
 * The editing plugin: the spec language in `%%spec` and `%%challenge` cells (see
 * spec/language.ts for why the switch lives in the editor state), and completion of the clause
 * IDs and markers the notebook declares.
 */

import { LanguageSupport } from '@codemirror/language';
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { EditorExtensionRegistry, IEditorExtensionRegistry, IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import {
  CompletionHandler,
  ICompletionContext,
  ICompletionProvider,
  ICompletionProviderManager
} from '@jupyterlab/completer';
import { NotebookPanel } from '@jupyterlab/notebook';

import { codeCells } from './notebook';
import { completeAt } from './spec/complete';
import { specHighlighting, specLanguage, specLanguageSwitch } from './spec/language';
import { isBlank, parseNotebook, sourceMagic } from './spec/parse';

export const SPEC_MIME = 'text/x-jupyter-spec';

/** Completion of IDs in spec cells, beside the kernel's (which knows nothing of them). */
export class SpecCompletionProvider implements ICompletionProvider {
  readonly identifier = 'jupyter-spec:ids';
  readonly rank = 600;

  async isApplicable(context: ICompletionContext): Promise<boolean> {
    // asked once per active cell: whether the cell is a spec cell is decided per request
    return context.widget instanceof NotebookPanel && !!context.editor;
  }

  async fetch(request: CompletionHandler.IRequest, context: ICompletionContext): Promise<CompletionHandler.ICompletionItemsReply> {
    const none = { start: request.offset, end: request.offset, items: [] };
    const { text, offset } = request;
    if (!(context.widget instanceof NotebookPanel) || sourceMagic(text) === null) {
      return none;
    }
    const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
    const lineEnd = text.indexOf('\n', offset);
    const line = text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd);
    // the magic's line is the first one with more than whitespace before it
    const isMagicLine = isBlank(text.slice(0, lineStart));
    const found = completeAt(parseNotebook(codeCells(context.widget)), line, offset - lineStart, isMagicLine);
    if (found === null) {
      return none;
    }
    return {
      start: lineStart + found.start,
      end: lineStart + found.end,
      items: found.candidates.map(c => ({ label: c.id, type: c.kind, documentation: c.detail }))
    };
  }
}

export const editorPlugin: JupyterFrontEndPlugin<void> = {
  id: '@jupyter-spec/labextension:editor',
  description: 'Highlights %%spec and %%challenge cells and completes their IDs.',
  autoStart: true,
  requires: [IEditorExtensionRegistry, IEditorLanguageRegistry],
  optional: [ICompletionProviderManager],
  activate: (
    _app: JupyterFrontEnd,
    extensions: IEditorExtensionRegistry,
    languages: IEditorLanguageRegistry,
    completion: ICompletionProviderManager | null
  ): void => {
    extensions.addExtension({
      name: 'jupyter-spec:language',
      // code cells only: a Markdown cell or a file that starts with %%spec is not a spec cell
      factory: ({ model }) =>
        (model.sharedModel as { cell_type?: string }).cell_type === 'code'
          ? EditorExtensionRegistry.createImmutableExtension(specLanguageSwitch(model.sharedModel.getSource()))
          : null
    });
    // also a language by name and MIME type, for ```jupyter-spec fences and files set to it
    languages.addLanguage({
      name: 'jupyter-spec',
      displayName: 'Behaviour spec',
      mime: SPEC_MIME,
      extensions: [],
      support: new LanguageSupport(specLanguage, specHighlighting)
    });
    completion?.registerProvider(new SpecCompletionProvider());
  }
};
