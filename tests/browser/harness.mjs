// Shared plumbing of the browser tests (not a test itself: ctest runs *.test.mjs only).
//
// A `klaxon serve` on a free port with a fresh data dir, Debian's chromium through
// playwright-core, small wait helpers, API set-up helpers, and runSuite(): the frame of
// every suite (environment checks, watchdog, server and browser lifetime, a test runner
// that prints "N passed, M failed" last and screenshots every open page when a case
// fails). Output (screenshots, the server log) goes to $KLAXON_TEST_OUTPUT/browser/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BIN = process.env.KLAXON_BIN;
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OUTPUT_ROOT = process.env.KLAXON_TEST_OUTPUT || path.join(os.tmpdir(), 'klaxon-test-output');
export const OUT = path.join(OUTPUT_ROOT, 'browser');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ADMIN_PASSWORD = 'test-admin-pw';
export const READY_TIMEOUT_MS = 20_000;
export const STEP_TIMEOUT_MS = 15_000; // any single wait in the browser

// Markup that would show (and alert) if user text ever reached the page as HTML.
export const HOSTILE_IMG = '<img src=x onerror=alert(1)>';

// Viewports: a desktop window and a phone (the console must work at 360 px).
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 360, height: 780 };

// The people most suites add besides the admin.
export const RESPONDER = { username: 'rita', name: 'Rita Responder', role: 'responder', password: 'rita-pw-12345' };
export const VIEWER = { username: 'vic', name: 'Vic Viewer', role: 'viewer', password: 'vic-pw-123456' };

export const log = (...args) => console.log('[browser]', ...args);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function freePort() {
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

export class Server {
  constructor(name = 'server', extraArgs = []) {
    this.proc = null;
    this.exited = null;
    this.extraArgs = extraArgs;
    this.logPath = path.join(OUT, `${name}.log`);
  }

  async start() {
    this.port = await freePort();
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'klaxon-browser-'));
    this.base = `http://127.0.0.1:${this.port}`;
    const args = [
      'serve',
      '--listen',
      `127.0.0.1:${this.port}`,
      '--data',
      this.dataDir,
      '--admin-password',
      ADMIN_PASSWORD,
      ...this.extraArgs,
    ];
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
      if (early) throw new Error(`server exited before ready (${JSON.stringify(early)}); log:\n${this.logTail()}`);
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

// A JSON client of the API with a bearer token (for setting up what the UI then shows).
export class ApiClient {
  constructor(base, token = null) {
    this.base = base;
    this.token = token;
  }

  static async login(base, username, password) {
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password, token_name: `browser-test-${username}` }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = await res.json();
    assert.equal(res.status, 201, `token login as ${username}: ${JSON.stringify(body)}`);
    return new ApiClient(base, body.token);
  }

  async call(method, apiPath, body, expected) {
    const headers = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.base}/api/v1${apiPath}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    const ok = expected === undefined ? res.ok : res.status === expected;
    if (!ok) throw new Error(`${method} ${apiPath} → ${res.status}: ${text}`);
    return data;
  }

  get(p) {
    return this.call('GET', p);
  }
  post(p, body = {}, expected) {
    return this.call('POST', p, body, expected);
  }
  patch(p, body) {
    return this.call('PATCH', p, body);
  }
  put(p, body) {
    return this.call('PUT', p, body);
  }
  delete(p) {
    return this.call('DELETE', p);
  }
}

// ------------------------------------------------------------------ API set-up helpers

export function createService(admin, name) {
  return admin.post('/services', { name }, 201);
}

// user: { username, name, role, password }.
export function createUser(admin, user) {
  return admin.post('/users', user, 201);
}

// The common fixture: services "checkout" and "payments", RESPONDER and VIEWER.
export async function createServicesAndPeople(admin) {
  const checkout = await createService(admin, 'checkout');
  const payments = await createService(admin, 'payments');
  await createUser(admin, RESPONDER);
  await createUser(admin, VIEWER);
  return { checkout, payments };
}

// Polls fn until it returns a truthy value.
export async function until(fn, what, timeoutMs = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

// The YAML files of a folder of the repository (e.g. 'examples/sev-levels'), sorted by
// name, as the body's "files" of POST /api/v1/apply.
export function exampleFiles(example) {
  const dir = path.join(REPO, example);
  return fs
    .readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => ({ name: `${example}/${name}`, text: fs.readFileSync(path.join(dir, name), 'utf8') }));
}

// A local HTTP receiver for webhook contact methods (a helper for runSuite): answers every
// request with `status` and keeps { path, headers, body (parsed JSON, else text), text }.
// An Alertmanager webhook (version 4) with one firing alert CheckoutDown on checkout,
// started at `now` (RFC 3339), as examples/sev-levels classifies SEV-0.
export function alertmanagerBody(now) {
  return {
    version: '4',
    groupKey: '{}:{alertname="CheckoutDown"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'klaxon',
    groupLabels: { alertname: 'CheckoutDown' },
    commonLabels: { alertname: 'CheckoutDown', service: 'checkout' },
    commonAnnotations: { summary: 'Checkout is down' },
    externalURL: 'http://alertmanager.example.invalid',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'CheckoutDown', service: 'checkout' },
        annotations: { summary: 'Checkout is down' },
        startsAt: now,
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example.invalid/graph',
        fingerprint: 'c0ffee0123456789',
      },
    ],
  };
}

// Sends alertmanagerBody (at the server's clock) through the playbook's prod-alertmanager
// integration and returns the incident it opens, "Checkout is down". `admin`: an API client.
export async function openCheckoutDown(admin, base) {
  const clock = await admin.get('/admin/clock');
  const integration = (await admin.get('/integrations')).items.find((i) => i.name === 'prod-alertmanager');
  assert.ok(integration, 'the playbook made the integration prod-alertmanager');
  const url = (integration.urls && integration.urls.webhook) || `${base}/intake/alertmanager/${integration.key}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(alertmanagerBody(clock.now)),
    signal: AbortSignal.timeout(10_000),
  });
  assert.ok([200, 202].includes(res.status), `the webhook answers ${res.status}: ${await res.text()}`);
  return until(async () => (await admin.get('/incidents?limit=20')).items.find((i) => i.title === 'Checkout is down'), 'the alert opens an incident');
}

export class WebhookReceiver {
  constructor(status = 200) {
    this.status = status;
    this.requests = [];
  }

  async start() {
    this.server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body = null;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        this.requests.push({ path: req.url, headers: req.headers, body, text });
        res.writeHead(this.status, { 'Content-Type': 'application/json' });
        res.end(this.status < 300 ? '{"ok":true}' : '{"error":"rejected by the test receiver"}');
      });
    });
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${this.server.address().port}`;
  }

  url(p) {
    return this.base + p;
  }

  stop() {
    if (this.server) this.server.close();
    this.server?.closeAllConnections?.();
  }
}

// ------------------------------------------------------------------ browser helpers

export const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Script errors, CSP violations and dialogs (an alert() would mean injected markup ran).
// Failed resource loads (the 401 of GET /auth/me before login) are expected.
export function watchPage(page, name, problems) {
  page.on('pageerror', (err) => problems.push(`${name}: page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (/Failed to load resource/.test(text)) return;
    problems.push(`${name}: console error: ${text}`);
  });
  page.on('dialog', async (dialog) => {
    problems.push(`${name}: unexpected dialog (${dialog.type()}): ${dialog.message()}`);
    await dialog.dismiss().catch(() => {});
  });
}

export async function screenshot(page, name) {
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: STEP_TIMEOUT_MS });
  log(`screenshot ${file}`);
  return file;
}

export const byTestId = (page, id) => page.locator(`[data-testid="${id}"]`);

export async function waitLive(page) {
  await page.locator('[data-testid="connection"][data-state="open"]').waitFor({ state: 'attached' });
}

export async function login(page, base, username = 'admin', password = ADMIN_PASSWORD) {
  await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
  await byTestId(page, 'login-form').waitFor();
  await byTestId(page, 'login-username').fill(username);
  await byTestId(page, 'login-password').fill(password);
  await byTestId(page, 'login-submit').click();
  await byTestId(page, 'incident-list').waitFor({ state: 'attached' });
  await page.waitForURL(/\/ui\/incidents$/);
  await waitLive(page);
}

// user: { username, password }, e.g. RESPONDER.
export function loginAs(page, base, user) {
  return login(page, base, user.username, user.password);
}

export async function logout(page) {
  await byTestId(page, 'logout-button').click();
  await byTestId(page, 'login-form').waitFor();
}

// Follows the header link nav-<section> to /ui/<section>, then waits for the element with
// data-testid=<readyTestId> (if given).
export async function navigate(page, section, readyTestId) {
  await byTestId(page, `nav-${section}`).click();
  await page.waitForURL(new RegExp(`/ui/${section}$`));
  if (readyTestId) await byTestId(page, readyTestId).waitFor();
}

// Loads the console page base + urlPath (done at DOMContentLoaded: the app renders
// after), then waits for the first element matching readySelector (if given).
export async function visit(page, base, urlPath, readySelector) {
  await page.goto(`${base}${urlPath}`, { waitUntil: 'domcontentloaded' });
  if (readySelector) await page.locator(readySelector).first().waitFor();
}

// datetime-local values (the browser's zone) for times from now, from one clock reading.
export async function localDateTimeInputs(page, ...offsetsMs) {
  return page.evaluate((offsets) => {
    const now = Date.now();
    const p = (n) => String(n).padStart(2, '0');
    return offsets.map((offset) => {
      const x = new Date(now + offset);
      return `${x.getFullYear()}-${p(x.getMonth() + 1)}-${p(x.getDate())}T${p(x.getHours())}:${p(x.getMinutes())}`;
    });
  }, offsetsMs);
}

// HOSTILE_IMG must never have become an element.
export async function assertNoInjectedImage(page, what) {
  assert.equal(await page.locator('img[src="x"]').count(), 0, `${what}: no <img src=x> in the page`);
}

export async function markNoReload(page) {
  await page.evaluate(() => {
    window.__klaxonNoReload = true;
  });
}

export async function assertNoReload(page, what) {
  const marker = await page.evaluate(() => window.__klaxonNoReload === true);
  assert.ok(marker, `${what}: the page was reloaded (live update expected)`);
}

export async function expectText(locator, expected, what) {
  try {
    await locator.filter({ hasText: expected }).first().waitFor();
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

export async function exactText(locator, expected, what) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let actual = null;
  while (Date.now() < deadline) {
    actual = (await locator.textContent({ timeout: STEP_TIMEOUT_MS }))?.trim();
    if (expected instanceof RegExp ? expected.test(actual || '') : actual === expected) return;
    await sleep(100);
  }
  throw new Error(`${what}: expected "${expected}", still "${actual}" after ${STEP_TIMEOUT_MS / 1000} s`);
}

// The page must not overflow sideways (phones).
export async function assertNoHorizontalScroll(page, what) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= width + 1, `${what}: the page scrolls sideways (${scroll} > ${width})`);
}

// ------------------------------------------------------------------ runner

export function makeRunner({ testTimeoutMs = 90_000, pages = {} } = {}) {
  const results = [];
  const test = async (name, fn) => {
    const started = Date.now();
    let timer;
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${testTimeoutMs / 1000} s`)), testTimeoutMs);
        }),
      ]);
      results.push({ name, ok: true });
      log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (err) {
      results.push({ name, ok: false, err });
      log(`FAIL ${name}: ${err.stack || err}`);
      for (const [label, page] of Object.entries(pages)) {
        try {
          await screenshot(page, `failure-${path.basename(process.argv[1], '.test.mjs')}-${results.length}-${label}`);
        } catch {
          // the page may be gone
        }
      }
    } finally {
      clearTimeout(timer);
    }
  };
  return { test, results };
}

export function checkEnvironment() {
  if (!BIN) throw new Error('KLAXON_BIN is not set (path to the klaxon binary)');
  if (!fs.existsSync(BIN)) throw new Error(`KLAXON_BIN=${BIN} does not exist`);
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium)`);
  fs.mkdirSync(OUT, { recursive: true });
}

// Runs one suite and prints "N passed, M failed" last (exit code 1 on any failure).
//
// Checks the environment, starts the server (log: <serverName>.log) together with any
// helpers (objects with start() and stop(), e.g. webhook receivers), logs the admin in
// through the API (unless adminApi is false), then calls body(suite) with:
//   server, base, admin (an ApiClient or null), test(name, fn), pages, problems,
//   launchBrowser()                  starts chromium (call it once, where the suite needs it)
//   openPage(label, contextOptions, { watchAs = label, timeouts = true })
//                                    a page in a new context (contextDefaults below merged
//                                    in), kept in pages[label] for failure screenshots,
//                                    watched for script errors and dialogs (as watchAs), with
//                                    the step timeouts unless timeouts is false
//   withPage(label, contextOptions, fn, options)
//                                    openPage, fn(page), then closes the context
//   noProblemsTest(name)             the closing case: no script errors, CSP violations or
//                                    dialogs on any watched page
// A watchdog gives up after totalTimeoutMs; an error thrown out of body counts as a
// failed "setup". Afterwards the browser, the server and the helpers are stopped.
export async function runSuite(options, body) {
  try {
    await runSuiteUnguarded(options, body);
  } catch (err) {
    console.error(err);
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
  }
}

async function runSuiteUnguarded(
  { serverName = 'server', totalTimeoutMs = 240_000, testTimeoutMs, adminApi = true, helpers = [], contextDefaults = {} },
  body,
) {
  checkEnvironment();

  const server = new Server(serverName);
  let browser = null;
  const problems = [];
  const pages = {};
  const { test, results } = makeRunner({ pages, testTimeoutMs });

  const watchdog = setTimeout(() => {
    console.error(`[browser] the whole run took over ${totalTimeoutMs / 1000} s; giving up`);
    server.killNow();
    console.log(`${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed`);
    process.exit(1);
  }, totalTimeoutMs);
  const onSignal = (signal) => {
    server.killNow();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => server.killNow());

  try {
    await Promise.all([server.start(), ...helpers.map((h) => h.start())]);
    const base = server.base;
    const admin = adminApi ? await ApiClient.login(base, 'admin', ADMIN_PASSWORD) : null;

    const openPage = async (label, contextOptions = {}, { watchAs = label, timeouts = true } = {}) => {
      if (!browser) throw new Error('openPage before launchBrowser');
      const context = await browser.newContext({ ...contextDefaults, ...contextOptions });
      const page = await context.newPage();
      pages[label] = page;
      if (timeouts) {
        page.setDefaultTimeout(STEP_TIMEOUT_MS);
        page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
      }
      watchPage(page, watchAs, problems);
      return page;
    };

    await body({
      server,
      base,
      admin,
      test,
      pages,
      problems,
      async launchBrowser() {
        browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, timeout: 30_000 });
        return browser;
      },
      openPage,
      async withPage(label, contextOptions, fn, pageOptions) {
        const page = await openPage(label, contextOptions, pageOptions);
        try {
          return await fn(page);
        } finally {
          delete pages[label];
          await page.context().close();
        }
      },
      noProblemsTest(name) {
        return test(name, async () => {
          assert.deepEqual(problems, []);
        });
      },
    });
  } catch (err) {
    results.push({ name: 'setup', ok: false, err });
    log(`FAIL setup: ${err.stack || err}`);
  } finally {
    if (browser) await Promise.race([browser.close().catch(() => {}), sleep(10_000)]);
    await server.stop();
    for (const helper of helpers) helper.stop();
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

// A screenshot of one element (e.g. a panel on a long phone page) as <name>.png.
export async function screenshotElement(locator, name) {
  const file = path.join(OUT, `${name}.png`);
  await locator.screenshot({ path: file, timeout: STEP_TIMEOUT_MS });
  log(`screenshot ${file}`);
  return file;
}
