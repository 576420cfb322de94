/** Opening the notebooks make_notebook.py writes, as every test here starts. */

import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import * as path from 'path';

/** Uploads `name` from this folder into the test's own directory and opens it. */
export async function openNotebook(page: IJupyterLabPageFixture, tmpPath: string, name: string): Promise<void> {
  await page.contents.uploadFile(path.resolve(__dirname, name), `${tmpPath}/${name}`);
  await page.notebook.openByPath(`${tmpPath}/${name}`);
}

/** Waits until the notebook's kernel is idle: its language reaches the cells only then. */
export async function kernelIdle(page: IJupyterLabPageFixture): Promise<void> {
  await page.locator('#jp-main-statusbar').getByText('Idle').waitFor({ timeout: 60000 });
}
