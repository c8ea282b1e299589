#!/usr/bin/env node
// Every page of the web UI against an all-in-one with simulated GPUs (GRANARY_AGENT_DRIVER=simulated): sign in,
// folders (a field error, create), the keyboard (START, Escape, tabs by arrows), START → launch dialog (a field error next to RAM, then a folder read-only and an
// fGPU share) → the session appears at once and follows live to RUNNING; a LAUNCH whose answer was lost, pressed
// again, gets the session it made (one Idempotency-Key for both); one too big stays PENDING with its reason
// (also in the admin queue); the GPUs page shows the share and "not enforced"; the Orleans dashboard renders under
// the gateway's CSP without a violation; the trash icon ends it and Finished lists it. axe-core
// on every page and screenshots at 1280 px and 390 px (in SCREENSHOTS, default .test-results/ui).
// Usage: node tests/browser/ui-pages.js BASE_URL ADMIN_KEY
'use strict';
const fs = require('fs');
const path = require('path');
const { launch, newPage, signIn, capture, fail, api, launchSession, timeout } = require('./lib.js');

const [base, key] = process.argv.slice(2);
if (!base || !key) {
  console.error('usage: node tests/browser/ui-pages.js BASE_URL ADMIN_KEY');
  process.exit(2);
}
const shots = process.env.SCREENSHOTS || path.join(__dirname, '..', '..', '.test-results', 'ui');
fs.mkdirSync(shots, { recursive: true });
const stamp = Date.now().toString(36);
const folder = `ui-${stamp}`;
const cleanup = [];

const rowOf = (page, name) => page.locator(`#sessions-body tr[data-name="${name}"]`);

(async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
    const page = await newPage(context);

    console.log('sign in (a wrong key is refused)');
    await page.goto(base + '/');
    await page.waitForSelector('#sign-in-key', { timeout });
    await capture(page, 'sign-in', shots);
    await page.fill('#sign-in-key', 'not-a-key-of-anyone');
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForSelector('#sign-in-error:not(:empty)', { timeout });
    await signIn(page, base, key);

    console.log('folders: a bad name is shown next to the field; create one');
    await page.goto(base + '/#/folders');
    await page.fill('#folder-name', '.hidden');
    await page.click('#folder-form button[type=submit]');
    await page.waitForSelector('#folder-form [data-error-for=name]:not(:empty)', { timeout });
    await page.fill('#folder-name', folder);
    await page.click('#folder-form button[type=submit]');
    await page.locator(`#folders-body tr[data-folder="${folder}"]`).waitFor({ timeout });
    await capture(page, 'folders', shots);

    console.log('keyboard: START opens the dialog with Enter, Escape closes it and focus returns; arrows switch tabs');
    await page.goto(base + '/#/sessions');
    await page.focus('#start');
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog[open] form.launch button[type=submit]', { timeout });
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog', { state: 'detached', timeout });
    if (await page.evaluate(() => document.activeElement && document.activeElement.id) !== 'start') throw new Error('focus did not return to START');
    await page.focus('#tab-running');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('#tab-finished[aria-selected=true]:focus', { timeout });
    await page.keyboard.press('ArrowLeft');
    await page.waitForSelector('#tab-running[aria-selected=true]:focus', { timeout });

    console.log('START: the launch dialog names the bad field, then launches with a read-only folder and 2.5 fGPU');
    await page.goto(base + '/#/sessions');
    const name = `fgpu-${stamp}`;
    await launchSession(page, { name, memory: 'lots', folder, readOnly: true, fgpu: '2.5' });
    await page.waitForSelector('dialog [data-error-for="resources.memory"]:not(:empty)', { timeout });
    const gpuHelp = await page.textContent('#launch-gpu-help');
    if (!/1 fGPU = 0\.2 of a GPU: 20 % of its SMs and memory/.test(gpuHelp)) throw new Error(`the dialog does not explain fGPU: ${gpuHelp}`);
    await capture(page, 'launch-dialog', shots);
    await page.fill('#launch-memory', '1');
    await page.click('dialog form.launch button[type=submit]');
    await rowOf(page, name).waitFor({ timeout: 5000 }); // at once, before the list stream has it
    const id = await rowOf(page, name).getAttribute('data-session');
    cleanup.push(id);
    await rowOf(page, name).locator('.status-running').waitFor({ timeout: 60000 });
    const session = (await api(base, key, 'GET', `/v1/sessions/${id}`)).body;
    if (session.resources.fgpu !== 2.5 || !session.mounts.some(m => m.folder === folder && m.readOnly)) {
      throw new Error(`the session was not created as launched: ${JSON.stringify(session.resources)} ${JSON.stringify(session.mounts)}`);
    }

    console.log('a launch whose answer was lost (503 after the session was stored): LAUNCH again gets that session');
    const lost = `lost-${stamp}`;
    const keys = [];
    await page.route('**/v1/sessions', async route => {
      if (route.request().method() !== 'POST') return route.fallback();
      keys.push(route.request().headers()['idempotency-key']);
      const response = await route.fetch(); // the gateway stores the session either way
      if (keys.length > 1) return route.fulfill({ response });
      return route.fulfill({
        status: 503, contentType: 'application/problem+json', headers: { 'Retry-After': '1' },
        body: JSON.stringify({ title: 'Service Unavailable', status: 503, detail: 'A manager is restarting; try again.' }),
      });
    });
    await launchSession(page, { name: lost });
    await page.waitForSelector('dialog[open] .form-errors li', { timeout });
    await page.click('dialog form.launch button[type=submit]');
    await rowOf(page, lost).waitFor({ timeout: 5000 });
    await page.unroute('**/v1/sessions');
    if (keys.length !== 2 || !/^[0-9a-f]{32}$/.test(keys[0] || '') || keys[0] !== keys[1]) {
      throw new Error(`the two LAUNCHes sent Idempotency-Keys ${JSON.stringify(keys)}, not one key twice`);
    }
    const named = (await api(base, key, 'GET', '/v1/sessions')).body.filter(s => s.name === lost);
    cleanup.push(...named.map(s => s.id));
    if (named.length !== 1) throw new Error(`${named.length} sessions named ${lost}, not one`);

    console.log('a session no node can hold stays PENDING and says why');
    const big = `big-${stamp}`;
    await launchSession(page, { name: big, fgpu: '40' });
    await rowOf(page, big).locator('.status-pending').waitFor({ timeout });
    // The scheduler's own reason, arrived live (before its pass the row says it waits for the scheduler).
    await rowOf(page, big).locator('.reason', { hasText: 'no agent has room' }).waitFor({ timeout });
    cleanup.push(await rowOf(page, big).getAttribute('data-session'));
    console.log(`  reason: ${await rowOf(page, big).locator('.reason').textContent()}`);
    await capture(page, 'sessions-running', shots);

    console.log('logs and events of the session');
    await rowOf(page, name).locator('[data-action=logs]').click();
    await page.waitForSelector('dialog ol.events li >> text=RUNNING', { timeout });
    await capture(page, 'session-logs', shots);
    await page.keyboard.press('Escape');

    console.log('admin pages: queue (the pending one), GPUs (the share), agents');
    await page.goto(base + '/#/queue');
    await page.locator('#queue-list tr', { hasText: big }).waitFor({ timeout });
    await capture(page, 'queue', shots);
    await page.goto(base + '/#/gpus');
    await page.locator('#gpus-body', { hasText: id.slice(0, 8) }).waitFor({ timeout });
    // The all-in-one's node has no enforcement mode set (none): its fractions are accounted, and the page says so.
    const enforcement = await page.textContent('#gpus-body tr td.enforcement');
    if (!/^none not enforced$/.test(enforcement || '')) throw new Error(`the GPUs page does not say "not enforced" for mode none: ${enforcement}`);
    await capture(page, 'gpus', shots);
    await page.goto(base + '/#/agents');
    await page.waitForSelector('article.agent', { timeout });
    if (!/GPU not enforced/.test(await page.textContent('article.agent h2') || '')) throw new Error('the agents page does not say the GPUs are not enforced');
    await capture(page, 'agents', shots);

    console.log('the Orleans dashboard renders for the admin: no Content-Security-Policy violation, no console error');
    const dashboard = await newPage(context);
    const violations = [];
    await dashboard.exposeFunction('reportViolation', text => violations.push(text));
    await dashboard.addInitScript(() => document.addEventListener('securitypolicyviolation',
      e => window.reportViolation(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`)));
    dashboard.on('console', message => { if (message.type() === 'error') violations.push(`console: ${message.text().slice(0, 200)}`); });
    for (const view of ['grains', 'silos', 'trace']) {
      await dashboard.goto(`${base}/dashboard/#/${view}`);
      await dashboard.waitForFunction(() => document.body.innerText.includes('Orleans Dashboard'), null, { timeout });
      await dashboard.waitForTimeout(1500); // the view renders and polls the silo a time or two
    }
    await dashboard.goto(`${base}/dashboard/`);
    await dashboard.waitForSelector('text=TOTAL ACTIVATIONS', { timeout });
    await dashboard.waitForTimeout(2000); // its counters and charts fill in
    await dashboard.screenshot({ path: path.join(shots, 'dashboard-1280.png') });
    if (violations.length) throw new Error(`the dashboard under the gateway's CSP: ${violations.join(' | ')}`);
    fail([dashboard]);
    await dashboard.close();

    console.log('the trash icon asks, then the session ends and is listed under Finished');
    await page.goto(base + '/#/sessions');
    for (const which of [big, name]) {
      await rowOf(page, which).locator('[data-action=delete]').click();
      await page.click('dialog button[data-confirm]');
      await rowOf(page, which).waitFor({ state: 'detached', timeout: 60000 });
    }
    await page.click('#tab-finished');
    await rowOf(page, name).locator('.status-terminated').waitFor({ timeout });
    const finished = await rowOf(page, name).textContent();
    if (!/\d+ (s|min)/.test(finished)) throw new Error(`Finished shows no duration: ${finished}`);
    await capture(page, 'sessions-finished', shots);

    fail([page]);
    cleanup.length = 0;
    console.log(`OK: every page at 1280 and 390 px, axe clean, screenshots in ${shots}`);
  } finally {
    await browser.close();
    for (const id of cleanup) {
      if (id) console.log(`cleanup: delete ${id} answered ${(await api(base, key, 'DELETE', `/v1/sessions/${id}`)).status}`);
    }
    await api(base, key, 'DELETE', `/v1/folders/${folder}`).catch(() => {});
  }
})().catch(error => {
  console.error('FAIL:', error.message || error);
  process.exit(1);
});
