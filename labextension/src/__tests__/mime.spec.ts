/**
 * The MIME extension's metadata and its Lumino widget, under jsdom.
 */

import { IRenderMime } from '@jupyterlab/rendermime-interfaces';

import extension, { SpecRecordRenderer, rendererFactory } from '../mime';
import { MIME_TYPE } from '../types';

import resultsFixture from './fixtures/results.json';

function model(data: unknown): IRenderMime.IMimeModel {
  return {
    trusted: false,
    data: { [MIME_TYPE]: data } as IRenderMime.IMimeModel['data'],
    metadata: {},
    setData: () => undefined
  };
}

describe('mime extension', () => {
  it('declares a safe JSON renderer for the results MIME type', () => {
    expect(MIME_TYPE).toBe('application/vnd.jupyter-spec.results+json');
    expect(extension.rendererFactory).toBe(rendererFactory);
    expect(extension.dataType).toBe('json');
    expect(rendererFactory.safe).toBe(true);
    expect(rendererFactory.mimeTypes).toEqual([MIME_TYPE]);
  });

  it('renders a record into its node, and re-renders in place', async () => {
    const renderer = rendererFactory.createRenderer({
      mimeType: MIME_TYPE
    } as IRenderMime.IRendererOptions) as SpecRecordRenderer;
    expect(renderer.hasClass('jp-SpecRecordOutput')).toBe(true);
    await renderer.renderModel(model(resultsFixture));
    expect(renderer.node.querySelectorAll('.jp-SpecRecord').length).toBe(1);
    expect(renderer.node.querySelector('table')).not.toBeNull();
    await renderer.renderModel(model({ schema: '<img src=x onerror=alert(1)>', version: 1 }));
    expect(renderer.node.querySelectorAll('.jp-SpecRecord').length).toBe(1);
    expect(renderer.node.querySelector('img')).toBeNull();
    expect(renderer.node.textContent).toContain('<img src=x onerror=alert(1)>');
    renderer.dispose();
  });
});
