// Building the page: elements from data (text is always text, never HTML), and small shared pieces.

/**
 * el('td', { class: 'x', onclick: f }, 'text', child): attributes (on* are listeners; false/null/undefined are left
 * out) and children (strings become text nodes).
 * @param {string} tag
 * @param {Record<string, any> | null} [attributes]
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

/** @param {Node} node @param {any[]} children */
function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** The element with this id, which the page must have. @param {string} id @returns {HTMLElement} */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`no element #${id}`);
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';

/** Icons drawn as SVG paths (24×24), decorative: the control they sit in carries the label. */
const ICONS = {
  jupyter: 'M12 4a9 4 0 0 0-9 3 9 4 0 0 1 18 0 9 4 0 0 0-9-3zm0 16a9 4 0 0 0 9-3 9 4 0 0 1-18 0 9 4 0 0 0 9 3z',
  terminal: 'M3 5h18v14H3zm2 3 4 4-4 4 1.4 1.4L11.8 12 6.4 6.6zm7 8h6v-2h-6z',
  app: 'M4 4h7v7H4zm9 0h7v7h-7zM4 13h7v7H4zm9 0h7v7h-7z',
  key: 'M7 14a3 3 0 1 1 0-6 3 3 0 0 1 0 6zm5.6-4A6 6 0 1 0 12.6 14H15v3h3v-3h2v-4z',
  logs: 'M5 4h14v16H5zm3 4v2h8V8zm0 4v2h8v-2zm0 4v2h5v-2z',
  trash: 'M9 3h6l1 2h4v2H4V5h4zm-3 6h12l-1 12H7z',
};

/** @param {keyof typeof ICONS} name @returns {SVGSVGElement} */
export function icon(name) {
  const svg = /** @type {SVGSVGElement} */ (document.createElementNS(SVG, 'svg'));
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', ICONS[name] || ICONS.app);
  svg.appendChild(path);
  return svg;
}

/** @param {string} status @returns {HTMLElement} */
export function statusBadge(status) {
  return el('span', { class: `status status-${status.toLowerCase()}` }, status);
}

/**
 * A bar showing used of total, with the figures as text (the text is what assistive technology reads).
 * @param {number} used @param {number} total @param {string} text
 */
export function meter(used, total, text) {
  const percent = total > 0 ? Math.min(100, Math.round(used / total * 100)) : 0;
  const fill = el('span', { class: 'meter-fill' });
  fill.style.width = `${percent}%`; // CSSOM, which the Content-Security-Policy allows (style attributes it does not)
  return el('span', { class: 'meter' }, fill, el('span', { class: 'meter-text' }, text));
}

/**
 * Shows an API error's field messages next to their fields: each field has an element with data-error-for="field"
 * (the API's field path, e.g. "resources.memory"); messages for fields the form does not have go to the form's
 * general error list. Returns whether there were any.
 * @param {HTMLElement} form
 * @param {Record<string, string[]>} errors
 * @param {string} [general]
 */
export function showFieldErrors(form, errors, general) {
  for (const slot of form.querySelectorAll('[data-error-for]')) slot.textContent = '';
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  const rest = [];
  for (const [field, messages] of Object.entries(errors)) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (slot) {
      slot.textContent = messages.join(' ');
      const input = slot.id ? form.querySelector(`[aria-describedby~="${slot.id}"]`) : null;
      if (input) input.setAttribute('aria-invalid', 'true');
    } else {
      rest.push(`${field}: ${messages.join(' ')}`);
    }
  }
  const list = form.querySelector('.form-errors');
  if (list) list.replaceChildren(...[general, ...rest].filter(Boolean).map(text => el('li', {}, text)));
  return Object.keys(errors).length > 0 || Boolean(general);
}

/**
 * A labelled field: the label, the control, a hint and the error slot the control is described by.
 * @param {string} label
 * @param {HTMLElement} control (given an id when it has none)
 * @param {{ error?: string, hint?: string | HTMLElement, className?: string }} [options]
 */
export function field(label, control, options = {}) {
  if (!control.id) control.id = `f-${Math.random().toString(36).slice(2, 9)}`;
  const described = [];
  let hint = null;
  if (options.hint) {
    hint = el('span', { class: 'hint', id: `${control.id}-hint` }, options.hint);
    described.push(hint.id);
  }
  let error = null;
  if (options.error) {
    error = el('span', { class: 'field-error', id: `${control.id}-error`, 'data-error-for': options.error, 'aria-live': 'polite' });
    described.push(error.id);
  }
  if (described.length) control.setAttribute('aria-describedby', described.join(' '));
  return el('div', { class: `field ${options.className || ''}` }, el('label', { for: control.id }, label), control, hint, error);
}

/**
 * Runs action now and then every so many milliseconds (for views no event stream carries); returns the stop.
 * @param {number} milliseconds @param {() => Promise<void>} action @returns {() => void}
 */
export function every(milliseconds, action) {
  action();
  const timer = setInterval(action, milliseconds);
  return () => clearInterval(timer);
}
