// Folders: storage that outlives sessions. Create, list (with the sessions mounting each), delete.
import { api, ApiError } from '../api.js';
import { el, field, showFieldErrors } from '../dom.js';
import { when } from '../format.js';
import { confirmDialog } from '../components/dialog.js';

/** @param {HTMLElement} main @returns {() => void} */
export function renderFolders(main) {
  const name = /** @type {HTMLInputElement} */ (el('input', { id: 'folder-name', name: 'name', required: true, autocomplete: 'off', placeholder: 'data' }));
  const form = /** @type {HTMLFormElement} */ (el('form', { id: 'folder-form', class: 'inline-form', novalidate: true },
    field('New folder', name, { error: 'name' }),
    el('button', { type: 'submit', class: 'primary' }, 'Create folder'),
    el('ul', { class: 'form-errors error', role: 'alert' })));
  const body = el('tbody', { id: 'folders-body' });
  const empty = el('p', { class: 'empty', hidden: true }, 'No folders yet.');
  const error = el('p', { class: 'error', role: 'alert' });
  main.replaceChildren(el('section', { class: 'page' },
    el('h1', {}, 'Folders'),
    el('p', { class: 'hint' }, 'Folders keep their files across sessions. A session mounts them at /home/work/<name>.'),
    form,
    el('table', { class: 'list' },
      el('thead', {}, el('tr', {}, ['Name', 'Created', 'Mounted by', 'Control'].map(c => el('th', { scope: 'col' }, c)))), body),
    empty, error));

  async function refresh() {
    try {
      const [folders, sessions] = await Promise.all([api.folders(), api.sessions()]);
      const names = new Map(sessions.map(session => [session.id, session.name]));
      empty.hidden = folders.length > 0;
      body.replaceChildren(...folders.map(f => el('tr', { 'data-folder': f.name },
        el('td', { 'data-label': 'Name' }, el('strong', {}, f.name)),
        el('td', { 'data-label': 'Created' }, when(f.createdAt)),
        el('td', { 'data-label': 'Mounted by' }, f.mountedBy.length ? f.mountedBy.map(id => el('div', {}, names.get(id) || '', ' ', el('span', { class: 'muted mono' }, id.slice(0, 8)))) : '—'),
        el('td', { 'data-label': 'Control' }, el('button', {
          type: 'button', class: 'danger small', 'aria-label': `Delete folder ${f.name}`, onclick: () => remove(f.name),
        }, 'Delete')))));
      error.textContent = '';
    } catch (e) {
      error.textContent = String(e instanceof Error ? e.message : e);
    }
  }

  /** @param {string} folder */
  async function remove(folder) {
    if (!await confirmDialog(`Delete folder ${folder}?`, 'The folder and every file in it are deleted.', 'Delete folder')) return;
    try {
      await api.deleteFolder(folder);
      await refresh();
    } catch (e) {
      error.textContent = String(e instanceof Error ? e.message : e);
    }
  }

  form.addEventListener('submit', async event => {
    event.preventDefault();
    try {
      await api.createFolder(name.value.trim());
      form.reset();
      showFieldErrors(form, {});
      await refresh();
    } catch (e) {
      if (e instanceof ApiError) showFieldErrors(form, e.fieldErrors, e.problem.errors ? undefined : e.message);
      name.focus();
    }
  });
  refresh();
  return () => {};
}
