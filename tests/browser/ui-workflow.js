#!/usr/bin/env node
// The user guide's workflow in headless Chromium against an all-in-one with real (Docker) sessions: sign in, make a
// folder, START → launch with the folder → RUNNING, open the terminal and Jupyter from the Control column (each on
// the session's own origin) and use them, download the SSH key with its commands, delete with the trash icon and
// find the session under Finished. From the app's side, as an attacker's page would: no credential of the UI is
// readable, the REST API refuses it, and no service worker registers over the UI or the whole app origin.
// axe-core and screenshots at 1280 and 390 px (in SCREENSHOTS, default .test-results/ui-workflow) of what only real
// sessions show: the full Control column, the terminal page and the SSH key dialog.
// Usage: node tests/browser/ui-workflow.js BASE_URL ADMIN_KEY   (image: E2E_IMAGE, default granary/python:3.11)
'use strict';
const fs = require('fs');
const path = require('path');
const { launch, newPage, signIn, capture, fail, api, launchSession, timeout } = require('./lib.js');

const [base, key] = process.argv.slice(2);
if (!base || !key) {
  console.error('usage: node tests/browser/ui-workflow.js BASE_URL ADMIN_KEY');
  process.exit(2);
}
const image = process.env.E2E_IMAGE || 'granary/python:3.11';
const shots = process.env.SCREENSHOTS || path.join(__dirname, '..', '..', '.test-results', 'ui-workflow');
fs.mkdirSync(shots, { recursive: true });
const stamp = Date.now().toString(36);
const folder = `wf-${stamp}`;
const name = `wf-${stamp}`;
let sessionId = null;

(async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
    const page = await newPage(context);
    console.log('sign in, make a folder');
    await signIn(page, base, key);
    await page.goto(base + '/#/folders');
    await page.fill('#folder-name', folder);
    await page.click('#folder-form button[type=submit]');
    await page.locator(`#folders-body tr[data-folder="${folder}"]`).waitFor({ timeout });

    console.log('START → launch with the folder → RUNNING');
    await page.goto(base + '/#/sessions');
    await launchSession(page, { name, image, folder });
    const row = page.locator(`#sessions-body tr[data-name="${name}"]`);
    await row.waitFor({ timeout: 5000 });
    sessionId = await row.getAttribute('data-session');
    await row.locator('.status-running').waitFor({ timeout: 180000 });
    await row.locator('button[data-app=jupyter]:not([disabled])').waitFor({ timeout: 120000 });
    await capture(page, 'sessions-control-column', shots);

    console.log('Terminal from the Control column');
    const terminal = await openFromControl(context, row, 'terminal');
    await terminal.waitForFunction(() => document.getElementById('state').textContent === 'connected', null, { timeout });
    await terminal.waitForSelector('.xterm-rows', { timeout });
    await terminal.waitForTimeout(1000);
    await terminal.keyboard.type(`echo "self.addEventListener('fetch', () => {})" > ~/${folder}/sw.js; echo made-$((6*7))`);
    await terminal.keyboard.press('Enter');
    await terminal.waitForFunction(() => document.querySelector('.xterm-rows').textContent.includes('made-42'), null, { timeout });
    await capture(terminal, 'terminal', shots);
    await terminal.close();

    console.log('Jupyter from the Control column');
    const jupyter = await openFromControl(context, row, 'jupyter');
    const deadline = Date.now() + 120000;
    while (!(await jupyter.$('#notebook_list'))) { // the notebook server answers a few seconds after the container starts
      if (Date.now() > deadline) throw new Error(`Jupyter did not show its file list at ${jupyter.url()}`);
      await jupyter.waitForTimeout(1000);
      await jupyter.reload();
    }

    console.log('the app page, as an attacker: credentials, the REST API as the viewer, service workers');
    const attack = await jupyter.evaluate(async ({ base, folder, sessionId }) => {
      const out = { cookie: document.cookie, storage: JSON.stringify(localStorage) + JSON.stringify(sessionStorage) };
      try {
        const response = await fetch(base + '/v1/me', { credentials: 'include' });
        out.me = `answered ${response.status}`;
      } catch (e) { out.me = `refused: ${e.name}`; }
      try {
        await fetch(base + '/v1/folders', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ name: `${folder}-stolen` }) });
      } catch (e) { /* a refusal is what we want; the folder list is checked below */ }
      const script = `/v1/sessions/${sessionId}/apps/jupyter/files/${folder}/sw.js`;
      for (const [label, url, scope] of [['ui', base + '/sw.js', base + '/'], ['whole-origin', script, '/']]) {
        try {
          await navigator.serviceWorker.register(url, { scope });
          out[label] = 'registered';
        } catch (e) { out[label] = `refused: ${e.name}`; }
      }
      return out;
    }, { base, folder, sessionId });
    console.log(`  ${JSON.stringify(attack)}`);
    if (/granary/i.test(attack.cookie) || attack.storage.includes(key)) throw new Error(`the app page reads a credential: ${JSON.stringify(attack)}`);
    if (!attack.me.startsWith('refused')) throw new Error(`the app page called the REST API as its viewer: ${attack.me}`);
    if (attack.ui === 'registered' || attack['whole-origin'] === 'registered') throw new Error(`a service worker registered: ${JSON.stringify(attack)}`);
    const folders = (await api(base, key, 'GET', '/v1/folders')).body.map(f => f.name);
    if (folders.includes(`${folder}-stolen`)) throw new Error('a cross-site request created a folder as the viewer');
    await jupyter.close();

    console.log('the SSH key and its commands');
    await row.locator('[data-action=ssh]').click();
    await page.waitForSelector('dialog pre.commands', { timeout });
    await capture(page, 'ssh-key', shots);
    const commands = await page.textContent('dialog pre.commands');
    if (!/ssh -i id_container -p \d+ work@\S+/.test(commands) || !/sftp -i id_container -P \d+/.test(commands)) throw new Error(`no ssh/sftp commands: ${commands}`);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout }), page.click('dialog [data-action=download-key]')]);
    if (download.suggestedFilename() !== 'id_container') throw new Error(`the key downloads as ${download.suggestedFilename()}`);
    const stream = await download.createReadStream();
    let keyText = '';
    for await (const chunk of stream) keyText += chunk;
    if (!keyText.includes('PRIVATE KEY')) throw new Error('the downloaded id_container is not a private key');
    await page.keyboard.press('Escape');

    console.log('the trash icon, then Finished');
    await row.locator('[data-action=delete]').click();
    await page.click('dialog button[data-confirm]');
    await row.waitFor({ state: 'detached', timeout: 120000 });
    await page.click('#tab-finished');
    await page.locator(`#sessions-body tr[data-name="${name}"] .status-terminated`).waitFor({ timeout: 120000 });
    sessionId = null;

    fail([page, terminal]);
    console.log('OK: sign in, folder, START → RUNNING, terminal and Jupyter on the app origin, attacker page refused, key, trash → Finished');
  } finally {
    await browser.close();
    if (sessionId) console.log(`cleanup: delete ${sessionId} answered ${(await api(base, key, 'DELETE', `/v1/sessions/${sessionId}`)).status}`);
    for (let i = 0; i < 30; i++) { // the folder can go once no live session mounts it
      if ((await api(base, key, 'DELETE', `/v1/folders/${folder}`)).status !== 409) break;
      await new Promise(resolve => setTimeout(resolve, 2000));
    }
  }
})().catch(error => {
  console.error('FAIL:', error.message || error);
  process.exit(1);
});

/** Clicks an app's button in the session's Control column and returns the window it opens, on the app's origin. */
async function openFromControl(context, row, app) {
  const button = row.locator(`button[data-app=${app}]`);
  await button.waitFor({ timeout });
  await row.locator(`button[data-app=${app}]:not([disabled])`).waitFor({ timeout: 120000 }); // "starting" until the app answers
  const [opened] = await Promise.all([context.waitForEvent('page', { timeout }), button.click()]);
  opened.errors = [];
  opened.on('pageerror', error => opened.errors.push(error.message));
  await opened.waitForURL(/\.apps\.localhost[:/]/, { timeout });
  const origin = new URL(opened.url()).origin;
  if (origin === new URL(base).origin) throw new Error(`${app} opened on the UI's origin`);
  return opened;
}
