/**
 * The regular (non-MIME) plugins of jupyter-spec's JupyterLab extension; the results renderer is
 * the MIME extension in mime.ts.
 */

import { editorPlugin } from './editor';
import { panelPlugin } from './panel/widget';

export default [editorPlugin, panelPlugin];
