// Admin: the pending queue of each resource group, in order, with why each session still waits.
import { api } from '../api.js';
import { el, every } from '../dom.js';
import { when } from '../format.js';

/** @param {HTMLElement} main @returns {() => void} */
export function renderQueue(main) {
  const list = el('div', { id: 'queue-list' });
  const error = el('p', { class: 'error', role: 'alert' });
  main.replaceChildren(el('section', { class: 'page' }, el('h1', {}, 'Pending queue'), list, error));
  return every(2000, async () => {
    try {
      const queues = await api.queue();
      list.replaceChildren(...queues.map(q => el('section', { class: 'card', 'aria-label': `Resource group ${q.resourceGroup}` },
        el('h2', {}, `Group ${q.resourceGroup}`, ' ', el('span', { class: 'badge' }, `${q.policy} · ${q.agents} agent(s)`)),
        q.pending.length
          ? el('table', { class: 'list compact' },
              el('thead', {}, el('tr', {}, ['#', 'Session', 'Owner', 'Waiting since', 'Why it waits'].map(h => el('th', { scope: 'col' }, h)))),
              el('tbody', {}, q.pending.map((p, i) => el('tr', {},
                el('td', { 'data-label': '#' }, i + 1),
                el('td', { 'data-label': 'Session' }, p.name || '', ' ', el('span', { class: 'muted mono' }, p.sessionId.slice(0, 8))),
                el('td', { 'data-label': 'Owner' }, p.owner || '—'),
                el('td', { 'data-label': 'Waiting since' }, when(p.createdAt)),
                el('td', { 'data-label': 'Why it waits' }, p.reason || 'not considered yet', p.skips ? ` (passed over ${p.skips}×)` : '')))))
          : el('p', { class: 'empty' }, 'Nothing is waiting.'))));
      error.textContent = '';
    } catch (e) {
      error.textContent = String(e instanceof Error ? e.message : e);
    }
  });
}
