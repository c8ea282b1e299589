// Granary's web terminal: xterm.js over the session's terminal WebSocket (/v1/sessions/{id}/terminal).
// The page is served on the session's own app origin at /v1/sessions/{id}/apps/terminal/ and authenticates with
// that origin's app cookie.
// Binary frames carry terminal bytes; text frames carry control messages ({"type":"resize",...}).
'use strict';

const match = location.pathname.match(/^\/v1\/sessions\/([^/]+)\/apps\/terminal\/?$/);
const sessionId = match ? decodeURIComponent(match[1]) : null;
/** An element terminal.html has. @param {string} id */
const element = id => /** @type {HTMLElement} */ (document.getElementById(id));
const state = element('state');
const reconnect = element('reconnect');
element('title').textContent = sessionId ? `session ${sessionId.slice(0, 8)}` : 'no session';

if (typeof Terminal === 'undefined') {
  state.textContent = 'xterm.js is not installed on the gateway (npm install in gateway/)';
} else if (sessionId) {
  const id = sessionId;
  // Colours the session picks (a tmux status bar, ls) are lightened or darkened to a 4.5:1 contrast (WCAG AA).
  const terminal = new Terminal({ cursorBlink: true, scrollback: 5000, fontSize: 14, minimumContrastRatio: 4.5 });
  const fit = new FitAddon.FitAddon();
  terminal.loadAddon(fit);
  terminal.open(element('terminal'));
  fit.fit();
  const encoder = new TextEncoder();
  /** @type {WebSocket | null} */
  let socket = null;

  /** @param {string | Uint8Array} data */
  const send = data => { if (socket && socket.readyState === WebSocket.OPEN) socket.send(data); };
  terminal.onData(data => send(encoder.encode(data)));
  terminal.onResize(({ cols, rows }) => send(JSON.stringify({ type: 'resize', cols, rows })));
  window.addEventListener('resize', () => fit.fit());

  function connect() {
    reconnect.hidden = true;
    state.textContent = 'connecting…';
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}/v1/sessions/${encodeURIComponent(id)}/terminal?cols=${terminal.cols}&rows=${terminal.rows}`);
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => { state.textContent = 'connected'; terminal.focus(); };
    socket.onmessage = event => terminal.write(typeof event.data === 'string' ? event.data : new Uint8Array(event.data));
    socket.onclose = event => {
      state.textContent = event.code === 1000
        ? `closed: ${event.reason || 'terminal ended'}`
        : 'disconnected (is the session still running? Open the terminal again from Granary if this persists)';
      reconnect.hidden = false;
    };
  }

  reconnect.addEventListener('click', connect);
  connect();
}
