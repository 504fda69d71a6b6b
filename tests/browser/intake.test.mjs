// Browser test of the alert-intake pages of the Klaxon console against the real server.
//
//   KLAXON_BIN=build/klaxon KLAXON_TEST_OUTPUT=build/test-output node intake.test.mjs
//
// Starts `klaxon serve` (see harness.mjs), creates two services through the API, then
// drives the console: Integrations (create one with a hostile name, see its URL and key),
// the integration page (post alerts to its URL from here with fetch — one good, one
// malformed, one invalid — and find them in "Recent requests" with their bodies and
// errors; edit settings; rotate the key so the old URL answers 401; revoke another one),
// Silences (two matchers, a field error from the server, expire), Maintenance (a weekly
// window in a time zone and a one-off one in progress, both cancelled), what viewers and
// responders may do there, the pages on a 360 px phone, and that hostile strings are only
// ever text (the harness fails on any dialog).
import assert from 'node:assert/strict';
import {
  DESKTOP,
  HOSTILE_IMG as HOSTILE,
  PHONE,
  RESPONDER,
  VIEWER,
  assertNoHorizontalScroll,
  assertNoInjectedImage,
  byTestId,
  createServicesAndPeople,
  exactText,
  expectText,
  localDateTimeInputs,
  login,
  loginAs,
  logout,
  navigate,
  runSuite,
  screenshot,
  sleep,
  until,
  visit,
  waitLive,
} from './harness.mjs';

const TOTAL_TIMEOUT_MS = 240_000; // the whole run (ctest allows 300 s)
const BROWSER_TZ = 'Europe/Berlin';

// An Alertmanager webhook body (version 4) with one firing alert.
function alertmanagerBody(labels, annotations = {}) {
  const alert = {
    status: 'firing',
    labels,
    annotations,
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example.invalid/graph',
    fingerprint: '0123456789abcdef',
  };
  return {
    version: '4',
    groupKey: '{}:{alertname="DiskFull"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'klaxon',
    groupLabels: { alertname: labels.alertname },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: 'http://alertmanager.example.invalid',
    alerts: [alert],
  };
}

async function post(url, body, contentType = 'application/json') {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, text };
}

const CONTEXT_DEFAULTS = { timezoneId: BROWSER_TZ, locale: 'en-US' };

await runSuite(
  { serverName: 'intake-server', totalTimeoutMs: TOTAL_TIMEOUT_MS, contextDefaults: CONTEXT_DEFAULTS },
  async ({ base, admin, test, launchBrowser, openPage, withPage, noProblemsTest }) => {
    const fixture = {};

    await test('setup through the API: services and people', async () => {
      Object.assign(fixture, await createServicesAndPeople(admin));
    });

    await launchBrowser();
    const a = await openPage('A', { viewport: DESKTOP });
    const b = await openPage('B', { viewport: PHONE, colorScheme: 'dark' });

    await test('admins log in and the header links to the new pages', async () => {
      await Promise.all([login(a, base), login(b, base)]);
      for (const id of ['nav-integrations', 'nav-silences', 'nav-maintenance']) {
        assert.equal(await byTestId(a, id).isVisible(), true, `header link ${id}`);
      }
    });

    await test('integrations: a server-side field error is shown next to its field', async () => {
      await navigate(a, 'integrations', 'integration-form');
      assert.equal(await byTestId(a, 'nav-integrations').getAttribute('aria-current'), 'page', 'the nav marks the page');
      await byTestId(a, 'integrations-empty').waitFor();
      assert.equal(await byTestId(a, 'int-hb-interval').isVisible(), false, 'no heartbeat fields for alertmanager');
      // A heartbeat every 5 seconds: the server wants at least 10.
      await byTestId(a, 'int-name').fill('nightly-backup');
      await byTestId(a, 'int-kind').selectOption('heartbeat');
      await byTestId(a, 'int-hb-interval').fill('5');
      await byTestId(a, 'int-hb-interval-unit').selectOption('1');
      await byTestId(a, 'int-submit').click();
      await a.locator('#int-hb-interval[aria-invalid="true"]').waitFor();
      const note = a.locator('[data-testid="field-error"][data-for="int-hb-interval"]');
      await note.waitFor();
      assert.ok((await note.textContent()).trim().length > 0, 'the message is next to the interval');
      await expectText(a.getByRole('alert').locator('li'), /heartbeat_interval_seconds/, 'the alert names the field');
      // Corrected: every 5 minutes.
      await byTestId(a, 'int-hb-interval-unit').selectOption('60');
      await byTestId(a, 'int-submit').click();
      await byTestId(a, 'integration-created').waitFor();
      assert.equal(await note.count(), 0, 'the field error is gone');
      assert.equal(await a.getByRole('alert').count(), 0, 'the alert is gone');
      const url = await a.locator('[data-testid="integration-created"] [data-url-key="ping"] [data-testid="integration-url-value"]').inputValue();
      assert.match(url, /\/intake\/heartbeat\/[^/]+$/, 'the ping URL is shown');
      const heartbeat = (await admin.get('/integrations')).items.find((i) => i.name === 'nightly-backup');
      assert.equal(heartbeat.settings.heartbeat_interval_seconds, 300, 'interval in seconds');
      fixture.heartbeat = heartbeat;
      await byTestId(a, 'created-dismiss').click();
    });

    await test('integrations: create one with a hostile name, see its URL and key', async () => {
      await byTestId(a, 'int-name').fill(HOSTILE);
      await byTestId(a, 'int-kind').selectOption('alertmanager');
      await byTestId(a, 'int-service').selectOption({ label: 'checkout' });
      await byTestId(a, 'int-group-by').fill('alertname, instance');
      await byTestId(a, 'int-submit').click();
      const box = byTestId(a, 'integration-created');
      await box.waitFor();
      await exactText(byTestId(a, 'created-name'), HOSTILE, 'created name as text');
      const url = await box.locator('[data-url-key="webhook"] [data-testid="integration-url-value"]').inputValue();
      const key = await box.locator('[data-testid="integration-key-value"]').inputValue();
      assert.match(url, /\/intake\/alertmanager\/[^/]+$/, 'webhook URL shown');
      assert.ok(url.endsWith(`/${key}`), 'the key is the end of the URL');
      assert.equal(await box.locator('[data-testid="integration-url"]').first().getAttribute('data-url-key'), 'webhook', 'the sender URL comes first');
      const stored = (await admin.get('/integrations')).items.find((i) => i.name === HOSTILE);
      assert.ok(stored, 'the API has it');
      assert.equal(stored.urls.webhook, url, 'the URL shown is the API one');
      assert.deepEqual(stored.group_by, ['alertname', 'instance'], 'group_by from the form');
      assert.equal(stored.service_id, fixture.checkout.id, 'service from the form');
      fixture.am = stored;
      // The copy button copies (or selects) without errors.
      await box.locator('[data-url-key="webhook"] [data-testid="integration-url-copy"]').click();
      const row = a.locator(`[data-testid="integration-row"][data-integration-id="${stored.id}"]`);
      await row.waitFor();
      await exactText(row.locator('[data-testid="integration-name"]'), HOSTILE, 'list name as text');
      await exactText(row.locator('[data-testid="integration-service"]'), 'checkout', 'list service');
      await exactText(row.locator('[data-testid="integration-state"]'), 'Active', 'list state');
      await exactText(row.locator('[data-testid="integration-requests"]'), '0', 'no requests yet');
      await assertNoInjectedImage(a, 'integrations list');
      await screenshot(a, 'intake-integrations-created-A');
    });

    await test('requests to its URL show up in Recent requests with body and error', async () => {
      const url = fixture.am.urls.webhook;
      // A good alert (the hostile string inside), a malformed body, an invalid alert.
      const good = JSON.stringify(
        alertmanagerBody({ alertname: 'DiskFull', instance: 'db-1:9100', service: 'checkout' }, { summary: HOSTILE, description: 'used > 95% & rising' }),
      ).replace('>', '\\u003e');
      assert.equal((await post(url, good)).status, 200, 'the good alert is accepted');
      const malformed = '{"version": "4", "alerts": [ {"status": "firing",';
      assert.equal((await post(url, malformed)).status, 400, 'malformed JSON → 400');

      await a.locator(`[data-testid="integration-row"][data-integration-id="${fixture.am.id}"] [data-testid="integration-name"]`).click();
      await a.waitForURL(new RegExp(`/ui/integrations/${fixture.am.id}$`));
      await exactText(byTestId(a, 'integration-title'), HOSTILE, 'page title as text');
      assert.equal(await byTestId(a, 'nav-integrations').getAttribute('aria-current'), 'page', 'nav marks Integrations');
      const primary = a.locator('[data-testid="url-list"] .copy-field.primary textarea');
      assert.equal(await primary.inputValue(), url, 'the sender URL is the primary field');
      // The example configuration is folded away (<details>) but has the URL in it.
      const snippet = await byTestId(a, 'integration-snippet').textContent();
      assert.ok(snippet.includes('webhook_configs'), 'an alertmanager.yml example');
      assert.ok(snippet.includes(`url: ${url}`), 'the example has the URL');

      const rows = byTestId(a, 'request-row');
      await until(async () => (await rows.count()) === 2, 'two requests listed');
      // Newest first: the malformed one.
      await exactText(rows.nth(0).locator('[data-testid="request-status"]'), '400', 'malformed → 400');
      assert.ok((await rows.nth(0).locator('[data-testid="request-error"]').textContent()).trim().length > 0, 'its error is shown');
      await exactText(rows.nth(1).locator('[data-testid="request-status"]'), '200', 'good → 200');
      await exactText(rows.nth(1).locator('[data-testid="request-method"]'), 'POST', 'method');
      await exactText(rows.nth(1).locator('[data-testid="request-error"]'), '', 'no error for the good one');
      await expectText(rows.nth(1).locator('[data-testid="request-duration"]'), / ms$/, 'duration');
      await exactText(byTestId(a, 'activity-requests'), '2', 'activity: requests');
      await exactText(byTestId(a, 'activity-errors'), '1', 'activity: errors');

      // A third one, invalid (a label value that is not a string), after the page loaded:
      // Refresh shows it.
      const invalid = JSON.stringify(alertmanagerBody({ alertname: 'DiskFull', instance: 5 }));
      const answer = await post(url, invalid);
      assert.equal(answer.status, 422, `invalid alert → 422 (${answer.text})`);
      await byTestId(a, 'requests-refresh').click();
      await until(async () => (await rows.count()) === 3, 'three requests after Refresh');
      await expectText(rows.nth(0).locator('[data-testid="request-error"]'), /\/alerts\/0\/labels/, 'the error names the field');
      await exactText(byTestId(a, 'activity-errors'), '2', 'two errors');

      // Expand the good one: the body, re-indented, escapes kept, hostile text as text.
      const goodRow = rows.nth(2);
      const toggle = goodRow.locator('[data-testid="request-toggle"]');
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
      const details = byTestId(a, 'request-detail');
      assert.equal(await details.nth(2).isVisible(), false, 'collapsed at first');
      await toggle.click();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      const body = details.nth(2).locator('[data-testid="request-body"]');
      await body.waitFor();
      assert.equal(await body.getAttribute('data-format'), 'json', 'recognized as JSON');
      const text = await body.textContent();
      assert.ok(text.includes(HOSTILE), 'the hostile summary is in the body as text');
      assert.ok(text.includes('\\u003e'), 'escapes are shown as sent');
      assert.match(text, /\n {2}"version": "4",\n/, 'pretty-printed');
      assert.deepEqual(JSON.parse(text), JSON.parse(good), 'the same JSON');
      await expectText(details.nth(2).locator('[data-testid="request-response"]'), /"status": "ok"/, 'the answer');
      // The malformed one is shown as sent.
      await rows.nth(1).locator('[data-testid="request-toggle"]').click();
      const raw = details.nth(1).locator('[data-testid="request-body"]');
      assert.equal(await raw.getAttribute('data-format'), 'text');
      assert.equal(await raw.textContent(), malformed, 'malformed body verbatim');
      // Refresh keeps the open rows open.
      await byTestId(a, 'requests-refresh').click();
      await sleep(300);
      await until(async () => (await details.nth(2).isVisible()) && (await details.nth(1).isVisible()), 'rows stay open after Refresh');
      await assertNoInjectedImage(a, 'integration page');
      await screenshot(a, 'intake-integration-requests-A');

      // The list counts them too.
      await byTestId(a, 'back-to-integrations').click();
      const row = a.locator(`[data-testid="integration-row"][data-integration-id="${fixture.am.id}"]`);
      await exactText(row.locator('[data-testid="integration-requests"]'), '3', 'list: requests');
      await exactText(row.locator('[data-testid="integration-errors"]'), '2', 'list: errors');
      await expectText(row.locator('[data-testid="integration-last-error"]'), /\/alerts\/0\/labels/, 'list: last error');
      await expectText(row.locator('[data-testid="integration-last-request"]'), /422/, 'list: last status');
    });

    await test('integration settings: a field error, then an edit saved with PATCH', async () => {
      await visit(a, base, `/ui/integrations/${fixture.am.id}`);
      await byTestId(a, 'int-edit-form').waitFor();
      assert.equal(await byTestId(a, 'edit-name').inputValue(), HOSTILE, 'form filled');
      assert.equal(await byTestId(a, 'edit-group-by').inputValue(), 'alertname, instance');
      // Too long for the server (1-100 characters).
      await byTestId(a, 'edit-name').evaluate((input) => input.removeAttribute('maxlength'));
      await byTestId(a, 'edit-name').fill('n'.repeat(101));
      await byTestId(a, 'edit-save').click();
      await a.locator('[data-testid="field-error"][data-for="edit-name"]').waitFor();
      assert.equal(await byTestId(a, 'edit-name').getAttribute('aria-invalid'), 'true');
      assert.equal((await admin.get(`/integrations/${fixture.am.id}`)).name, HOSTILE, 'nothing changed');

      await byTestId(a, 'edit-name').fill(`${HOSTILE} prod`);
      await byTestId(a, 'edit-service').selectOption({ label: 'payments' });
      await byTestId(a, 'edit-group-by').fill('alertname, cluster');
      await byTestId(a, 'edit-flap').fill('600');
      await byTestId(a, 'edit-auto-resolve').uncheck();
      await byTestId(a, 'edit-save').click();
      await exactText(byTestId(a, 'integration-title'), `${HOSTILE} prod`, 'the heading follows');
      const stored = await admin.get(`/integrations/${fixture.am.id}`);
      assert.equal(stored.name, `${HOSTILE} prod`);
      assert.equal(stored.service_id, fixture.payments.id);
      assert.deepEqual(stored.group_by, ['alertname', 'cluster']);
      assert.equal(stored.flap_window_seconds, 600);
      assert.equal(stored.auto_resolve, false);
      assert.equal(stored.key, fixture.am.key, 'the key stays');
      await expectText(byTestId(a, 'integration-service'), 'payments', 'header service');
      assert.equal(await a.locator('[data-testid="field-error"]').count(), 0, 'no field errors left');
      await assertNoInjectedImage(a, 'settings');
    });

    await test('rotate key (with confirmation): the old URL answers 401, the new one works', async () => {
      const oldUrl = fixture.am.urls.webhook;
      const body = JSON.stringify(alertmanagerBody({ alertname: 'DiskFull', instance: 'db-2:9100' }));
      // Cancel first: nothing happens.
      await byTestId(a, 'rotate-key').click();
      await byTestId(a, 'confirm').waitFor();
      await expectText(byTestId(a, 'confirm-text'), /401/, 'the confirmation explains');
      await byTestId(a, 'confirm-no').click();
      await byTestId(a, 'confirm').waitFor({ state: 'hidden' });
      assert.equal((await admin.get(`/integrations/${fixture.am.id}`)).key, fixture.am.key, 'not rotated');
      // Now for real.
      await byTestId(a, 'rotate-key').click();
      await exactText(byTestId(a, 'confirm-yes'), 'Rotate key', 'confirm button');
      await byTestId(a, 'confirm-yes').click();
      const primary = a.locator('[data-testid="url-list"] .copy-field.primary textarea');
      await until(async () => (await primary.inputValue()) !== oldUrl, 'the new URL is shown');
      const newUrl = await primary.inputValue();
      const stored = await admin.get(`/integrations/${fixture.am.id}`);
      assert.equal(stored.urls.webhook, newUrl, 'the API has the new URL');
      assert.notEqual(stored.key, fixture.am.key, 'a new key');
      assert.equal(await byTestId(a, 'integration-key-value').inputValue(), stored.key, 'the new key is shown');
      assert.equal((await post(oldUrl, body)).status, 401, 'the old URL answers 401');
      assert.equal((await post(newUrl, body)).status, 200, 'the new URL works');
      await byTestId(a, 'requests-refresh').click();
      await until(async () => (await byTestId(a, 'request-row').count()) === 4, 'the new request is listed');
      await exactText(byTestId(a, 'request-row').first().locator('[data-testid="request-status"]'), '200', 'newest: 200');
      fixture.am = stored;
      await screenshot(a, 'intake-integration-rotated-A');
    });

    await test('revoke (with confirmation): state, URL 401, settings locked', async () => {
      const hb = fixture.heartbeat;
      await visit(a, base, `/ui/integrations/${hb.id}`);
      await exactText(byTestId(a, 'integration-title'), 'nightly-backup', 'heartbeat page');
      assert.match(await byTestId(a, 'integration-snippet').textContent(), /curl -fsS --retry 3 http\S+\/intake\/heartbeat\//, 'cron example');
      assert.equal(await byTestId(a, 'edit-hb-interval').inputValue(), '300', 'interval in the form');
      assert.equal((await fetch(hb.urls.ping, { signal: AbortSignal.timeout(5000) })).status, 200, 'ping works');
      await byTestId(a, 'revoke').click();
      await exactText(byTestId(a, 'confirm-yes'), 'Revoke integration', 'confirm button');
      await byTestId(a, 'confirm-yes').click();
      await exactText(byTestId(a, 'integration-state'), 'Revoked', 'state badge');
      await byTestId(a, 'integration-revoked-note').waitFor();
      assert.equal(await byTestId(a, 'rotate-key').isVisible(), false, 'no rotate after revoke');
      assert.equal(await byTestId(a, 'edit-save').isDisabled(), true, 'settings locked');
      assert.ok((await admin.get(`/integrations/${hb.id}`)).revoked_at, 'the API says revoked');
      assert.equal((await fetch(hb.urls.ping, { signal: AbortSignal.timeout(5000) })).status, 401, 'the ping URL answers 401');
      await byTestId(a, 'back-to-integrations').click();
      await exactText(a.locator(`[data-testid="integration-row"][data-integration-id="${hb.id}"] [data-testid="integration-state"]`), 'Revoked', 'list state');
    });

    await test('silences: two matchers (one a regex), a server error, create and expire', async () => {
      await navigate(a, 'silences', 'silence-form');
      await byTestId(a, 'silences-active-empty').waitFor();
      const rows = byTestId(a, 'matcher-row');
      assert.equal(await rows.count(), 1, 'one empty matcher row');
      await rows.nth(0).locator('[data-testid="matcher-name"]').fill('alertname');
      await rows.nth(0).locator('[data-testid="matcher-value"]').fill('DiskFull');
      await byTestId(a, 'matcher-add').click();
      await byTestId(a, 'matcher-add').click();
      assert.equal(await rows.count(), 3, 'three rows');
      await rows.nth(2).locator('[data-testid="matcher-remove"]').click();
      assert.equal(await rows.count(), 2, 'a row removed');
      await rows.nth(1).locator('[data-testid="matcher-name"]').fill('instance');
      await rows.nth(1).locator('[data-testid="matcher-op"]').selectOption('=~');
      await rows.nth(1).locator('[data-testid="matcher-value"]').fill('db-[12:.*'); // an invalid regex
      await byTestId(a, 'silence-duration').fill('30');
      await byTestId(a, 'silence-duration-unit').selectOption('1');
      await byTestId(a, 'silence-comment').fill(HOSTILE);
      await byTestId(a, 'silence-submit').click();
      const valueInput = rows.nth(1).locator('[data-testid="matcher-value"]');
      await a.waitForFunction(() => document.querySelectorAll('[data-testid="matcher-value"]')[1].getAttribute('aria-invalid') === 'true');
      const valueId = await valueInput.getAttribute('id');
      await a.locator(`[data-testid="field-error"][data-for="${valueId}"]`).waitFor();
      assert.equal((await admin.get('/silences')).items.length, 0, 'nothing stored');

      await valueInput.fill('db-[12]:.*');
      await byTestId(a, 'silence-submit').click();
      const item = a.locator('[data-testid="silence"][data-state="active"]');
      await item.waitFor();
      const chips = await item.locator('[data-testid="matcher-chip"]').allTextContents();
      assert.deepEqual(chips, ['alertname=DiskFull', 'instance=~db-[12]:.*'], 'matchers as chips');
      await exactText(item.locator('[data-testid="silence-comment"]'), HOSTILE, 'comment as text');
      await expectText(item.locator('[data-testid="silence-creator"]'), 'admin', 'creator');
      await expectText(item.locator('[data-testid="silence-when"]'), /in (30|29) min/, 'ends in 30 min');
      const [stored] = (await admin.get('/silences')).items;
      assert.deepEqual(
        stored.matchers,
        [
          { name: 'alertname', op: '=', value: 'DiskFull' },
          { name: 'instance', op: '=~', value: 'db-[12]:.*' },
        ],
        'the API has both matchers',
      );
      const minutes = (new Date(stored.ends_at) - new Date(stored.starts_at)) / 60000;
      assert.equal(Math.round(minutes), 30, '30 minutes long');
      assert.equal(await rows.count(), 1, 'the form is reset');
      await assertNoInjectedImage(a, 'silences');
      await screenshot(a, 'intake-silences-A');

      await item.locator('[data-testid="silence-expire"]').click();
      const expired = a.locator(`[data-testid="silence"][data-silence-id="${stored.id}"][data-state="expired"]`);
      await expired.waitFor();
      assert.equal(await expired.locator('[data-testid="silence-expire"]').count(), 0, 'no Expire on an expired silence');
      await byTestId(a, 'silences-active-empty').waitFor();
      assert.equal((await admin.get('/silences')).items[0].state, 'expired', 'the API says expired');
    });

    await test('maintenance: a weekly window in a time zone, a one-off in progress, cancel both', async () => {
      await navigate(a, 'maintenance', 'mw-form');
      await byTestId(a, 'maintenance-empty').waitFor();
      assert.equal(await byTestId(a, 'mw-tz').inputValue(), BROWSER_TZ, "the browser's zone by default");
      await byTestId(a, 'mw-service').selectOption({ label: 'checkout' });
      await byTestId(a, 'mw-name').fill(HOSTILE);
      await byTestId(a, 'mw-kind-weekly').check();
      // No day picked: a field error next to the days.
      await byTestId(a, 'mw-submit').click();
      await a.locator('[data-testid="field-error"][data-for="mw-weekdays"]').waitFor();
      await byTestId(a, 'mw-day-wed').check();
      await byTestId(a, 'mw-day-sun').check();
      await byTestId(a, 'mw-start-time').fill('02:00');
      await byTestId(a, 'mw-duration').fill('2');
      await byTestId(a, 'mw-duration-unit').selectOption('60');
      await byTestId(a, 'mw-tz').fill('America/New_York');
      await byTestId(a, 'mw-submit').click();
      const weekly = a.locator('[data-testid="mw-window"][data-kind="weekly"]');
      await weekly.waitFor();
      await exactText(weekly.locator('[data-testid="mw-name-text"]'), HOSTILE, 'name as text');
      await exactText(weekly.locator('[data-testid="mw-schedule"]'), 'Every Wed, Sun at 02:00 for 2 h (America/New_York time)', 'schedule');
      await expectText(weekly.locator('[data-testid="mw-next"]'), /Next start: .*\(in \d+ (h|d|min)/, 'next start');
      const stored = (await admin.get('/maintenance')).items;
      assert.equal(stored.length, 1);
      assert.deepEqual([...stored[0].weekdays].sort(), ['sun', 'wed']);
      assert.equal(stored[0].start, '02:00');
      assert.equal(stored[0].duration_minutes, 120);
      assert.equal(stored[0].time_zone, 'America/New_York');
      assert.equal(stored[0].service_id, fixture.checkout.id);
      // The group is the service.
      await expectText(a.locator('[data-testid="mw-service-group"] h2'), 'checkout', 'grouped by service');

      // A one-off window from an hour ago to an hour from now: in progress.
      await byTestId(a, 'mw-service').selectOption({ label: 'payments' });
      await byTestId(a, 'mw-name').fill('db failover');
      await byTestId(a, 'mw-kind-once').check();
      const [start, end] = await localDateTimeInputs(a, -3600_000, 3600_000);
      await byTestId(a, 'mw-starts').fill(start);
      await byTestId(a, 'mw-ends').fill(end);
      await byTestId(a, 'mw-submit').click();
      const once = a.locator('[data-testid="mw-window"][data-kind="once"]');
      await once.waitFor();
      await exactText(once.locator('[data-testid="mw-state"]'), 'In progress', 'active window');
      const active = (await admin.get('/maintenance')).items.find((w) => w.name === 'db failover');
      assert.equal(active.active, true, 'the API says active');
      await assertNoInjectedImage(a, 'maintenance');
      await screenshot(a, 'intake-maintenance-A');

      await weekly.locator('[data-testid="mw-cancel"]').click();
      await weekly.waitFor({ state: 'detached' });
      await once.locator('[data-testid="mw-cancel"]').click();
      await once.waitFor({ state: 'detached' });
      await byTestId(a, 'maintenance-empty').waitFor();
      assert.equal((await admin.get('/maintenance')).items.length, 0, 'both cancelled');
    });

    await test('a responder may silence; a viewer only reads; integrations are for admins', async () => {
      const silence = await admin.post(
        '/silences',
        { matchers: [{ name: 'service', op: '!=', value: 'checkout' }], duration_minutes: 60, comment: 'quiet' },
        201,
      );
      const window = await admin.post(
        '/maintenance',
        { service: 'checkout', name: 'weekly patching', weekdays: ['sat'], start: '03:00', duration_minutes: 60, time_zone: 'UTC' },
        201,
      );
      await withPage('C', { viewport: { width: 1024, height: 800 } }, async (c) => {
        // Responder.
        await loginAs(c, base, RESPONDER);
        assert.equal(await byTestId(c, 'nav-integrations').isVisible(), false, 'no Integrations link for a responder');
        await byTestId(c, 'nav-silences').click();
        const item = c.locator(`[data-testid="silence"][data-silence-id="${silence.id}"]`);
        await item.waitFor();
        assert.deepEqual(await item.locator('[data-testid="matcher-chip"]').allTextContents(), ['service!=checkout']);
        assert.equal(await byTestId(c, 'silence-form').isVisible(), true, 'a responder gets the form');
        assert.equal(await item.locator('[data-testid="silence-expire"]').isVisible(), true, 'and Expire');
        await visit(c, base, '/ui/integrations');
        await byTestId(c, 'admins-only').waitFor();
        await expectText(byTestId(c, 'admins-only'), /admins only/i, 'explains');
        await expectText(byTestId(c, 'admins-only'), /rita \(responder\)/, 'names the role');
        await visit(c, base, `/ui/integrations/${fixture.am.id}`);
        await byTestId(c, 'admins-only').waitFor();
        assert.equal(await c.locator('input[readonly], textarea[readonly]').count(), 0, 'no key on the page');
        await logout(c);

        // Viewer.
        await loginAs(c, base, VIEWER);
        await visit(c, base, '/ui/silences');
        await c.locator(`[data-testid="silence"][data-silence-id="${silence.id}"]`).waitFor();
        assert.equal(await byTestId(c, 'silence-form').isVisible(), false, 'no form for a viewer');
        assert.equal(await byTestId(c, 'silence-expire').count(), 0, 'no Expire for a viewer');
        assert.equal(await byTestId(c, 'silences-readonly').isVisible(), true, 'the page says why');
        await visit(c, base, '/ui/maintenance');
        const w = c.locator(`[data-testid="mw-window"][data-window-id="${window.id}"]`);
        await w.waitFor();
        await exactText(w.locator('[data-testid="mw-schedule"]'), 'Every Sat at 03:00 for 1 h (UTC time)', 'schedule');
        assert.equal(await byTestId(c, 'mw-form').isVisible(), false, 'no form for a viewer');
        assert.equal(await byTestId(c, 'mw-cancel').count(), 0, 'no Cancel for a viewer');
        await visit(c, base, '/ui/integrations');
        await byTestId(c, 'admins-only').waitFor();
      });
      await admin.delete(`/silences/${silence.id}`);
      fixture.window = window;
    });

    await test('the pages on a 360 px phone (dark)', async () => {
      await visit(b, base, '/ui/integrations', '[data-testid="integration-row"]');
      await assertNoHorizontalScroll(b, 'integrations on a phone');
      await screenshot(b, 'intake-integrations-B');
      await visit(b, base, `/ui/integrations/${fixture.am.id}`);
      await waitLive(b);
      await byTestId(b, 'request-row').first().waitFor();
      await b.locator('[data-testid="request-toggle"]').last().click();
      await b.locator('[data-testid="request-detail"]').last().locator('[data-testid="request-body"]').waitFor();
      await assertNoHorizontalScroll(b, 'integration page on a phone');
      await screenshot(b, 'intake-integration-B');
      await visit(b, base, '/ui/silences');
      await byTestId(b, 'matcher-row').waitFor();
      await byTestId(b, 'silence').first().waitFor();
      await assertNoHorizontalScroll(b, 'silences on a phone');
      await screenshot(b, 'intake-silences-B');
      await visit(b, base, '/ui/maintenance', '[data-testid="mw-window"]');
      await byTestId(b, 'mw-kind-weekly').check();
      await assertNoHorizontalScroll(b, 'maintenance on a phone');
      await screenshot(b, 'intake-maintenance-B');
    });

    await test('hostile strings are text everywhere and nothing ran', async () => {
      await admin.post('/silences', { matchers: [{ name: 'alertname', value: 'x' }], duration_minutes: 5, comment: HOSTILE }, 201);
      await admin.post('/maintenance', { service: 'checkout', name: HOSTILE, weekdays: ['mon'], start: '01:00', duration_minutes: 30, time_zone: 'UTC' }, 201);
      for (const url of ['/ui/integrations', `/ui/integrations/${fixture.am.id}`, '/ui/silences', '/ui/maintenance']) {
        await visit(a, base, url);
        await a.getByText(HOSTILE).first().waitFor();
        await assertNoInjectedImage(a, url);
      }
      // Inside an expanded request body as well.
      await visit(a, base, `/ui/integrations/${fixture.am.id}`);
      await until(async () => (await byTestId(a, 'request-row').count()) === 4, 'four requests listed');
      for (const toggle of await byTestId(a, 'request-toggle').all()) await toggle.click();
      await until(async () => (await a.locator('[data-testid="request-toggle"][aria-expanded="true"]').count()) === 4, 'all rows open');
      await expectText(byTestId(a, 'request-body'), HOSTILE, 'body text');
      await assertNoInjectedImage(a, 'expanded requests');
    });

    await noProblemsTest('no script errors, CSP violations or dialogs');
  },
);
