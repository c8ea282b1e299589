#!/usr/bin/env node
// Drives the web UI in headless Chromium against a running gateway, as a person would: sign in (a wrong key is
// refused), create a folder, a bad form shows field errors, create a session mounting the folder, watch it reach RUNNING, open its terminal and see
// typed text come back, see the agents page (admin), delete the session and see it TERMINATED, delete the folder.
// Usage: node tests/smoke/web-ui.js BASE_URL ADMIN_KEY
// Needs Debian's chromium (GRANARY_CHROMIUM or /usr/bin/chromium) and playwright-core from tests/browser
// (deploy/scripts/browser-up.sh installs both). Exits non-zero on the first failure.
'use strict';
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', 'browser', 'node_modules', 'playwright-core'));

const [base, key] = process.argv.slice(2);
if (!base || !key) {
  console.error('usage: node tests/smoke/web-ui.js BASE_URL ADMIN_KEY');
  process.exit(2);
}
const timeout = 30000;
let sessionId = null; // deleted at the end even when a step fails, so no container is left behind
const name = `web-ui-${Date.now()}`;

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.GRANARY_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', error => errors.push(error.message));

    console.log('sign in');
    await page.goto(base + '/');
    await page.fill('input[name=key]', 'not-a-key-of-anyone');
    await page.click('#sign-in-form button');
    await page.waitForSelector('#sign-in-error:not(:empty)', { timeout });
    await page.fill('input[name=key]', key);
    await page.click('#sign-in-form button');
    await page.waitForSelector('#sessions-body', { state: 'attached', timeout });

    console.log('create a folder');
    await page.goto(base + '/#/folders');
    await page.fill('#folder-form input[name=name]', name);
    await page.click('#folder-form button');
    await page.locator('#folders-body tr', { hasText: name }).waitFor({ timeout });

    console.log('a bad form names the fields');
    await page.goto(base + '/#/new');
    await page.waitForSelector('#new-form', { timeout });
    await page.fill('input[name=memory]', '4x');
    if (await page.isVisible('#image-text')) await page.fill('#image-text', '');
    await page.click('#new-form button[type=submit]');
    await page.waitForSelector('#new-errors li', { timeout });
    const formErrors = await page.textContent('#new-errors');
    if (!formErrors.includes('resources.memory')) throw new Error(`no error for resources.memory: ${formErrors}`);

    console.log('create a session');
    await page.fill('input[name=name]', name);
    await page.fill('input[name=memory]', '1g');
    await page.fill('input[name=folders]', name);
    if (await page.isVisible('#image-text')) {
      await page.fill('#image-text', process.env.SMOKE_IMAGE || 'python:3.11');
    } else {
      const images = await page.$$eval('#image-select option', options => options.map(o => o.value));
      await page.selectOption('#image-select', process.env.SMOKE_IMAGE || images.find(i => i.includes('python')) || images[0]);
    }
    await page.click('#new-form button[type=submit]');
    await page.waitForURL(/#\/session\//, { timeout });
    sessionId = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
    await page.waitForFunction(() => [...document.querySelectorAll('#session-events li')].some(li => li.textContent.includes('RUNNING')), null, { timeout: 120000 });

    console.log('open the terminal');
    await page.waitForSelector('#session-apps a', { timeout });
    const [terminal] = await Promise.all([context.waitForEvent('page', { timeout }), page.click('#session-apps a:text-is("terminal")')]);
    terminal.on('pageerror', error => errors.push(error.message));
    await terminal.waitForFunction(() => document.getElementById('state').textContent === 'connected', null, { timeout });
    await terminal.waitForSelector('.xterm-rows', { timeout });
    await terminal.waitForTimeout(500);
    await terminal.keyboard.type(`echo ${name}`);
    await terminal.keyboard.press('Enter');
    await terminal.waitForFunction(text => document.querySelector('.xterm-rows').textContent.includes(text), `echo ${name}`, { timeout });
    await terminal.close();

    console.log('agents page');
    await page.goto(base + '/#/agents');
    await page.waitForSelector('article.agent', { timeout });

    console.log('delete the session');
    await page.goto(base + '/#/sessions');
    const row = page.locator('#sessions-body tr', { hasText: name });
    await row.waitFor({ timeout });
    page.on('dialog', dialog => dialog.accept());
    await row.locator('button.danger').click();
    await page.waitForFunction(session => [...document.querySelectorAll('#sessions-body tr')]
      .some(tr => tr.textContent.includes(session) && tr.textContent.includes('TERMINATED')), name, { timeout: 120000 });

    console.log('delete the folder');
    await page.goto(base + '/#/folders');
    const folderRow = page.locator('#folders-body tr', { hasText: name });
    await folderRow.waitFor({ timeout });
    await folderRow.locator('button.danger').click();
    await folderRow.waitFor({ state: 'detached', timeout });

    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    console.log('OK: sign in, folder, form errors, create → RUNNING, terminal round trip, agents, delete → TERMINATED, folder deleted');
    sessionId = null;
  } finally {
    await browser.close();
    if (sessionId) {
      const response = await fetch(`${base}/v1/sessions/${sessionId}`, { method: 'DELETE', headers: { Authorization: `Bearer ${key}` } });
      console.log(`cleanup: delete ${sessionId} answered ${response.status}`);
    }
  }
})().catch(error => {
  console.error('FAIL:', error.message || error);
  process.exit(1);
});
