// Granary web UI: plain JavaScript over the REST API (/v1). The API key stays in localStorage.
'use strict';

const KEY_STORAGE = 'granary.apiKey';
const FINAL = ['TERMINATED', 'ERROR', 'CANCELLED'];
const page = { timers: [], aborts: [] };
let me = null;

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

function authHeaders() {
  return { Authorization: 'Bearer ' + (localStorage.getItem(KEY_STORAGE) || '') };
}

async function api(method, path, body) {
  const headers = authHeaders();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json() : await response.text();
  if (response.status === 401 && path !== '/v1/me') {
    signOut();
  }
  if (!response.ok) throw new ApiError(response.status, typeof data === 'object' ? data : { detail: data });
  return data;
}

// el('td', {class: 'x'}, 'text', child) — children are strings (as text) or nodes; never HTML.
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Element updates that may land after the user has moved to another page (an answer arriving late): the
// element is then gone and the update is dropped.
function setText(id, text) {
  const node = document.getElementById(id);
  if (node) node.textContent = text;
}

function setChildren(id, ...children) {
  const node = document.getElementById(id);
  if (node) node.replaceChildren(...children);
}

function setHidden(id, hidden) {
  const node = document.getElementById(id);
  if (node) node.hidden = hidden;
}

function show(templateId) {
  const main = document.getElementById('main');
  main.replaceChildren(document.getElementById(templateId).content.cloneNode(true));
  return main;
}

function every(milliseconds, action) {
  action();
  page.timers.push(setInterval(action, milliseconds));
}

function leavePage() {
  page.timers.forEach(clearInterval);
  page.aborts.forEach(a => a.abort());
  page.timers = [];
  page.aborts = [];
}

const bytes = n => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${Math.round(n * 10) / 10} ${units[i]}`;
};
const when = t => t ? new Date(t).toLocaleString() : '—';
const statusBadge = s => el('span', { class: `status status-${s.toLowerCase()}` }, s);

function resourcesText(r) {
  const parts = [`${r.cpu} CPU`, bytes(r.memory)];
  if (r.gpu) parts.push(`${r.gpu} GPU`);
  if (r.fgpu) parts.push(`${r.fgpu} fGPU`);
  return parts.join(' · ');
}

function appLinks(session) {
  if (!session.apps || session.apps.length === 0) return '—';
  return session.apps.map(app => app.protocol.startsWith('http')
    ? el('a', { href: app.url, target: '_blank', rel: 'noopener' }, app.name)
    : el('span', { title: app.url }, `${app.name} (${app.url})`));
}

// ---- sign in / out ----

async function signIn(key) {
  localStorage.setItem(KEY_STORAGE, key);
  try {
    me = await api('GET', '/v1/me');
    await api('POST', '/v1/auth/cookie');
  } catch (error) {
    localStorage.removeItem(KEY_STORAGE);
    me = null;
    throw error;
  }
}

function signOut() {
  fetch('/v1/auth/cookie', { method: 'DELETE' }).catch(error => console.warn('could not remove the app cookie', error));
  localStorage.removeItem(KEY_STORAGE);
  me = null;
  location.hash = '#/sign-in';
  render();
}

function renderSignIn() {
  show('sign-in-view');
  document.getElementById('sign-in-form').addEventListener('submit', async event => {
    event.preventDefault();
    const key = new FormData(event.target).get('key').trim();
    try {
      await signIn(key);
      location.hash = '#/sessions';
    } catch (error) {
      setText('sign-in-error', error.status === 401 ? 'That API key is not valid.' : error.message);
    }
  });
}

// ---- sessions ----

function renderSessions() {
  show('sessions-view');
  const all = document.getElementById('all-sessions');
  setHidden('all-toggle', me.role !== 'admin');
  all.checked = sessionStorage.getItem('granary.all') === 'true';
  all.addEventListener('change', () => { sessionStorage.setItem('granary.all', all.checked); refresh(); });
  showSimulatedNotice();

  async function refresh() {
    try {
      const sessions = await api('GET', '/v1/sessions' + (all.checked ? '?all=true' : ''));
      setHidden('sessions-empty', sessions.length > 0);
      setChildren('sessions-body', ...sessions.map(sessionRow));
      setText('sessions-error', '');
    } catch (error) {
      setText('sessions-error', error.message);
    }
  }
  every(2000, refresh);
}

function sessionRow(s) {
  return el('tr', {},
    el('td', {}, el('a', { href: `#/session/${s.id}` }, s.name)),
    el('td', {}, s.owner),
    el('td', {}, s.image),
    el('td', { title: s.statusReason || '' }, statusBadge(s.status)),
    el('td', {}, resourcesText(s.resources)),
    el('td', {}, s.agent || '—'),
    el('td', {}, when(s.createdAt)),
    el('td', {}, appLinks(s)),
    el('td', {}, FINAL.includes(s.status) ? '' : el('button', { type: 'button', class: 'danger small', onclick: () => deleteSession(s) }, 'Delete')));
}

async function deleteSession(s, force) {
  if (!confirm(`Delete session ${s.name}? Files outside mounted folders are lost.`)) return;
  try {
    await api('DELETE', `/v1/sessions/${s.id}` + (force ? '?force=true' : ''));
  } catch (error) {
    alert(error.message);
  }
}

async function showSimulatedNotice() {
  try {
    const info = await api('GET', '/v1/info');
    const notice = document.getElementById('simulated-notice');
    if (notice) notice.hidden = !info.simulated;
  } catch (error) {
    console.warn('GET /v1/info failed', error);
  }
}

// ---- one session ----

function renderSession(id) {
  show('session-view');
  sshShownFor = null;
  const error = document.getElementById('session-error');
  let current = null;

  document.getElementById('session-delete').addEventListener('click', () => current && deleteSession(current, current.status === 'TERMINATING'));

  async function refresh() {
    try {
      current = await api('GET', `/v1/sessions/${id}`);
      setChildren('session-title', current.name, ' ', statusBadge(current.status));
      setHidden('session-delete', FINAL.includes(current.status));
      const facts = [
        ['Id', current.id], ['Owner', current.owner], ['Image', current.image], ['Type', current.type],
        ['Status reason', current.statusReason || '—'], ['Resources', resourcesText(current.resources)],
        ['GPU shares', current.gpus.length ? current.gpus.map(g => `${g.uuid}: ${g.share}`).join(', ') : '—'],
        ['Agent', current.agent || '—'], ['Folders', current.mounts.length ? current.mounts.map(m => `${m.folder} → ${m.path}${m.readOnly ? ' (ro)' : ''}`).join(', ') : '—'],
        ['Created', when(current.createdAt)], ['Started', when(current.startedAt)], ['Ended', when(current.terminatedAt)],
        ['Exit code', current.exitCode ?? '—'],
      ];
      setChildren('session-facts', ...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
      showSsh(current);
      setChildren('session-apps', ...(current.apps.length ? current.apps.map(app => el('li', {}, appLinks({ apps: [app] }))) : [el('li', {}, 'No apps (yet).')]));
      error.textContent = '';
    } catch (e) {
      error.textContent = e.status === 404 ? 'This session does not exist, or is not yours.' : e.message;
    }
  }

  async function logs() {
    try {
      setText('session-logs', await api('GET', `/v1/sessions/${id}/logs?tail=500`) || '(no output)');
    } catch (e) {
      setText('session-logs', `(logs unavailable: ${e.message})`);
    }
  }

  every(3000, refresh);
  every(5000, logs);
  streamEvents(id, event => {
    const events = document.getElementById('session-events');
    if (!events) return;
    events.append(el('li', {}, when(event.at), ' ', statusBadge(event.status), event.reason ? ` ${event.reason}` : ''));
    refresh();
  });
}

// SSH access for sessions whose image serves ssh: the command, and the session's key (id_container) to save.
let sshShownFor = null;
async function showSsh(session) {
  const box = document.getElementById('session-ssh');
  if (!box) return;
  const offered = session.status === 'RUNNING' && session.apps.some(app => app.name === 'ssh');
  box.hidden = !offered;
  if (!offered || sshShownFor === session.id) return;
  sshShownFor = session.id;
  try {
    const ssh = await api('GET', `/v1/sessions/${session.id}/ssh`);
    const key = document.getElementById('ssh-key');
    if (!key) return;
    document.getElementById('ssh-command').textContent =
      `chmod 600 id_container && ssh -i id_container -p ${ssh.port} ${ssh.user}@${ssh.host}   (sftp -i id_container -P ${ssh.port} ${ssh.user}@${ssh.host})`;
    key.onclick = () => {
      const link = el('a', { href: URL.createObjectURL(new Blob([ssh.privateKey], { type: 'application/x-pem-file' })), download: 'id_container' });
      link.click();
      URL.revokeObjectURL(link.href);
    };
  } catch (error) {
    sshShownFor = null;
    box.hidden = true;
    console.warn('SSH access unavailable', error);
  }
}

// Server-sent events read with fetch, because EventSource cannot send the Authorization header.
async function streamEvents(id, onEvent) {
  const abort = new AbortController();
  page.aborts.push(abort);
  let lastEventId = null;
  while (!abort.signal.aborted) {
    try {
      const headers = authHeaders();
      if (lastEventId) headers['Last-Event-ID'] = lastEventId;
      const response = await fetch(`/v1/sessions/${id}/events`, { headers, signal: abort.signal });
      if (!response.ok) return;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return; // the stream ends when the session reaches a final status
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = {};
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (colon > 0) fields[line.slice(0, colon)] = (fields[line.slice(0, colon)] ? fields[line.slice(0, colon)] + '\n' : '') + line.slice(colon + 1).replace(/^ /, '');
          }
          if (fields.id) lastEventId = fields.id;
          if (fields.data) onEvent(JSON.parse(fields.data));
        }
      }
    } catch (error) {
      if (abort.signal.aborted) return;
      console.warn('event stream interrupted, resuming', error);
      await new Promise(resolve => setTimeout(resolve, 2000));
    }
  }
}

// ---- new session ----

async function renderNew() {
  show('new-view');
  const form = document.getElementById('new-form');
  const gpuKind = document.getElementById('gpu-kind');
  const type = document.getElementById('type-select');
  gpuKind.addEventListener('change', () => { setHidden('gpu-amount-label', gpuKind.value === 'none'); });
  type.addEventListener('change', () => { setHidden('command-label', type.value !== 'batch'); });
  loadImages();

  form.addEventListener('submit', async event => {
    event.preventDefault();
    const data = new FormData(form);
    const select = document.getElementById('image-select');
    const body = {
      image: select.hidden ? data.get('imageText').trim() : select.value,
      type: data.get('type'),
      resources: { cpu: Number(data.get('cpu')), memory: data.get('memory').trim() },
    };
    if (data.get('name').trim()) body.name = data.get('name').trim();
    if (gpuKind.value !== 'none') body.resources[gpuKind.value] = Number(data.get('gpuAmount'));
    if (type.value === 'batch' && data.get('command').trim()) body.command = data.get('command').trim();
    const folders = data.get('folders').split(',').map(f => f.trim()).filter(Boolean);
    if (folders.length) {
      body.mounts = folders.map(f => f.endsWith(':ro') ? { folder: f.slice(0, -3), readOnly: true } : { folder: f });
    }

    const errors = document.getElementById('new-errors');
    try {
      const session = await api('POST', '/v1/sessions', body);
      location.hash = `#/session/${session.id}`;
    } catch (error) {
      const fieldErrors = error.problem && error.problem.errors;
      errors.replaceChildren(...(fieldErrors
        ? Object.entries(fieldErrors).map(([field, messages]) => el('li', {}, `${field}: ${messages.join(' ')}`))
        : [el('li', {}, error.message)]));
    }
  });
}

// Environments from GET /v1/images; when there are none (no agent has reported yet) the image is typed in.
async function loadImages() {
  let images;
  try {
    images = await api('GET', '/v1/images');
  } catch (error) {
    return;
  }
  const options = [];
  for (const environment of Array.isArray(images) ? images : []) {
    for (const version of environment.versions || []) {
      const apps = (version.apps || []).join(', ');
      options.push([version.image, `${environment.environment} ${version.version}${apps ? ` (${apps})` : ''}`]);
    }
  }
  if (options.length === 0) return;
  const select = document.getElementById('image-select');
  if (!select) return;
  select.replaceChildren(...options.map(([value, label]) => el('option', { value }, label)));
  select.hidden = false;
  setHidden('image-text', true);
}

// ---- folders ----

function renderFolders() {
  show('folders-view');
  const error = document.getElementById('folders-error');

  async function refresh() {
    try {
      const folders = await api('GET', '/v1/folders');
      setHidden('folders-empty', folders.length > 0);
      setChildren('folders-body', ...folders.map(f => el('tr', {},
        el('td', {}, f.name),
        el('td', {}, when(f.createdAt)),
        el('td', {}, f.mountedBy.length ? f.mountedBy.map(id => el('div', {}, el('a', { href: `#/session/${id}` }, id.slice(0, 8)))) : '—'),
        el('td', {}, el('button', { type: 'button', class: 'danger small', onclick: () => deleteFolder(f.name) }, 'Delete')))));
    } catch (e) {
      error.textContent = e.message;
    }
  }

  async function deleteFolder(name) {
    if (!confirm(`Delete folder ${name} and every file in it?`)) return;
    try {
      await api('DELETE', `/v1/folders/${encodeURIComponent(name)}`);
      error.textContent = '';
      refresh();
    } catch (e) {
      error.textContent = e.message;
    }
  }

  document.getElementById('folder-form').addEventListener('submit', async event => {
    event.preventDefault();
    const name = new FormData(event.target).get('name').trim();
    try {
      await api('POST', '/v1/folders', { name });
      event.target.reset();
      error.textContent = '';
      refresh();
    } catch (e) {
      const fieldErrors = e.problem && e.problem.errors;
      error.textContent = fieldErrors ? Object.values(fieldErrors).flat().join(' ') : e.message;
    }
  });
  refresh();
}

// ---- agents (admin) ----

function meter(used, total, text) {
  const percent = total > 0 ? Math.min(100, Math.round(used / total * 100)) : 0;
  return el('div', { class: 'meter', title: text },
    el('div', { class: 'meter-fill', style: `width: ${percent}%` }), el('span', {}, text));
}

function renderAgents() {
  show('agents-view');
  async function refresh() {
    try {
      const agents = await api('GET', '/v1/agents');
      setHidden('agents-empty', agents.length > 0);
      setChildren('agents-list', ...agents.map(agentCard));
      setText('agents-error', '');
    } catch (error) {
      setText('agents-error', error.message);
    }
  }
  every(3000, refresh);
}

function agentCard(a) {
  if (!a.reachable) {
    return el('article', { class: 'card agent' },
      el('h2', {}, a.id, ' ', el('span', { class: 'badge warn' }, 'unreachable')),
      el('p', { class: 'error' }, a.error || 'The agent does not answer.'));
  }
  return el('article', { class: 'card agent' },
    el('h2', {}, a.id, ' ',
      el('span', { class: a.simulated ? 'badge warn' : 'badge' }, a.simulated ? 'simulated' : a.runtime),
      a.schedulable ? '' : el('span', { class: 'badge warn' }, 'not schedulable'),
      a.capacity.gpu && !a.capacity.gpuEnforced ? el('span', { class: 'badge warn', title: 'GPU fractions are accounted, not enforced (enforcement mode none)' }, 'GPU fractions not enforced') : '',
      a.capacity.gpu && a.capacity.gpuSource === 'mock' ? el('span', { class: 'badge warn', title: 'made-up GPUs from a mock GPU file' }, 'mock GPUs') : ''),
    el('p', { class: 'muted' }, `group ${a.resourceGroup} · last heartbeat ${when(a.lastHeartbeat)} · ${a.allocations.length} session(s)`),
    el('div', { class: 'meters' },
      meter(a.allocated.cpu, a.capacity.cpu, `CPU ${a.allocated.cpu} / ${a.capacity.cpu} cores`),
      meter(a.allocated.memory, a.capacity.memory, `Memory ${bytes(a.allocated.memory)} / ${bytes(a.capacity.memory)}`),
      a.capacity.gpu ? meter(a.allocated.gpu, a.capacity.gpu, `GPU ${a.allocated.gpu} / ${a.capacity.gpu} devices (${a.capacity.fgpuPerGpu} fGPU each, ${a.capacity.enforcementMode})`) : ''),
    a.gpus.length ? el('table', { class: 'list' },
      el('thead', {}, el('tr', {}, el('th', {}, '#'), el('th', {}, 'GPU'), el('th', {}, 'Model'), el('th', {}, 'Memory'), el('th', {}, 'Allocated'), el('th', {}, 'Shares'))),
      el('tbody', {}, a.gpus.map(g => el('tr', {},
        el('td', {}, g.index), el('td', {}, g.uuid), el('td', {}, g.model), el('td', {}, bytes(g.memory)),
        el('td', {}, meter(g.allocated, 1, `${Math.round(g.allocated * 100)}%`)),
        el('td', {}, Object.entries(g.shares).map(([session, share]) => el('div', {}, el('a', { href: `#/session/${session}` }, session.slice(0, 8)), ` ${share}`))))))) : '');
}

// ---- routing ----

async function render() {
  leavePage();
  const hash = location.hash || '#/sessions';
  if (!localStorage.getItem(KEY_STORAGE)) {
    setHidden('nav', true);
    setHidden('who', true);
    renderSignIn();
    return;
  }
  if (!me) {
    try {
      me = await api('GET', '/v1/me');
      // Apps and the terminal open as plain pages, which carry no Authorization header: they use this cookie.
      await api('POST', '/v1/auth/cookie');
    } catch (error) {
      localStorage.removeItem(KEY_STORAGE);
      renderSignIn();
      return;
    }
  }
  setHidden('nav', false);
  setHidden('who', false);
  setText('who-name', `${me.name} (${me.role})`);
  setHidden('nav-agents', me.role !== 'admin');

  const [, route, id] = hash.split('/');
  if (route === 'session' && id) renderSession(decodeURIComponent(id));
  else if (route === 'new') renderNew();
  else if (route === 'folders') renderFolders();
  else if (route === 'agents' && me.role === 'admin') renderAgents();
  else renderSessions();
}

document.getElementById('sign-out').addEventListener('click', signOut);
window.addEventListener('hashchange', render);
render();
