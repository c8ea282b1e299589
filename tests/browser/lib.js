// What the browser tests share: Debian's Chromium through playwright-core (never a downloaded browser), signing in
// as a person does, axe-core on a page, screenshots at a desktop and a phone width.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const WIDTHS = [{ name: '1280', width: 1280, height: 860 }, { name: '390', width: 390, height: 844 }];
const timeout = 30000;

async function launch() {
  return chromium.launch({
    executablePath: process.env.GRANARY_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** A page that collects script errors; fail(errors) at the end. */
async function newPage(context) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', error => page.errors.push(error.message));
  return page;
}

async function signIn(page, base, key) {
  await page.goto(base + '/');
  await page.fill('#sign-in-key', key);
  await page.click('#sign-in-form button[type=submit]');
  await page.waitForSelector('#start', { timeout });
  // The key is nowhere a script on the page could read it.
  const leaked = await page.evaluate(secret => [document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage)]
    .some(text => text.includes(secret)), key);
  if (leaked) throw new Error('the API key is readable by JavaScript after sign-in');
  const cookie = await page.evaluate(() => document.cookie);
  if (cookie.includes('granary')) throw new Error(`the sign-in cookie is readable by JavaScript: ${cookie}`);
}

/** Runs axe-core on the page; fails on serious or critical violations. */
async function checkAccessibility(page, label) {
  await page.evaluate(axeSource); // evaluated by the test driver, so the page's Content-Security-Policy does not apply
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) {
    throw new Error(`${label}: accessibility violations: ` + bad.map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join('; ')}`).join(' | '));
  }
  console.log(`  axe ${label}: no serious or critical violations (${result.violations.length} minor)`);
}

/** Screenshots at 1280 px and 390 px, and axe-core at both. */
async function capture(page, name, dir) {
  const original = page.viewportSize();
  for (const size of WIDTHS) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.waitForTimeout(150);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 1) throw new Error(`${name} at ${size.width} px: the page is ${overflow} px wider than the screen`);
    await checkAccessibility(page, `${name} at ${size.width} px`);
    if (dir) await page.screenshot({ path: path.join(dir, `${name}-${size.name}.png`), fullPage: true });
  }
  await page.setViewportSize(original);
}

function fail(pages) {
  const errors = pages.flatMap(p => p.errors || []);
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
}

async function api(base, key, method, url, body) {
  const response = await fetch(base + url, {
    method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Fills the launch dialog (opened with START) and launches. */
async function launchSession(page, { name, image, folder, readOnly, fgpu, cpu = '1', memory = '1' }) {
  await page.click('#start');
  await page.waitForSelector('dialog form.launch button[type=submit]', { timeout });
  if (image) {
    if (await page.$('#launch-version')) {
      const values = await page.$$eval('#launch-environment option', options => options.map(o => o.value));
      for (const environment of values) {
        await page.selectOption('#launch-environment', environment);
        const versions = await page.$$eval('#launch-version option', options => options.map(o => o.value));
        if (versions.includes(image)) { await page.selectOption('#launch-version', image); break; }
      }
    } else {
      await page.fill('#launch-image', image);
    }
  }
  await page.fill('#launch-name', name);
  await page.fill('#launch-cpu', cpu);
  await page.fill('#launch-memory', memory);
  if (fgpu) {
    await page.check('input[name=gpuKind][value=fgpu]');
    await page.fill('#launch-gpu-amount', fgpu);
  }
  if (folder) {
    await page.check(`input[name=mount][value="${folder}"]`);
    if (readOnly) await page.check(`input[name=readOnly][value="${folder}"]`);
  }
  await page.click('dialog form.launch button[type=submit]');
}

module.exports = { launch, newPage, signIn, capture, checkAccessibility, fail, api, launchSession, timeout };
