/**
 * The regular (non-MIME) plugins of jupyter-spec's JupyterLab extension.
 *
 * Empty in this first slice: the results renderer is the MIME extension in
 * mime.ts. Later slices add here the %%spec cell language (CodeMirror 6) and
 * the spec side panel, each in its own module, e.g.
 *
 *   import { specLanguagePlugin } from './language';
 *   import { specPanelPlugin } from './panel';
 *   const plugins = [specLanguagePlugin, specPanelPlugin];
 */

const plugins: unknown[] = [];

export default plugins;
