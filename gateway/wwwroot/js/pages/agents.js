// Admin: agents (nodes) with capacity, what is allocated, heartbeat and whether they answer.
import { api } from '../api.js';
import { el, every, meter } from '../dom.js';
import { bytes, when } from '../format.js';

/** @param {HTMLElement} main @returns {() => void} */
export function renderAgents(main) {
  const list = el('div', { id: 'agents-list', class: 'cards' });
  const error = el('p', { class: 'error', role: 'alert' });
  const empty = el('p', { class: 'empty', hidden: true }, 'No agent has registered.');
  main.replaceChildren(el('section', { class: 'page' }, el('h1', {}, 'Agents'), list, empty, error));
  return every(3000, async () => {
    try {
      const agents = await api.agents();
      empty.hidden = agents.length > 0;
      list.replaceChildren(...agents.map(agentCard));
      error.textContent = '';
    } catch (e) {
      error.textContent = String(e instanceof Error ? e.message : e);
    }
  });
}

/** @param {import('../api.js').Agent} a */
function agentCard(a) {
  if (!a.reachable || !a.capacity || !a.allocated) {
    return el('article', { class: 'card agent', 'aria-label': `Agent ${a.id}` },
      el('h2', {}, a.id, ' ', el('span', { class: 'badge warn' }, 'unreachable')),
      el('p', { class: 'error' }, a.error || 'The agent does not answer.'));
  }
  const c = a.capacity;
  const used = a.allocated;
  const age = a.lastHeartbeat ? Math.round((Date.now() - Date.parse(a.lastHeartbeat)) / 1000) : null;
  return el('article', { class: 'card agent', 'aria-label': `Agent ${a.id}` },
    el('h2', {}, a.id, ' ',
      el('span', { class: a.simulated ? 'badge warn' : 'badge' }, a.simulated ? 'simulated' : a.runtime),
      ' ', el('span', { class: 'badge ok' }, 'reachable'),
      a.schedulable ? '' : el('span', { class: 'badge warn' }, 'not schedulable'),
      a.foldersUnavailable ? [' ', el('span', { class: 'badge warn', title: a.foldersUnavailable }, 'no folders')] : null,
      c.gpu && !c.gpuEnforced ? [' ', el('span', { class: 'badge warn', title: `enforcement mode ${c.enforcementMode}: fractions are accounted, not enforced` }, 'GPU not enforced')] : null,
      c.gpuSource === 'mock' ? [' ', el('span', { class: 'badge warn', title: 'made up by a mock GPU file' }, 'mock GPUs')] : null),
    el('p', { class: 'muted' }, `group ${a.resourceGroup} · heartbeat ${when(a.lastHeartbeat)}${age !== null ? ` (${age} s ago)` : ''} · ${a.allocations.length} session(s)`),
    el('div', { class: 'meters' },
      meter(used.cpu, c.cpu, `CPU ${used.cpu} / ${c.cpu} cores`),
      meter(used.memory, c.memory, `Memory ${bytes(used.memory)} / ${bytes(c.memory)}`),
      c.gpu ? meter(used.gpu, c.gpu, `GPU ${used.gpu} / ${c.gpu} devices (${c.fgpuPerGpu} fGPU each, ${c.enforcementMode})`) : null),
    a.allocations.length ? el('table', { class: 'list compact' },
      el('caption', {}, 'Allocations'),
      el('thead', {}, el('tr', {}, ['Session', 'CPU', 'Memory', 'GPU shares'].map(h => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, a.allocations.map(x => el('tr', {},
        el('td', { 'data-label': 'Session', class: 'mono' }, x.sessionId.slice(0, 8)),
        el('td', { 'data-label': 'CPU' }, x.cpu),
        el('td', { 'data-label': 'Memory' }, bytes(x.memory)),
        el('td', { 'data-label': 'GPU shares' }, x.gpus.length ? x.gpus.map(g => `${g.uuid.slice(0, 12)}: ${g.share}`).join(', ') : '—'))))) : null);
}
