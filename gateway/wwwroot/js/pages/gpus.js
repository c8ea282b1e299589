// Admin: every GPU with model, memory, live utilisation, its share map (which sessions hold what) and the processes
// on it with their sessions. From GET /v1/gpus when the gateway has it; otherwise from the agents' view (no live
// utilisation there). A node whose fractions are accounted but not enforced (mode none) says "not enforced", and
// made-up GPUs (a mock GPU file) say "mock".
import { api, ApiError } from '../api.js';
import { el, every, meter } from '../dom.js';
import { bytes } from '../format.js';

/** @param {HTMLElement} main @returns {() => void} */
export function renderGpus(main) {
  const body = el('tbody', { id: 'gpus-body' });
  const error = el('p', { class: 'error', role: 'alert' });
  const empty = el('p', { class: 'empty', hidden: true }, 'No GPUs in this cluster.');
  const source = el('p', { class: 'hint' });
  main.replaceChildren(el('section', { class: 'page' }, el('h1', {}, 'GPUs'), source,
    el('table', { class: 'list' },
      el('thead', {}, el('tr', {}, ['GPU', 'Node', 'Model', 'Memory', 'Enforcement', 'Utilisation', 'Allocated', 'Share map', 'Processes'].map(h => el('th', { scope: 'col' }, h)))),
      body), empty, error));
  return every(3000, async () => {
    try {
      const gpus = await load();
      source.textContent = gpus.live ? 'Live from the nodes (GET /v1/gpus).' : 'From the agents\' allocation view; utilisation needs GET /v1/gpus.';
      empty.hidden = gpus.list.length > 0;
      body.replaceChildren(...gpus.list.map(row));
      error.textContent = '';
    } catch (e) {
      error.textContent = String(e instanceof Error ? e.message : e);
    }
  });
}

/** @returns {Promise<{ live: boolean, list: import('../api.js').Gpu[] }>} */
async function load() {
  try {
    // GET /v1/gpus names the node "agent", shares as {session: fraction of the device}.
    const gpus = /** @type {any[]} */ (await api.gpus());
    return {
      live: true,
      list: gpus.map(g => ({
        ...g, node: g.agent, utilization: g.utilizationPercent,
        shares: Object.entries(g.shares).map(([sessionId, share]) => ({ sessionId, milli: Math.round(Number(share) * 1000) })),
      })),
    };
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
  }
  const agents = await api.agents();
  return {
    live: false,
    list: agents.flatMap(a => a.gpus.map(g => ({
      uuid: g.uuid, node: a.id, model: g.model, memory: g.memory, index: g.index,
      enforcementMode: a.capacity ? a.capacity.enforcementMode : undefined,
      enforced: a.capacity ? a.capacity.gpuEnforced : undefined, mock: a.capacity ? a.capacity.gpuSource === 'mock' : undefined,
      shares: Object.entries(g.shares).map(([sessionId, share]) => ({ sessionId, milli: Math.round(share * 1000) })),
    }))),
  };
}

/** @param {import('../api.js').Gpu} g */
function row(g) {
  const allocated = g.shares.reduce((sum, s) => sum + s.milli, 0);
  return el('tr', { 'data-gpu': g.uuid },
    el('td', { 'data-label': 'GPU', class: 'mono' }, g.index !== undefined ? `#${g.index} ` : '', g.uuid.slice(0, 16), g.mock ? [' ', el('span', { class: 'badge warn', title: 'made up by a mock GPU file' }, 'mock')] : null),
    el('td', { 'data-label': 'Node' }, g.node),
    el('td', { 'data-label': 'Model' }, g.model),
    el('td', { 'data-label': 'Memory' }, g.memoryUsed != null ? `${bytes(g.memoryUsed)} / ${bytes(g.memory)}` : bytes(g.memory)),
    el('td', { 'data-label': 'Enforcement', class: 'enforcement' }, g.enforcementMode || '—',
      g.enforced === false ? [' ', el('span', { class: 'badge warn', title: 'fractions are accounted, not enforced' }, 'not enforced')] : null),
    el('td', { 'data-label': 'Utilisation' }, g.utilization != null ? meter(g.utilization, 100, `${g.utilization} %`) : '—'),
    el('td', { 'data-label': 'Allocated' }, meter(allocated, 1000, `${allocated / 10} %`)),
    el('td', { 'data-label': 'Share map' }, g.shares.length
      ? el('ul', { class: 'shares' }, g.shares.map(s => el('li', {}, el('span', { class: 'mono' }, s.sessionId.slice(0, 8)), ` ${s.milli / 1000} GPU`)))
      : 'free'),
    el('td', { 'data-label': 'Processes' }, processes(g.processes)));
}

/** @param {import('../api.js').GpuProcess[] | null | undefined} list */
function processes(list) {
  if (!list) return '—';
  if (!list.length) return 'none';
  return el('ul', { class: 'shares' }, list.map(p => el('li', {},
    `pid ${p.pid} `, p.session ? el('span', { class: 'mono' }, p.session.slice(0, 8)) : el('span', { class: 'muted' }, 'no session'),
    ` ${bytes(p.memory)}`)));
}
