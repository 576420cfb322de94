/**
 * What jsdom lacks and Lumino touches at import time (the template gets the
 * same from @jupyterlab/testutils' jest shim).
 */
if (typeof globalThis.DragEvent === 'undefined') {
  globalThis.DragEvent = class DragEvent extends MouseEvent {
    constructor(type, init = {}) {
      super(type, init);
      this.dataTransfer = init.dataTransfer ?? null;
    }
  };
}
