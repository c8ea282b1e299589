#!/usr/bin/env node
// A person's path through a real (Docker) session in headless Chromium: sign in, create a Python session,
// open Jupyter through the gateway's app proxy and run a notebook cell, open the web terminal (tmux) and run a
// command; another user's key gets 404 for the same app. Deletes the session at the end.
// Usage: node tests/e2e/jupyter-and-terminal.js BASE_URL ADMIN_KEY   (image: E2E_IMAGE, default granary/python:3.11)
'use strict';
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', 'browser', 'node_modules', 'playwright-core'));

const [base, key] = process.argv.slice(2);
if (!base || !key) {
  console.error('usage: node tests/e2e/jupyter-and-terminal.js BASE_URL ADMIN_KEY');
  process.exit(2);
}
const image = process.env.E2E_IMAGE || 'granary/python:3.11';
const timeout = 60000;

async function api(method, url, apiKey, body) {
  const response = await fetch(base + url, {
    method,
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Requests, answers, console lines and failures of a page, with the time, for a failure's report. */
const seen = [];
function watch(page) {
  const note = text => seen.push(`${new Date().toISOString()} ${text}`);
  page.on('request', request => note(`request ${request.method()} ${request.url()}`));
  page.on('response', response => note(`response ${response.status()} ${response.url()}`));
  page.on('requestfailed', request => note(`failed ${request.url()}: ${(request.failure() || {}).errorText}`));
  page.on('console', message => note(`console ${message.type()}: ${message.text()}`));
  page.on('pageerror', error => note(`page error: ${error.message}`));
}

async function waitForStatus(id, wanted) {
  const deadline = Date.now() + 180000;
  for (;;) {
    const { body } = await api('GET', `/v1/sessions/${id}`, key);
    if (body.status === wanted) return body;
    if (['ERROR', 'TERMINATED', 'CANCELLED'].includes(body.status) && body.status !== wanted)
      throw new Error(`session ${id} is ${body.status}: ${body.statusReason}`);
    if (Date.now() > deadline) throw new Error(`session ${id} did not reach ${wanted} (is ${body.status})`);
    await new Promise(resolve => setTimeout(resolve, 500));
  }
}

(async () => {
  const created = await api('POST', '/v1/sessions', key, { name: `e2e-${Date.now()}`, image, resources: { cpu: 1, memory: '1g' } });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
  const id = created.body.id;
  console.log(`session ${id} created`);
  let browser = null;
  try {
    await waitForStatus(id, 'RUNNING');
    console.log('RUNNING');

    const stranger = await api('POST', '/v1/users', key, { name: `stranger${Date.now()}`, role: 'user' });
    if (stranger.status !== 201 && stranger.status !== 200) throw new Error(`creating a user answered ${stranger.status}`);
    const strangerApp = await fetch(`${base}/v1/sessions/${id}/apps/jupyter/tree`, { headers: { Authorization: `Bearer ${stranger.body.key}` } });
    if (strangerApp.status !== 404) throw new Error(`another user's request for the app answered ${strangerApp.status}, not 404`);
    console.log('another user gets 404');

    // Launched when it is needed, as the other browser tests do, not idle while the session starts.
    browser = await chromium.launch({
      executablePath: process.env.GRANARY_CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', error => errors.push(error.message));
    watch(page);
    await page.goto(base + '/');
    await page.fill('input[name=key]', key, { timeout });
    await page.click('#sign-in-form button');
    await page.waitForSelector('#sessions-body', { state: 'attached', timeout });

    console.log('open Jupyter through the proxy, on the session\'s own origin');
    const opened = await api('POST', `/v1/sessions/${id}/open/jupyter`, key);
    if (opened.status !== 200) throw new Error(`open answered ${opened.status}: ${JSON.stringify(opened.body)}`);
    const origin = new URL(opened.body.url).origin;
    if (origin === new URL(base).origin) throw new Error(`the app opens on the UI's origin ${origin}`);
    await page.goto(opened.body.url);
    const jupyter = `${origin}/v1/sessions/${id}/apps/jupyter/`;
    const deadline = Date.now() + 120000;
    for (;;) { // the notebook server needs a few seconds after the container starts
      const response = await page.goto(jupyter + 'tree');
      if (response && response.status() === 200) break;
      if (Date.now() > deadline) throw new Error(`Jupyter answered ${response && response.status()}`);
      await page.waitForTimeout(1000);
    }
    await page.waitForSelector('#notebook_list', { timeout });
    const notebook = await page.evaluate(async url => {
      const xsrf = (document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || '';
      const response = await fetch(url + 'api/contents', {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'X-XSRFToken': decodeURIComponent(xsrf) },
        body: JSON.stringify({ type: 'notebook' }),
      });
      if (!response.ok) throw new Error(`creating a notebook answered ${response.status}`);
      return (await response.json()).path;
    }, jupyter);
    await page.goto(`${jupyter}notebooks/${notebook}`);
    await page.waitForSelector('.CodeMirror', { timeout });
    await page.waitForFunction(() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected(), null, { timeout });
    await page.click('.CodeMirror');
    await page.keyboard.type('print(6*7)');
    await page.keyboard.press('Shift+Enter');
    await page.waitForFunction(() => [...document.querySelectorAll('.output_area')].some(o => o.textContent.includes('42')), null, { timeout });
    console.log('a notebook cell ran: 42');

    console.log('open the web terminal');
    const terminal = await context.newPage();
    terminal.on('pageerror', error => errors.push(error.message));
    watch(terminal);
    const terminalLink = await api('POST', `/v1/sessions/${id}/open/terminal`, key);
    if (terminalLink.status !== 200) throw new Error(`open terminal answered ${terminalLink.status}`);
    await terminal.goto(terminalLink.body.url);
    await terminal.waitForFunction(() => document.getElementById('state').textContent === 'connected', null, { timeout });
    await terminal.waitForSelector('.xterm-rows', { timeout });
    await terminal.waitForTimeout(1000);
    await terminal.keyboard.type('echo granary-$((6*7))');
    await terminal.keyboard.press('Enter');
    await terminal.waitForFunction(() => document.querySelector('.xterm-rows').textContent.includes('granary-42'), null, { timeout });
    console.log('a command typed in the terminal printed its output');

    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    console.log('OK: Jupyter cell and terminal command through the proxy; another user refused');
  } catch (error) {
    // What the browser saw: a step that timed out says only which element it waited for. The requests come
    // last, next to the failure, where a report that keeps only the end of the output still shows them.
    for (const page of browser ? browser.contexts().flatMap(c => c.pages()) : []) {
      console.error(`page ${page.url()}: ${(await page.content().catch(e => e.message)).slice(0, 600)}`);
    }
    console.error(seen.slice(-40).join('\n'));
    throw error;
  } finally {
    if (browser) await browser.close();
    const deleted = await api('DELETE', `/v1/sessions/${id}`, key);
    console.log(`delete answered ${deleted.status}`);
  }
})().catch(error => {
  console.error('FAIL:', error.message || error);
  process.exit(1);
});
