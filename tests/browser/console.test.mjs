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

import {
  DESKTOP,
  PHONE,
  assertNoReload,
  byTestId,
  exactText,
  expectText,
  login,
  logout,
  markNoReload,
  navigate,
  runSuite,
  screenshot,
  until,
  visit,
  waitLive,
} from './harness.mjs';

const TOTAL_TIMEOUT_MS = 240_000; // the whole run (ctest allows 300 s)

// No API session: the console's sessions are the only ones (the admin API token is not needed).
await runSuite({ totalTimeoutMs: TOTAL_TIMEOUT_MS, adminApi: false }, async ({ base, test, launchBrowser, openPage, noProblemsTest }) => {
  await launchBrowser();
  const a = await openPage('A', { viewport: DESKTOP });
  // B is a phone-sized window: the console must work at 360 px.
  const b = await openPage('B', { viewport: PHONE });
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
    await navigate(a, 'declare', 'declare-form');
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
    // The box clears when A's POST is answered, which is after the commit is on disk; the
    // timeline entry comes live with the commit, so it may show first.
    await until(async () => (await byTestId(a, 'note-text').inputValue()) === '', 'A note box is cleared');

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
    await navigate(a, 'declare', 'declare-form');
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
    await navigate(a, 'incidents');
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
    await visit(b, base, `/ui/incidents/${incidentId + 52}`);
    await byTestId(b, 'ack-button').click();
    await exactText(byTestId(b, 'detail-status'), 'acknowledged', 'B acknowledged a bulk incident');
    await a.locator(`[data-testid="incident-row"][data-incident-id="${incidentId + 52}"]`).waitFor({ state: 'detached' });
    await screenshot(a, 'list-A-filtered');
  });

  await noProblemsTest('no script errors or CSP violations in either console');

  await test('logout returns to the login form and ends the session', async () => {
    await logout(a);
    const me = await a.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
    assert.equal(me, 401, 'GET /auth/me after logout');
    await a.reload({ waitUntil: 'domcontentloaded' });
    await byTestId(a, 'login-form').waitFor();
  });
});
