// Granary's web UI: who is signed in, the header, and which page the address shows (#/sessions, #/folders, …).
import { api, whenSignedOut } from './api.js';
import { byId, el } from './dom.js';
import { renderSignIn } from './pages/sign-in.js';
import { renderSessions } from './pages/sessions.js';
import { renderFolders } from './pages/folders.js';
import { renderAgents } from './pages/agents.js';
import { renderGpus } from './pages/gpus.js';
import { renderQueue } from './pages/queue.js';

/** @type {import('./api.js').Me | null} */
let me = null;
let leave = () => {};

const PAGES = [
  { route: 'sessions', title: 'Sessions', admin: false },
  { route: 'folders', title: 'Folders', admin: false },
  { route: 'agents', title: 'Agents', admin: true },
  { route: 'gpus', title: 'GPUs', admin: true },
  { route: 'queue', title: 'Queue', admin: true },
];

function header() {
  const nav = byId('nav');
  const who = byId('who');
  if (!me) {
    nav.replaceChildren();
    who.replaceChildren();
    return;
  }
  const signedIn = me;
  nav.replaceChildren(el('ul', {}, PAGES.filter(p => !p.admin || signedIn.role === 'admin').map(p =>
    el('li', {}, el('a', { href: `#/${p.route}`, 'data-route': p.route }, p.title)))));
  who.replaceChildren(
    el('span', {}, `${signedIn.name} (${signedIn.role})`),
    el('button', { type: 'button', id: 'sign-out', class: 'secondary', onclick: signOut }, 'Sign out'));
}

async function signOut() {
  try {
    await api.signOut();
  } finally {
    me = null;
    location.hash = '#/sessions';
    render();
  }
}

function render() {
  leave();
  leave = () => {};
  const main = byId('main');
  header();
  if (!me) {
    document.title = 'Sign in · Granary';
    leave = renderSignIn(main, signedIn => { me = signedIn; render(); });
    return;
  }
  const [, route = 'sessions', sub] = (location.hash || '#/sessions').split('/');
  const page = PAGES.find(p => p.route === route && (!p.admin || me?.role === 'admin')) || PAGES[0];
  document.title = `${page.title} · Granary`;
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.getAttribute('data-route') === page.route) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const context = { me, tab: sub };
  /** @type {Record<string, () => () => void>} */
  const views = {
    sessions: () => renderSessions(main, context),
    folders: () => renderFolders(main),
    agents: () => renderAgents(main),
    gpus: () => renderGpus(main),
    queue: () => renderQueue(main),
  };
  leave = views[page.route]();
}

whenSignedOut(() => { if (me) { me = null; render(); } });
window.addEventListener('hashchange', () => {
  // The sessions page changes its own tab in the address without leaving.
  if (!location.hash.startsWith('#/sessions/') || !byId('main').querySelector('#sessions-panel')) render();
});

api.me().then(signedIn => { me = signedIn; }, () => { me = null; }).finally(render);
