// Sessions: Running and Finished tabs over the live session list (GET /v1/sessions/watch, server-sent events), the
// START button and its launch dialog, and each session's Control column.
import { api, follow } from '../api.js';
import { el, statusBadge } from '../dom.js';
import { duration, isFinal, resources, when } from '../format.js';
import { openLaunchDialog } from '../components/launch-dialog.js';
import { sessionControls } from '../components/session-controls.js';

const TABS = /** @type {const} */ (['running', 'finished']);

/**
 * @param {HTMLElement} main
 * @param {{ me: import('../api.js').Me, tab?: string }} context
 * @returns {() => void} what leaving the page does
 */
export function renderSessions(main, { me, tab }) {
  /** @type {Map<string, import('../api.js').Session>} */
  const sessions = new Map();
  /** @type {Map<string, { json: string, row: HTMLElement }>} */
  const rows = new Map();
  let current = tab === 'finished' ? 'finished' : 'running';
  let everyone = me.role === 'admin' && sessionStorage.getItem('granary.all') === 'true';
  let synced = false;

  const error = el('p', { class: 'error', role: 'alert', id: 'sessions-error' });
  const report = (/** @type {string} */ message) => { error.textContent = message; };
  const live = el('span', { class: 'live muted', 'aria-live': 'polite' }, 'connecting…');
  const notice = el('p', { class: 'notice', hidden: true }, 'The agents run simulated sessions: no real containers are started.');
  const tabs = TABS.map(name => el('button', {
    type: 'button', role: 'tab', id: `tab-${name}`, 'aria-controls': 'sessions-panel', class: 'tab',
    onclick: () => select(name), onkeydown: (/** @type {KeyboardEvent} */ event) => {
      if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
        const next = TABS[(TABS.indexOf(name) + 1) % TABS.length];
        select(next);
        document.getElementById(`tab-${next}`)?.focus();
      }
    },
  }));
  const body = el('tbody', { id: 'sessions-body' });
  const head = el('thead');
  const empty = el('p', { class: 'empty', hidden: true });
  const toggle = me.role === 'admin'
    ? el('label', { class: 'inline' }, el('input', {
        type: 'checkbox', id: 'all-sessions', checked: everyone,
        onchange: (/** @type {Event} */ event) => {
          everyone = /** @type {HTMLInputElement} */ (event.target).checked;
          sessionStorage.setItem('granary.all', String(everyone));
          restart();
        },
      }), ' everyone\'s sessions')
    : null;

  main.replaceChildren(el('section', { class: 'page' },
    el('div', { class: 'toolbar' },
      el('h1', {}, 'Sessions'), toggle, live,
      el('button', { type: 'button', class: 'primary start', id: 'start', onclick: () => openLaunchDialog(launched) }, 'START')),
    notice,
    el('div', { role: 'tablist', 'aria-label': 'Sessions', class: 'tabs' }, tabs),
    el('div', { role: 'tabpanel', id: 'sessions-panel', 'aria-labelledby': `tab-${current}`, tabindex: '-1' },
      el('table', { class: 'list sessions' }, head, body), empty),
    error));

  api.info().then(info => { notice.hidden = !info.simulated; }).catch(e => report(`GET /v1/info: ${e.message}`));

  /** @param {import('../api.js').Session} session */
  function launched(session) {
    sessions.set(session.id, session);
    select('running');
  }

  /** @param {string} name */
  function select(name) {
    current = name;
    location.replace(`#/sessions/${name}`);
    rows.clear();
    body.replaceChildren();
    render();
  }

  function render() {
    for (const [i, button] of tabs.entries()) {
      const selected = TABS[i] === current;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
      const count = [...sessions.values()].filter(s => isFinal(s.status) === (TABS[i] === 'finished')).length;
      button.textContent = `${TABS[i] === 'running' ? 'Running' : 'Finished'} (${count})`;
    }
    document.getElementById('sessions-panel')?.setAttribute('aria-labelledby', `tab-${current}`);
    const finished = current === 'finished';
    const columns = finished
      ? ['Session', everyone ? 'Owner' : null, 'Environment', 'Status', 'Exit code', 'Reason', 'Duration', 'Ended', 'Control']
      : ['Session', everyone ? 'Owner' : null, 'Environment', 'Status', 'Resources', 'Created', 'Control'];
    const headRow = el('tr', {}, columns.filter(Boolean).map(c => el('th', { scope: 'col' }, c)));
    if (head.textContent !== headRow.textContent) head.replaceChildren(headRow);

    const shown = [...sessions.values()]
      .filter(s => isFinal(s.status) === finished)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const wanted = new Set(shown.map(s => s.id));
    for (const [id, entry] of rows) {
      if (!wanted.has(id)) { entry.row.remove(); rows.delete(id); }
    }
    /** @type {HTMLElement | null} */
    let previous = null;
    for (const session of shown) {
      const json = JSON.stringify(session) + everyone;
      let entry = rows.get(session.id);
      if (!entry || entry.json !== json) {
        const row = finished ? finishedRow(session) : runningRow(session);
        if (entry) replaceKeepingFocus(entry.row, row);
        entry = { json, row };
        rows.set(session.id, entry);
      }
      /** @type {ChildNode | null} */
      const expected = previous ? previous.nextSibling : body.firstChild;
      if (expected !== entry.row) body.insertBefore(entry.row, expected);
      previous = entry.row;
    }
    empty.hidden = shown.length > 0 || !synced;
    empty.textContent = finished ? 'No finished sessions.' : 'No running sessions: START one.';
  }

  /** @param {import('../api.js').Session} s */
  function nameCell(s) {
    return el('td', { 'data-label': 'Session' }, el('strong', {}, s.name), el('div', { class: 'muted mono' }, s.id.slice(0, 8)));
  }

  /** @param {import('../api.js').Session} s */
  function runningRow(s) {
    const waiting = s.status !== 'RUNNING' && s.statusReason;
    return el('tr', { 'data-session': s.id, 'data-name': s.name },
      nameCell(s),
      everyone ? el('td', { 'data-label': 'Owner' }, s.owner) : null,
      el('td', { 'data-label': 'Environment' }, s.image),
      el('td', { 'data-label': 'Status' }, statusBadge(s.status), waiting ? el('div', { class: 'reason' }, s.statusReason) : null),
      el('td', { 'data-label': 'Resources' }, resources(s.resources), s.mounts.length ? el('div', { class: 'muted' }, 'folders: ',
        s.mounts.map(m => `${m.folder}${m.readOnly ? ' (read-only)' : ''}`).join(', ')) : null),
      el('td', { 'data-label': 'Created' }, when(s.createdAt)),
      el('td', { 'data-label': 'Control' }, sessionControls(s, me, report)));
  }

  /** @param {import('../api.js').Session} s */
  function finishedRow(s) {
    const ran = s.startedAt && s.terminatedAt ? duration(Date.parse(s.terminatedAt) - Date.parse(s.startedAt)) : '—';
    return el('tr', { 'data-session': s.id, 'data-name': s.name },
      nameCell(s),
      everyone ? el('td', { 'data-label': 'Owner' }, s.owner) : null,
      el('td', { 'data-label': 'Environment' }, s.image),
      el('td', { 'data-label': 'Status' }, statusBadge(s.status)),
      el('td', { 'data-label': 'Exit code' }, s.exitCode ?? '—'),
      el('td', { 'data-label': 'Reason' }, s.statusReason || '—'),
      el('td', { 'data-label': 'Duration' }, ran),
      el('td', { 'data-label': 'Ended' }, when(s.terminatedAt)),
      el('td', { 'data-label': 'Control' }, sessionControls(s, me, report)));
  }

  let stop = () => {};
  function restart() {
    stop();
    sessions.clear();
    rows.clear();
    body.replaceChildren();
    synced = false;
    stop = follow(`/v1/sessions/watch${everyone ? '?all=true' : ''}`, {
      session: (/** @type {import('../api.js').Session} */ session) => { sessions.set(session.id, session); if (synced) render(); },
      synced: () => { synced = true; render(); },
    }, connected => { live.textContent = connected ? 'live' : 'reconnecting…'; });
    render();
  }
  restart();
  return () => stop();
}

/**
 * Swaps a row for its new version; a control that had focus keeps it (the same app or action in the new row).
 * @param {HTMLElement} old @param {HTMLElement} row
 */
function replaceKeepingFocus(old, row) {
  const focused = document.activeElement;
  const key = focused && old.contains(focused) ? focused.getAttribute('data-app') || focused.getAttribute('data-action') : null;
  old.replaceWith(row);
  if (key) {
    const again = /** @type {HTMLElement | null} */ (row.querySelector(`[data-app="${key}"], [data-action="${key}"]`));
    if (again) again.focus();
  }
}
