/**
 * The MIME renderer extension: shows jupyter-spec's results and comparison
 * records (application/vnd.jupyter-spec.results+json) in notebook outputs.
 *
 * The renderer is "safe": it builds its DOM with textContent and DOM APIs
 * only (see render.ts), so it runs in untrusted notebooks too.
 */

import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { renderRecord } from './render';
import { MIME_TYPE } from './types';

/** The output area's class, for the stylesheet. */
const CLASS_NAME = 'jp-SpecRecordOutput';

export class SpecRecordRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this._mimeType = options.mimeType;
    this.addClass(CLASS_NAME);
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[this._mimeType];
    this.node.replaceChildren(renderRecord(this.node.ownerDocument, data));
    return Promise.resolve();
  }

  private _mimeType: string;
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [MIME_TYPE],
  // ahead of text/html (50) and image/png (90): the bundle carries both for
  // readers without the extension
  defaultRank: 0,
  createRenderer: options => new SpecRecordRenderer(options)
};

const extension: IRenderMime.IExtension = {
  id: '@jupyter-spec/labextension:results',
  description: "Renders jupyter-spec's results and comparison records.",
  rendererFactory,
  rank: 0,
  dataType: 'json'
};

export default extension;
