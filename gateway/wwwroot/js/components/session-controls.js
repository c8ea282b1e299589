// The Control column of a session: its apps (opened on the session's own origin in a new window), the SSH/SFTP key
// with the commands, its logs and events, and the trash icon.
import { api, follow } from '../api.js';
import { el, icon, statusBadge } from '../dom.js';
import { appTitle, isFinal, when } from '../format.js';
import { confirmDialog, openDialog } from './dialog.js';

/**
 * @param {import('../api.js').Session} session
 * @param {import('../api.js').Me} me
 * @param {(message: string) => void} report shows an error for the page
 */
export function sessionControls(session, me, report) {
  const controls = [];
  for (const app of session.apps.filter(a => a.protocol === 'http')) {
    const starting = app.state === 'starting';
    const failed = app.state === 'failed';
    const kind = app.name === 'terminal' || app.name === 'jupyter' ? app.name : 'app';
    controls.push(el('button', {
      type: 'button', class: `control app-${app.name}`, 'data-app': app.name, disabled: starting || failed,
      'aria-label': `${starting ? 'Starting' : failed ? 'Failed' : 'Open'}: ${appTitle(app.name)} of ${session.name}`,
      title: starting ? `${appTitle(app.name)} is starting` : failed ? `${appTitle(app.name)} did not start` : `Open ${appTitle(app.name)} in a new window`,
      onclick: () => openApp(session, app.name, me, report),
    }, icon(/** @type {any} */ (kind)), el('span', { class: 'control-text' }, starting ? 'starting…' : failed ? 'failed' : appTitle(app.name))));
  }
  if (session.apps.some(a => a.name === 'ssh' && a.protocol === 'tcp')) {
    controls.push(el('button', {
      type: 'button', class: 'control', 'data-action': 'ssh', 'aria-label': `SSH / SFTP key of ${session.name}`, title: 'SSH / SFTP key (id_container)',
      onclick: () => showSsh(session, report),
    }, icon('key'), el('span', { class: 'control-text' }, 'SSH')));
  }
  controls.push(el('button', {
    type: 'button', class: 'control', 'data-action': 'logs', 'aria-label': `Logs and events of ${session.name}`, title: 'Logs and events',
    onclick: () => showLogs(session),
  }, icon('logs'), el('span', { class: 'control-text' }, 'Logs')));
  if (!isFinal(session.status)) {
    controls.push(el('button', {
      type: 'button', class: 'control danger-icon', 'data-action': 'delete', 'aria-label': `Delete ${session.name}`, title: 'Delete the session',
      onclick: () => deleteSession(session, report),
    }, icon('trash'), el('span', { class: 'control-text' }, 'Delete')));
  }
  return el('div', { class: 'controls' }, controls);
}

/**
 * Opens an app in a new window on the session's app origin. The window opens at once (while the click still counts
 * as the person's), then goes to the one-use link. An admin opening someone else's session confirms it first.
 * @param {import('../api.js').Session} session @param {string} app @param {import('../api.js').Me} me @param {(m: string) => void} report
 */
async function openApp(session, app, me, report) {
  const asAdmin = session.owner !== me.name;
  if (asAdmin && !await confirmDialog(`Open ${session.owner}'s session`,
    `${appTitle(app)} of ${session.name} belongs to ${session.owner}. Opening it as an admin is recorded in the audit log.`, 'Open as admin')) {
    return;
  }
  const opened = window.open('about:blank', '_blank');
  if (opened) opened.opener = null;
  try {
    const link = await api.openApp(session.id, app, asAdmin);
    if (opened) opened.location.href = link.url;
    else report(`Your browser blocked the new window: allow pop-ups for this site, then open ${appTitle(app)} again.`);
  } catch (error) {
    if (opened) opened.close();
    report(error instanceof Error ? error.message : String(error));
  }
}

/** @param {import('../api.js').Session} session @param {(m: string) => void} report */
async function deleteSession(session, report) {
  const confirmed = await confirmDialog(`Delete ${session.name}?`,
    'Its container stops and is removed. Files outside mounted folders are lost; the folders keep theirs.', 'Delete session');
  if (!confirmed) return;
  try {
    await api.deleteSession(session.id);
  } catch (error) {
    report(error instanceof Error ? error.message : String(error));
  }
}

/** @param {import('../api.js').Session} session @param {(m: string) => void} report */
async function showSsh(session, report) {
  let ssh;
  try {
    ssh = await api.ssh(session.id);
  } catch (error) {
    report(error instanceof Error ? error.message : String(error));
    return;
  }
  const commands = [
    `chmod 600 id_container`,
    `ssh -i id_container -p ${ssh.port} ${ssh.user}@${ssh.host}`,
    `sftp -i id_container -P ${ssh.port} ${ssh.user}@${ssh.host}`,
  ];
  openDialog(`SSH / SFTP into ${session.name}`, [
    el('p', {}, 'Save the session\'s key as id_container, then:'),
    el('pre', { class: 'commands', tabindex: '0', 'aria-label': 'Commands' }, commands.join('\n')),
    el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'primary', 'data-action': 'download-key', onclick: () => download('id_container', ssh.privateKey) }, 'Download id_container')),
  ]);
}

/** @param {string} name @param {string} text */
function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/octet-stream' }));
  const link = el('a', { href: url, download: name, hidden: true });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The session's events as they happen (SSE) and its container output. @param {import('../api.js').Session} session */
function showLogs(session) {
  const events = el('ol', { class: 'events', 'aria-live': 'polite' });
  const logs = el('pre', { class: 'logs', tabindex: '0', 'aria-label': 'Container output' }, 'Loading…');
  const refresh = async () => {
    try {
      logs.textContent = await api.logs(session.id, 500) || '(no output yet)';
    } catch (error) {
      logs.textContent = `(no logs: ${error instanceof Error ? error.message : error})`;
    }
  };
  const stop = follow(`/v1/sessions/${encodeURIComponent(session.id)}/events`, {
    status: (/** @type {import('../api.js').SessionEvent} */ event) => {
      events.append(el('li', {}, el('time', { datetime: event.at }, when(event.at)), ' ', statusBadge(event.status), event.reason ? ` ${event.reason}` : ''));
      if (isFinal(event.status)) { stop(); refresh(); }
    },
  });
  openDialog(`${session.name}: events and logs`, [
    el('h3', {}, 'Events'), events,
    el('div', { class: 'row' }, el('h3', {}, 'Logs'), el('button', { type: 'button', class: 'secondary', onclick: refresh }, 'Refresh')),
    logs,
  ], { wide: true, onClose: () => stop() });
  refresh();
}
