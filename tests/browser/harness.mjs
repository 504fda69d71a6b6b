// Shared plumbing of the browser tests (not a test itself: ctest runs *.test.mjs only).
//
// A `klaxon serve` on a free port with a fresh data dir, Debian's chromium through
// playwright-core, small wait helpers, and a test runner that prints "N passed, M failed"
// last and screenshots every open page when a case fails. Output (screenshots, the server
// log) goes to $KLAXON_TEST_OUTPUT/browser/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const BIN = process.env.KLAXON_BIN;
export const OUTPUT_ROOT = process.env.KLAXON_TEST_OUTPUT || path.join(os.tmpdir(), 'klaxon-test-output');
export const OUT = path.join(OUTPUT_ROOT, 'browser');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ADMIN_PASSWORD = 'test-admin-pw';
export const READY_TIMEOUT_MS = 20_000;
export const STEP_TIMEOUT_MS = 15_000; // any single wait in the browser

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
