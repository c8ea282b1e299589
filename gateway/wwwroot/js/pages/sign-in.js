// Sign in: the API key is posted once; the gateway answers with an HttpOnly cookie and the page forgets the key.
import { api, ApiError } from '../api.js';
import { el, field } from '../dom.js';

/**
 * @param {HTMLElement} main
 * @param {(me: import('../api.js').Me) => void} signedIn
 */
export function renderSignIn(main, signedIn) {
  const key = /** @type {HTMLInputElement} */ (el('input', { id: 'sign-in-key', name: 'key', type: 'password', autocomplete: 'off', required: true }));
  const error = el('p', { class: 'error', id: 'sign-in-error', role: 'alert' });
  const form = el('form', { id: 'sign-in-form' },
    field('API key', key, { hint: 'An admin creates keys with POST /v1/users; the admin key is printed when Granary first starts.' }),
    el('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    error);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const value = key.value.trim();
    key.value = '';
    try {
      signedIn(await api.signIn(value));
    } catch (e) {
      error.textContent = e instanceof ApiError && e.status === 401 ? 'That API key is not valid.' : String(e instanceof Error ? e.message : e);
      key.focus();
    }
  });
  main.replaceChildren(el('section', { class: 'card narrow' }, el('h1', {}, 'Sign in to Granary'), form));
  key.focus();
  return () => {};
}
