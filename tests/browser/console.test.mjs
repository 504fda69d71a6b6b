// Browser test of the Klaxon web console against the real server.
//
//   KLAXON_BIN=build/klaxon KLAXON_TEST_OUTPUT=build/test-output node console.test.mjs
//
// Starts `klaxon serve` on a free port with a fresh data dir, drives Debian's chromium
// (/usr/bin/chromium, or $CHROMIUM) with playwright-core through two independent
// sessions, and checks that what one does shows up live in the other. Screenshots,
// the server log and any failure pictures go to $KLAXON_TEST_OUTPUT/browser/.
// Prints "N passed, M failed" last; exits non-zero on any failure.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BIN = process.env.KLAXON_BIN;
const OUTPUT_ROOT = process.env.KLAXON_TEST_OUTPUT || path.join(os.tmpdir(), 'klaxon-test-output');
const OUT = path.join(OUTPUT_ROOT, 'browser');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ADMIN_PASSWORD = 'test-admin-pw';
const READY_TIMEOUT_MS = 20_000;
const STEP_TIMEOUT_MS = 15_000; // any single wait in the browser
const TEST_TIMEOUT_MS = 90_000; // one test case
const TOTAL_TIMEOUT_MS = 240_000; // the whole run (ctest allows 300 s)

const log = (...args) => console.log('[browser]', ...args);

// ------------------------------------------------------------------ server

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class Server {
  constructor() {
    this.proc = null;
    this.exited = null;
    this.logPath = path.join(OUT, 'server.log');
  }

  async start() {
    this.port = await freePort();
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'klaxon-browser-'));
    this.base = `http://127.0.0.1:${this.port}`;
    const args = ['serve', '--listen', `127.0.0.1:${this.port}`, '--data', this.dataDir, '--admin-password', ADMIN_PASSWORD];
    log(`starting ${BIN} ${args.join(' ')}`);
    const logFd = fs.openSync(this.logPath, 'w');
    this.proc = spawn(BIN, args, { stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => resolve({ code, signal }));
      this.proc.on('error', (err) => resolve({ code: null, signal: null, error: err }));
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last = 'no answer';
    while (Date.now() < deadline) {
      const early = await Promise.race([this.exited, sleep(0).then(() => null)]);
      if (early) {
        throw new Error(`server exited before ready (${JSON.stringify(early)}); log:\n${this.logTail()}`);
      }
      try {
        const res = await fetch(`${this.base}/readyz`, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200) {
          log(`server ready on ${this.base}`);
          return;
        }
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = err.cause?.code || err.message;
      }
      await sleep(100);
    }
    throw new Error(`server not ready after ${READY_TIMEOUT_MS / 1000} s (last: ${last}); log:\n${this.logTail()}`);
  }

  logTail(lines = 40) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return this.cleanup();
    this.proc.kill('SIGTERM');
    const done = await Promise.race([this.exited, sleep(5000).then(() => null)]);
    if (!done) {
      log('server ignored SIGTERM for 5 s; killing');
      this.proc.kill('SIGKILL');
      await Promise.race([this.exited, sleep(2000)]);
    }
    this.cleanup();
  }

  killNow() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      try {
        this.proc.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    this.cleanup();
  }

  cleanup() {
    if (this.dataDir) {
      fs.rmSync(this.dataDir, { recursive: true, force: true });
      this.dataDir = null;
    }
  }
}

// ------------------------------------------------------------------ browser helpers

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Console problems that matter: script errors and CSP violations. Failed resource loads
// (the 401 of GET /auth/me before login, a deliberate bad login) are expected.
function watchPage(page, name, problems) {
  page.on('pageerror', (err) => problems.push(`${name}: page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (/Failed to load resource/.test(text)) return;
    problems.push(`${name}: console error: ${text}`);
  });
}

async function screenshot(page, name) {
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: STEP_TIMEOUT_MS });
  log(`screenshot ${file}`);
}

const byTestId = (page, id) => page.locator(`[data-testid="${id}"]`);

async function login(page, base) {
  await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
  await byTestId(page, 'login-form').waitFor();
  await byTestId(page, 'login-username').fill('admin');
  await byTestId(page, 'login-password').fill(ADMIN_PASSWORD);
  await byTestId(page, 'login-submit').click();
  await byTestId(page, 'incident-list').waitFor({ state: 'attached' });
  await page.waitForURL(/\/ui\/incidents$/);
  await waitLive(page);
}

// The console shows data-state="open" once the event stream is connected.
async function waitLive(page) {
  await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ state: 'attached' });
}

// A marker in the window object: still there later means the page was never reloaded.
async function markNoReload(page) {
  await page.evaluate(() => {
    window.__klaxonNoReload = true;
  });
}

async function assertNoReload(page, what) {
  const marker = await page.evaluate(() => window.__klaxonNoReload === true);
  assert.ok(marker, `${what}: the page was reloaded (live update expected)`);
}

async function expectText(locator, expected, what) {
  try {
    if (expected instanceof RegExp) await locator.filter({ hasText: expected }).first().waitFor();
    else await locator.filter({ hasText: expected }).first().waitFor();
  } catch (err) {
    let actual = '(none)';
    try {
      actual = JSON.stringify(await locator.allTextContents());
    } catch {
      // ignore
    }
    throw new Error(`${what}: expected ${expected} but saw ${actual} (${err.message.split('\n')[0]})`);
  }
}

async function exactText(locator, expected, what) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let actual = null;
  while (Date.now() < deadline) {
    actual = (await locator.textContent({ timeout: STEP_TIMEOUT_MS }))?.trim();
    if (actual === expected) return;
    await sleep(100);
  }
  throw new Error(`${what}: expected "${expected}", still "${actual}" after ${STEP_TIMEOUT_MS / 1000} s`);
}

// ------------------------------------------------------------------ the run

async function main() {
  if (!BIN) throw new Error('KLAXON_BIN is not set (path to the klaxon binary)');
  if (!fs.existsSync(BIN)) throw new Error(`KLAXON_BIN=${BIN} does not exist`);
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium)`);
  fs.mkdirSync(OUT, { recursive: true });

  const server = new Server();
  let browser = null;
  const results = [];
  const problems = [];
  const pages = {};

  const watchdog = setTimeout(() => {
    console.error(`[browser] the whole run took over ${TOTAL_TIMEOUT_MS / 1000} s; giving up`);
    server.killNow();
    console.log(`${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed`);
    process.exit(1);
  }, TOTAL_TIMEOUT_MS);
  const onSignal = (signal) => {
    server.killNow();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => server.killNow());

  const test = async (name, fn) => {
    const started = Date.now();
    let timer;
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${TEST_TIMEOUT_MS / 1000} s`)), TEST_TIMEOUT_MS);
        }),
      ]);
      results.push({ name, ok: true });
      log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (err) {
      results.push({ name, ok: false, err });
      log(`FAIL ${name}: ${err.stack || err}`);
      for (const [label, page] of Object.entries(pages)) {
        try {
          await screenshot(page, `failure-${results.length}-${label}`);
        } catch {
          // the page may be gone
        }
      }
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    await server.start();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, timeout: 30_000 });
    const contextA = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // B is a phone-sized window: the console must work at 360 px.
    const contextB = await browser.newContext({ viewport: { width: 360, height: 780 } });
    const a = (pages.A = await contextA.newPage());
    const b = (pages.B = await contextB.newPage());
    for (const [label, page] of Object.entries(pages)) {
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
      watchPage(page, label, problems);
    }
    const base = server.base;
    const title = `Checkout errors ${Date.now().toString(36)}`;
    const note = `Rolled back deploy 1234; error rate <falling> & "recovering" ${Math.random().toString(36).slice(2, 8)}`;
    let incidentId = null;

    await test('console is served with its assets and security headers', async () => {
      const res = await fetch(`${base}/ui/incidents/1`, { signal: AbortSignal.timeout(5000) });
      assert.equal(res.status, 200, 'GET /ui/... serves the console');
      assert.match(res.headers.get('content-type') || '', /^text\/html/);
      const html = await res.text();
      assert.match(html, /<script src="\/assets\/app\.js"/);
      for (const asset of ['/assets/app.js', '/assets/app.css', '/assets/favicon.svg']) {
        const r = await fetch(base + asset, { signal: AbortSignal.timeout(5000) });
        assert.equal(r.status, 200, `GET ${asset}`);
        await r.arrayBuffer();
      }
    });

    await test('a wrong password shows the API error in the alert region', async () => {
      await a.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
      await byTestId(a, 'login-form').waitFor();
      await byTestId(a, 'login-username').fill('admin');
      await byTestId(a, 'login-password').fill('not-the-password');
      await byTestId(a, 'login-submit').click();
      const alert = a.getByRole('alert');
      await alert.waitFor();
      await expectText(alert, /401|unauthori[sz]ed|credential|password/i, 'login alert');
      assert.equal(await byTestId(a, 'login-form').count(), 1, 'still on the login form');
    });

    await test('both consoles log in through the login form', async () => {
      await Promise.all([login(a, base), login(b, base)]);
      await expectText(byTestId(a, 'whoami'), /admin/i, 'A whoami');
      assert.equal(await a.getByRole('alert').count(), 0, 'the login error is cleared');
    });

    await test('B sees an incident declared in A appear in its list without reload', async () => {
      await markNoReload(b);
      await byTestId(a, 'nav-declare').click();
      await byTestId(a, 'declare-form').waitFor();
      await a.waitForURL(/\/ui\/declare$/);
      // Severities come from the API; pick SEV-2 if present (the built-ins), else the first.
      const severity = byTestId(a, 'declare-severity');
      await severity.locator('option').first().waitFor({ state: 'attached' });
      const values = await severity.locator('option').evaluateAll((opts) => opts.map((o) => o.value));
      const chosen = values.includes('SEV-2') ? 'SEV-2' : values[0];
      await byTestId(a, 'declare-title').fill(title);
      await severity.selectOption(chosen);
      await byTestId(a, 'declare-description').fill('Checkout returns 502 for about 30% of requests.');
      await byTestId(a, 'declare-impact').fill('Customers cannot pay.');
      await byTestId(a, 'declare-submit').click();
      await a.waitForURL(/\/ui\/incidents\/\d+$/);
      incidentId = Number(/\/ui\/incidents\/(\d+)$/.exec(a.url())[1]);
      await exactText(byTestId(a, 'detail-title'), title, 'A incident title');
      await exactText(byTestId(a, 'detail-status'), 'triggered', 'A status after declare');
      await exactText(byTestId(a, 'detail-severity'), chosen, 'A severity after declare');

      const row = b.locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"]`);
      await row.waitFor();
      await exactText(row.locator('[data-testid="incident-title"]'), title, 'B row title');
      await exactText(row.locator('[data-testid="incident-ref"]'), `INC-${incidentId}`, 'B row ref');
      await exactText(row.locator('[data-testid="incident-status"]'), 'triggered', 'B row status');
      await exactText(row.locator('[data-testid="incident-severity"]'), chosen, 'B row severity');
      await expectText(row.locator('[data-testid="incident-age"]'), /ago|just now/, 'B row age');
      await assertNoReload(b, 'B list');
      await screenshot(b, 'list-B');
      await screenshot(a, 'incident-A-declared');
    });

    await test('B opens the incident; A acknowledges; B sees it live', async () => {
      assert.ok(incidentId, 'an incident was declared');
      await b.locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"] a`).click();
      await b.waitForURL(new RegExp(`/ui/incidents/${incidentId}$`));
      await exactText(byTestId(b, 'detail-title'), title, 'B incident title');
      await exactText(byTestId(b, 'detail-status'), 'triggered', 'B status before ack');
      const before = await byTestId(b, 'timeline-entry').count();
      assert.ok(before >= 1, 'the timeline shows the declaration');
      await assertNoReload(b, 'B after opening the incident (pushState routing)');
      await waitLive(b);

      await byTestId(a, 'ack-button').click();
      await exactText(byTestId(a, 'detail-status'), 'acknowledged', 'A status after ack');

      await exactText(byTestId(b, 'detail-status'), 'acknowledged', 'B status after A acknowledged');
      await expectText(byTestId(b, 'timeline-entry'), /acknowledged/i, 'B timeline acknowledgement');
      assert.ok((await byTestId(b, 'timeline-entry').count()) > before, 'B timeline grew');
      const last = byTestId(b, 'timeline-entry').last();
      await expectText(last, /admin/i, 'the entry names the actor');
      assert.ok(await last.locator('time').count(), 'the entry has a time');
      assert.equal(await byTestId(b, 'ack-button').isVisible(), false, 'B no longer offers Acknowledge');
      await assertNoReload(b, 'B incident page');
    });

    await test('a note added in A appears in B', async () => {
      await byTestId(a, 'note-text').fill(note);
      await byTestId(a, 'note-submit').click();
      await expectText(byTestId(a, 'timeline-entry'), note, 'A timeline note');
      assert.equal(await byTestId(a, 'note-text').inputValue(), '', 'A note box is cleared');

      await expectText(byTestId(b, 'timeline-entry'), note, 'B timeline note');
      // Rendered as text, not markup.
      assert.equal(await b.locator('[data-testid="timeline"] falling').count(), 0, 'note text is escaped');
      await assertNoReload(b, 'B incident page after note');
      await screenshot(a, 'incident-A');
      await screenshot(b, 'incident-B');
    });

    await test('severity change and resolve in A update B; list follows', async () => {
      const options = await byTestId(a, 'severity-select').locator('option').evaluateAll((opts) =>
        opts.filter((o) => !o.disabled).map((o) => o.value),
      );
      assert.ok(options.length > 0, 'other severities are offered');
      const target = options.includes('SEV-1') ? 'SEV-1' : options[0];
      await byTestId(a, 'severity-select').selectOption(target);
      await byTestId(a, 'severity-reason').fill('Spreading to all regions');
      await byTestId(a, 'severity-submit').click();
      await exactText(byTestId(b, 'detail-severity'), target, 'B severity');
      await expectText(byTestId(b, 'timeline-entry'), 'Spreading to all regions', 'B timeline reason');

      // B goes back to the list (client-side), A resolves: B's row turns resolved.
      await byTestId(b, 'back-to-list').click();
      await b.waitForURL(/\/ui\/incidents$/);
      const row = b.locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"]`);
      await exactText(row.locator('[data-testid="incident-severity"]'), target, 'B row severity');
      await waitLive(b);
      await byTestId(a, 'resolve-summary').fill('Rolled back.');
      await byTestId(a, 'resolve-submit').click();
      await exactText(byTestId(a, 'detail-status'), 'resolved', 'A status after resolve');
      await byTestId(a, 'reopen-submit').waitFor();
      await exactText(row.locator('[data-testid="incident-status"]'), 'resolved', 'B row status after resolve');
      await assertNoReload(b, 'B list after resolve');
      await screenshot(b, 'list-B-resolved');
    });

    await test('reopen and acknowledge from the other console; conflicts are 409 problems', async () => {
      await b.locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"] a`).click();
      await byTestId(b, 'reopen-submit').waitFor();
      await byTestId(a, 'reopen-submit').click();
      await exactText(byTestId(a, 'detail-status'), 'triggered', 'A status after reopen');
      await exactText(byTestId(b, 'detail-status'), 'triggered', 'B status after A reopened');
      await byTestId(b, 'ack-button').click();
      await exactText(byTestId(b, 'detail-status'), 'acknowledged', 'B status after its ack');
      await exactText(byTestId(a, 'detail-status'), 'acknowledged', 'A status after B acknowledged');
      await byTestId(a, 'ack-button').waitFor({ state: 'hidden' });
      // A stale second acknowledgement (as a slow console would send it) is a conflict.
      const again = await a.evaluate(async (id) => {
        const me = await (await fetch('/api/v1/auth/me')).json();
        const res = await fetch(`/api/v1/incidents/${id}/acknowledge`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
          body: '{}',
        });
        return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
      }, incidentId);
      assert.equal(again.status, 409, 'acknowledging twice');
      assert.match(again.type || '', /application\/problem\+json/);
      assert.ok(again.body.detail || again.body.title, 'the problem has a detail or title');
    });

    await test('validation errors from the API are shown per field', async () => {
      await byTestId(a, 'nav-declare').click();
      await byTestId(a, 'declare-form').waitFor();
      await byTestId(a, 'declare-submit').waitFor({ state: 'visible' });
      // Bypass the form's maxlength so the server's check (1..200 chars) answers.
      await byTestId(a, 'declare-title').evaluate((input) => input.removeAttribute('maxlength'));
      await byTestId(a, 'declare-title').fill('x'.repeat(201));
      await a.waitForFunction(() => !document.querySelector('[data-testid="declare-submit"]').disabled);
      await byTestId(a, 'declare-submit').click();
      const alert = a.getByRole('alert');
      await alert.waitFor();
      await expectText(alert.locator('li'), /title/i, 'alert lists the title error');
      await a.locator('[data-testid="declare-title"][aria-invalid="true"]').waitFor();
      assert.match(a.url(), /\/ui\/declare$/, 'still on the declare form');
      await screenshot(a, 'declare-A-invalid');
    });

    await test('a note without CSRF token is refused (403) and the UI reports errors', async () => {
      const status = await b.evaluate(async (id) => {
        const res = await fetch(`/api/v1/incidents/${id}/notes`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ text: 'no csrf' }),
        });
        return res.status;
      }, incidentId);
      assert.equal(status, 403);
      // Empty note through the form: the alert region explains, focus stays in the form.
      await byTestId(b, 'note-text').fill('   ');
      await byTestId(b, 'note-submit').click();
      await b.getByRole('alert').waitFor();
      await expectText(b.getByRole('alert'), /text/i, 'empty-note alert');
    });

    await test('filters, search and "load more" page through the list', async () => {
      // 52 more incidents through the API (A's session), so the list has over one page.
      const created = await a.evaluate(async () => {
        const me = await (await fetch('/api/v1/auth/me')).json();
        let ok = 0;
        for (let i = 0; i < 52; i += 1) {
          const res = await fetch('/api/v1/incidents', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
            body: JSON.stringify({ title: `Bulk ${i}`, severity: 'SEV-3' }),
          });
          if (res.status === 201) ok += 1;
        }
        return ok;
      });
      assert.equal(created, 52, 'bulk incidents created');
      await byTestId(a, 'nav-incidents').click();
      await a.waitForURL(/\/ui\/incidents$/);
      const rows = byTestId(a, 'incident-row');
      await byTestId(a, 'load-more').waitFor();
      assert.equal(await rows.count(), 50, 'first page has 50 rows');
      const firstRef = await rows.first().locator('[data-testid="incident-ref"]').textContent();
      assert.equal(firstRef, `INC-${incidentId + 52}`, 'newest first');
      await byTestId(a, 'load-more').click();
      await byTestId(a, 'load-more').waitFor({ state: 'hidden' });
      assert.equal(await rows.count(), 53, 'all rows after load more');
      assert.equal(await rows.last().getAttribute('data-incident-id'), String(incidentId), 'oldest last');

      await byTestId(a, 'filter-q').fill('Bulk 4');
      await byTestId(a, 'filter-apply').click();
      await a.waitForURL(/\?q=Bulk(\+|%20)4$/);
      await a.waitForFunction(() => document.querySelectorAll('[data-testid="incident-row"]').length === 11);
      await byTestId(a, 'filter-q').fill('');
      await byTestId(a, 'filter-severity').selectOption('SEV-1');
      await a.waitForFunction(() => document.querySelectorAll('[data-testid="incident-row"]').length === 1);
      assert.equal(await rows.first().getAttribute('data-incident-id'), String(incidentId));
      await byTestId(a, 'filter-severity').selectOption('');
      await byTestId(a, 'filter-status').selectOption('triggered');
      await byTestId(a, 'load-more').waitFor({ state: 'visible' });
      assert.equal(await rows.count(), 50, 'the 52 triggered ones, one page');
      // Live with a filter: acknowledging one in B takes it out of A's "triggered" list.
      await b.goto(`${base}/ui/incidents/${incidentId + 52}`, { waitUntil: 'domcontentloaded' });
      await byTestId(b, 'ack-button').click();
      await exactText(byTestId(b, 'detail-status'), 'acknowledged', 'B acknowledged a bulk incident');
      await a.locator(`[data-testid="incident-row"][data-incident-id="${incidentId + 52}"]`).waitFor({ state: 'detached' });
      await screenshot(a, 'list-A-filtered');
    });

    await test('no script errors or CSP violations in either console', async () => {
      assert.deepEqual(problems, []);
    });

    await test('logout returns to the login form and ends the session', async () => {
      await byTestId(a, 'logout-button').click();
      await byTestId(a, 'login-form').waitFor();
      const me = await a.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
      assert.equal(me, 401, 'GET /auth/me after logout');
      await a.reload({ waitUntil: 'domcontentloaded' });
      await byTestId(a, 'login-form').waitFor();
    });
  } catch (err) {
    results.push({ name: 'setup', ok: false, err });
    log(`FAIL setup: ${err.stack || err}`);
  } finally {
    if (browser) {
      await Promise.race([browser.close().catch(() => {}), sleep(10_000)]);
    }
    await server.stop();
    clearTimeout(watchdog);
  }

  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  if (failed) {
    log('server log tail:');
    console.log(server.logTail(60));
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
});
