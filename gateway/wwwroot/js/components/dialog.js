// Modal dialogs on the native <dialog> element: focus moves in and back, Escape closes, the page behind is inert.
import { el } from '../dom.js';

/**
 * @param {string} title
 * @param {(HTMLElement | string)[]} body
 * @param {{ wide?: boolean, onClose?: () => void }} [options]
 * @returns {{ dialog: HTMLDialogElement, close: () => void }}
 */
export function openDialog(title, body, options = {}) {
  const titleId = `dialog-${Math.random().toString(36).slice(2, 9)}`;
  const dialog = /** @type {HTMLDialogElement} */ (el('dialog', { 'aria-labelledby': titleId, class: options.wide ? 'wide' : '' },
    el('div', { class: 'dialog-head' },
      el('h2', { id: titleId }, title),
      el('button', { type: 'button', class: 'ghost', 'aria-label': 'Close', onclick: () => dialog.close() }, '×')),
    ...body));
  const opener = document.activeElement;
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (options.onClose) options.onClose();
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  return { dialog, close: () => dialog.close() };
}

/**
 * Asks before something that cannot be undone. Resolves true when confirmed.
 * @param {string} title @param {string} message @param {string} confirmLabel
 * @returns {Promise<boolean>}
 */
export function confirmDialog(title, message, confirmLabel) {
  return new Promise(resolve => {
    let confirmed = false;
    const { close } = openDialog(title, [
      el('p', {}, message),
      el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'secondary', onclick: () => close() }, 'Cancel'),
        el('button', { type: 'button', class: 'danger', 'data-confirm': true, onclick: () => { confirmed = true; close(); } }, confirmLabel)),
    ], { onClose: () => resolve(confirmed) });
  });
}
