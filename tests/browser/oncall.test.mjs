// Browser test of the on-call pages of the Klaxon console against the real server.
//
//   KLAXON_BIN=build/klaxon KLAXON_TEST_OUTPUT=build/test-output node oncall.test.mjs
//
// Starts `klaxon serve` (see harness.mjs) plus two local webhook receivers: one that
// accepts (200) and one that rejects (400, which fails a notification at once). Sets up
// people, a schedule, a policy and a service through the API, then drives two consoles:
// A on a desktop in Asia/Kolkata (UTC+05:30, so the week calendar's days and the
// schedule's UTC hand-offs differ), B on a 360 px phone in dark mode. Covers My profile
// (contact method with its one-time signing secret, test + verify, rules), On call, the
// schedule week calendar and overrides, escalation policies, the incident page's
// escalation / roles / notifications panels, the failed-notifications banner, and that a
// hostile user name is only ever text.
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  DESKTOP,
  HOSTILE_IMG as HOSTILE,
  PHONE,
  assertNoHorizontalScroll,
  assertNoInjectedImage,
  assertNoReload,
  byTestId,
  createService,
  createUser,
  exactText,
  expectText,
  log,
  login,
  loginAs,
  markNoReload,
  navigate,
  runSuite,
  screenshot,
  until,
  visit,
  waitLive,
  WebhookReceiver as Receiver,
} from './harness.mjs';

const TOTAL_TIMEOUT_MS = 240_000; // the whole run (ctest allows 300 s)
const BROWSER_TZ = 'Asia/Kolkata';

// ------------------------------------------------------------------ webhook receivers


// The 6-digit code of a test message: under a key naming a code, else the only one.
function findVerifyCode(body) {
  const preferred = [];
  const loose = new Set();
  const walk = (o, key = '') => {
    if (Array.isArray(o)) for (const v of o) walk(v, key);
    else if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) walk(v, k);
    else if (typeof o === 'string' || typeof o === 'number') {
      const s = String(o);
      if (/code/i.test(key) && /^\d{6}$/.test(s)) preferred.push(s);
      else for (const m of s.replace(/https?:\/\/\S+/g, ' ').matchAll(/(?<![\w-])(\d{6})(?![\w-])/g)) loose.add(m[1]);
    }
  };
  walk(body);
  if (preferred.length) return preferred[0];
  if (loose.size === 1) return [...loose][0];
  return null;
}

function isoDate(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

// ------------------------------------------------------------------ the run

const okRx = new Receiver(200);
const rejectRx = new Receiver(400);
const CONTEXT_DEFAULTS = { timezoneId: BROWSER_TZ, locale: 'en-US' };
const CAROL = { username: 'carol', name: 'Carol Viewer', role: 'viewer', password: 'carol-pw-123' };

await runSuite(
  { serverName: 'oncall-server', totalTimeoutMs: TOTAL_TIMEOUT_MS, helpers: [okRx, rejectRx], contextDefaults: CONTEXT_DEFAULTS },
  async ({ base, admin, test, launchBrowser, openPage, withPage, noProblemsTest }) => {
    const fixture = {};

    await test('setup through the API: people, schedule, policy, service', async () => {
      await createUser(admin, { username: 'alice', name: 'Alice Example', role: 'responder', password: 'alice-pw-123' });
      await createUser(admin, { username: 'bob', name: HOSTILE, role: 'responder', password: 'bob-pw-12345' });
      await createUser(admin, CAROL);
      await admin.post('/users/alice/contact-methods', { kind: 'webhook', address: okRx.url('/alice'), label: 'Alice hook' }, 201);
      // Bob's only contact method answers 400: every page to him fails at once.
      await admin.post('/users/bob/contact-methods', { kind: 'webhook', address: rejectRx.url('/bob') }, 201);
      // Daily rotation handing off at 09:00 UTC (14:30 in the browser's Asia/Kolkata).
      const schedule = await admin.post(
        '/schedules',
        {
          name: 'primary',
          description: 'Checkout and payments, first line',
          time_zone: 'UTC',
          layers: [
            {
              name: 'weekdays',
              users: ['alice', 'bob'],
              rotation: { unit: 'days', length: 1 },
              start_date: isoDate(Date.now() - 20 * 86400000),
              handoff_time: '09:00',
            },
          ],
        },
        201,
      );
      fixture.schedule = schedule;
      const policy = await admin.post(
        '/escalation-policies',
        {
          name: 'checkout-pol',
          description: 'Bob first, then whoever is on call.',
          repeat: 0,
          steps: [
            { delay_minutes: 5, targets: [{ type: 'user', name: 'bob' }] },
            { delay_minutes: 10, targets: [{ type: 'schedule', name: 'primary' }, { type: 'role', name: 'commander' }] },
          ],
        },
        201,
      );
      fixture.policy = policy;
      await createService(admin, 'checkout');
      await admin.patch('/services/checkout', { escalation_policy: 'checkout-pol' });
      const oncall = await admin.get(`/schedules/${schedule.id}/oncall`);
      assert.ok(oncall.user, 'someone is on call on the schedule');
      fixture.oncall = oncall.user;
      log(`on call now: ${oncall.user.username}`);
    });

    await launchBrowser();
    const a = await openPage('A', { viewport: DESKTOP });
    const b = await openPage('B', { viewport: PHONE, colorScheme: 'dark' });

    await test('both consoles log in; the header links to the new pages', async () => {
      await Promise.all([login(a, base), login(b, base)]);
      for (const id of ['nav-oncall', 'nav-policies', 'nav-profile']) {
        assert.equal(await byTestId(a, id).count(), 1, `header link ${id}`);
      }
      assert.equal(await byTestId(a, 'failed-banner').isVisible(), false, 'no failed banner yet');
    });

    await test('profile: add a webhook method (secret once), a rule, test and verify it', async () => {
      await navigate(a, 'profile', 'profile-form');
      await expectText(byTestId(a, 'profile-identity'), /admin/, 'profile identity');
      await a.waitForFunction(() => /\/ical\/users\/[^/]+\.ics$/.test(document.querySelector('[data-testid="profile-ical"]').value));
      assert.equal(await byTestId(a, 'methods-empty').isVisible(), true, 'no contact methods yet');

      // Time zone.
      await byTestId(a, 'profile-tz').fill('Europe/Berlin');
      await byTestId(a, 'profile-save').click();
      await until(async () => (await admin.get('/users/admin')).time_zone === 'Europe/Berlin', 'time zone saved');

      // A webhook method: its signing secret is shown once.
      const label = '<b>My hook</b>';
      await byTestId(a, 'method-kind').selectOption('webhook');
      await byTestId(a, 'method-address').fill(okRx.url('/admin'));
      await byTestId(a, 'method-label').fill(label);
      await byTestId(a, 'method-submit').click();
      await byTestId(a, 'webhook-secret').waitFor();
      const secret = await byTestId(a, 'webhook-secret-value').inputValue();
      assert.match(secret, /^whsec_/, 'the signing secret is shown');
      const method = a.locator('[data-testid="method"][data-kind="webhook"]');
      await method.waitFor();
      await exactText(method.locator('[data-testid="method-name"]'), label, 'method label as text');
      assert.equal(await method.locator('b').count(), 0, 'the label is not markup');
      await exactText(method.locator('[data-testid="method-verified"]'), 'Not verified', 'unverified badge');
      await screenshot(a, 'oncall-profile-secret-A');
      await byTestId(a, 'webhook-secret-dismiss').click();
      await byTestId(a, 'webhook-secret').waitFor({ state: 'hidden' });

      // Rules: one at 5 minutes, one at once (deleted again).
      await byTestId(a, 'rule-delay').fill('5');
      await byTestId(a, 'rule-submit').click();
      await expectText(byTestId(a, 'rule-when'), 'After 5 min', 'rule after 5 min');
      await byTestId(a, 'rule-delay').fill('0');
      await byTestId(a, 'rule-submit').click();
      await expectText(byTestId(a, 'rule-when'), 'At once', 'rule at once');
      assert.equal(await byTestId(a, 'rule').count(), 2, 'two rules');
      await a.locator('[data-testid="rule"][data-delay="0"] [data-testid="rule-delete"]').click();
      await a.locator('[data-testid="rule"][data-delay="0"]').waitFor({ state: 'detached' });
      assert.equal(await byTestId(a, 'rule').count(), 1, 'one rule left');
      const profile = await admin.get('/users/admin');
      assert.deepEqual(
        profile.notification_rules.map((r) => r.delay_minutes),
        [5],
        'the API has the rule',
      );

      // Send test → the receiver gets a code → verify.
      const before = okRx.requests.filter((r) => r.path === '/admin').length;
      await method.locator('[data-testid="method-test"]').click();
      await expectText(method.locator('[data-testid="method-test-status"]'), /queued/i, 'test queued note');
      const request = await until(() => okRx.requests.filter((r) => r.path === '/admin')[before], 'test message delivered');
      const code = findVerifyCode(request.body);
      assert.ok(code, `a 6-digit code in the test message: ${request.text.slice(0, 300)}`);
      assert.ok(request.headers['webhook-signature'], 'the delivery is signed');
      await method.locator('[data-testid="verify-code"]').fill(code);
      await method.locator('[data-testid="verify-submit"]').click();
      await exactText(a.locator('[data-testid="method"][data-kind="webhook"] [data-testid="method-verified"]'), 'Verified', 'verified badge');

      // After a reload the secret is nowhere on the page.
      await a.reload({ waitUntil: 'domcontentloaded' });
      await a.locator('[data-testid="method"][data-kind="webhook"]').waitFor();
      assert.equal(await byTestId(a, 'webhook-secret').isVisible(), false, 'secret box hidden after reload');
      const leaks = await a.evaluate(
        (s) => document.body.innerText.includes(s) || [...document.querySelectorAll('input')].some((i) => i.value.includes(s)),
        secret,
      );
      assert.equal(leaks, false, 'the secret is shown only once');
      assert.equal(await byTestId(a, 'profile-tz').inputValue(), 'Europe/Berlin', 'time zone kept');
      await screenshot(a, 'oncall-profile-A');

      await visit(b, base, '/ui/profile');
      await b.locator('[data-testid="method"][data-kind="webhook"]').waitFor();
      await assertNoHorizontalScroll(b, 'profile on a phone');
      await screenshot(b, 'oncall-profile-B');
    });

    await test('on-call page shows who is on call on every schedule', async () => {
      await navigate(a, 'oncall');
      const card = a.locator(`[data-testid="oncall-item"][data-schedule-id="${fixture.schedule.id}"]`);
      await card.waitFor();
      await exactText(card.locator('[data-testid="oncall-schedule"]'), 'primary', 'schedule name');
      await exactText(card.locator('[data-testid="oncall-user"]'), fixture.oncall.name, 'on-call person');
      await expectText(card.locator('[data-testid="oncall-until"]'), /until/, 'until when');
      assert.equal(await a.locator('main img').count(), 0, 'no injected image');
      await screenshot(a, 'oncall-now-A');
      await visit(b, base, '/ui/oncall');
      await exactText(b.locator('[data-testid="oncall-user"]').first(), fixture.oncall.name, 'B on-call person');
      await assertNoHorizontalScroll(b, 'on call on a phone');
    });

    await test('schedule week calendar renders shift blocks in local time; prev/next week', async () => {
      await a.locator(`[data-testid="oncall-item"][data-schedule-id="${fixture.schedule.id}"] a`).click();
      await a.waitForURL(new RegExp(`/ui/schedules/${fixture.schedule.id}$`));
      await exactText(byTestId(a, 'schedule-name'), 'primary', 'schedule heading');
      await exactText(byTestId(a, 'schedule-oncall'), fixture.oncall.name, 'on call now');
      const calendar = byTestId(a, 'week-calendar');
      await a.locator('[data-testid="week-calendar"]:not([aria-busy]) [data-testid="shift-block"]').first().waitFor();
      assert.equal(await byTestId(a, 'week-day').count(), 7, 'seven day columns');

      // The same week through the API, bounded by the browser's local Monday.
      const range = await a.evaluate(() => {
        const now = new Date();
        const monday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - ((now.getDay() + 6) % 7));
        const next = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + 7);
        return { from: monday.toISOString(), to: next.toISOString(), first: monday.toDateString() };
      });
      const shifts = await admin.get(`/schedules/${fixture.schedule.id}/shifts?from=${encodeURIComponent(range.from)}&to=${encodeURIComponent(range.to)}`);
      assert.ok(shifts.items.length >= 7, `a daily rotation has shifts every day (${shifts.items.length})`);
      assert.equal(await calendar.getAttribute('data-shifts'), String(shifts.items.length), 'the calendar shows the API shifts');
      const blocks = byTestId(a, 'shift-block');
      const count = await blocks.count();
      // Hand-offs at 14:30 local split every day in two.
      assert.ok(count >= 13, `blocks per day segment (${count})`);
      const names = new Set(await a.locator('[data-testid="shift-block"] .shift-name').allTextContents());
      assert.deepEqual([...names].sort(), ['Alice Example', HOSTILE].sort(), 'both people, names as text');
      const times = await a.locator('[data-testid="shift-block"] .shift-time').allTextContents();
      assert.ok(times.some((t) => t.startsWith('14:30')), `a hand-off at 14:30 local (${times.join(', ')})`);
      assert.equal(await a.locator('main img').count(), 0, 'the hostile name made no image');
      // Each block sits in its day: top and height follow the local times.
      const geometry = await a.evaluate(() => {
        const block = [...document.querySelectorAll('[data-testid="shift-block"]')].find((b) => b.querySelector('.shift-time').textContent.startsWith('14:30'));
        const track = block.parentElement.getBoundingClientRect();
        const r = block.getBoundingClientRect();
        return { top: (r.top - track.top) / track.height };
      });
      assert.ok(Math.abs(geometry.top - 14.5 / 24) < 0.02, `a 14:30 block starts 60% down its day (${geometry.top})`);
      // Layers summary and iCal feed.
      await expectText(byTestId(a, 'layer'), /every day/, 'layer rotation');
      await expectText(byTestId(a, 'layer'), 'Alice Example', 'layer people');
      assert.match(await byTestId(a, 'schedule-ical').inputValue(), /\/ical\/schedules\/[^/]+\.ics$/);
      await screenshot(a, 'oncall-schedule-week-A');

      const firstWeek = await calendar.getAttribute('data-week');
      await markNoReload(a);
      await byTestId(a, 'week-next').click();
      await a.waitForFunction((w) => {
        const c = document.querySelector('[data-testid="week-calendar"]');
        return c.dataset.week !== w && !c.hasAttribute('aria-busy');
      }, firstWeek);
      assert.match(a.url(), /\?week=\d{4}-\d{2}-\d{2}$/, 'the week is in the address');
      assert.ok((await blocks.count()) >= 13, 'next week has blocks');
      assert.equal(await byTestId(a, 'now-line').count(), 0, 'no "now" line next week');
      await byTestId(a, 'week-prev').click();
      await byTestId(a, 'week-prev').click();
      await a.waitForFunction(() => {
        const c = document.querySelector('[data-testid="week-calendar"]');
        return !c.hasAttribute('aria-busy') && c.querySelectorAll('[data-testid="shift-block"]').length > 0;
      });
      assert.ok((await calendar.getAttribute('data-week')) < firstWeek, 'went back a week');
      await byTestId(a, 'week-today').click();
      await a.waitForFunction((w) => document.querySelector('[data-testid="week-calendar"]').dataset.week === w, firstWeek);
      await byTestId(a, 'now-line').waitFor({ state: 'attached' });
      await assertNoReload(a, 'week navigation');

      await visit(b, base, `/ui/schedules/${fixture.schedule.id}`, '[data-testid="shift-block"]');
      await assertNoHorizontalScroll(b, 'schedule on a phone');
      await screenshot(b, 'oncall-schedule-week-B');
    });

    await test('overrides: create with datetime-local inputs, shown in the week, delete', async () => {
      // Tomorrow 10:00–13:00 in the browser's zone, for the person not on call.
      const other = fixture.oncall.username === 'alice' ? 'bob' : 'alice';
      const range = await a.evaluate(() => {
        const d = new Date();
        const start = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1, 10, 0);
        const end = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1, 13, 0);
        const local = (x) =>
          `${x.getFullYear()}-${String(x.getMonth() + 1).padStart(2, '0')}-${String(x.getDate()).padStart(2, '0')}T${String(x.getHours()).padStart(2, '0')}:00`;
        const monday = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate() - ((x.getDay() + 6) % 7)).getTime();
        return { start: local(start), end: local(end), startIso: start.toISOString(), endIso: end.toISOString(), sameWeek: monday(d) === monday(start) };
      });
      await byTestId(a, 'override-user').selectOption(other);
      await byTestId(a, 'override-start').fill(range.start);
      await byTestId(a, 'override-end').fill(range.end);
      await byTestId(a, 'override-submit').click();
      const item = byTestId(a, 'override');
      await item.waitFor();
      const stored = (await admin.get(`/schedules/${fixture.schedule.id}/overrides`)).items;
      assert.equal(stored.length, 1, 'one override');
      assert.equal(stored[0].user.username, other);
      assert.equal(new Date(stored[0].start).toISOString(), range.startIso, 'start converted from local time');
      assert.equal(new Date(stored[0].end).toISOString(), range.endIso, 'end converted from local time');
      if (!range.sameWeek) await byTestId(a, 'week-next').click();
      const block = a.locator('[data-testid="shift-block"][data-source="override"]');
      await block.waitFor();
      await expectText(block.locator('.shift-time'), '10:00–13:00', 'override block times');
      await screenshot(a, 'oncall-schedule-override-A');
      await item.locator('[data-testid="override-delete"]').click();
      await item.waitFor({ state: 'detached' });
      await block.waitFor({ state: 'detached' });
      assert.equal((await admin.get(`/schedules/${fixture.schedule.id}/overrides`)).items.length, 0, 'override deleted');
      if (!range.sameWeek) await byTestId(a, 'week-today').click();
    });

    await test('escalation policies page lists steps and targets', async () => {
      await navigate(a, 'policies');
      const policy = a.locator(`[data-testid="policy"][data-policy-id="${fixture.policy.id}"]`);
      await policy.waitFor();
      await exactText(policy.locator('[data-testid="policy-name"]'), 'checkout-pol', 'policy name');
      assert.equal(await policy.locator('[data-testid="policy-step"]').count(), 2, 'two steps');
      await expectText(policy.locator('[data-testid="policy-services"]'), 'Used by checkout', 'the service using it');
      const first = policy.locator('[data-testid="policy-step"]').first();
      await expectText(first.locator('[data-testid="policy-target"]'), HOSTILE, 'user target by name, as text');
      await expectText(first.locator('[data-testid="policy-step-delay"]'), /5 min/, 'step 1 delay');
      const second = policy.locator('[data-testid="policy-step"]').nth(1);
      await expectText(second.locator('[data-testid="policy-target"][data-type="schedule"] a'), 'primary', 'schedule target links');
      await expectText(second.locator('[data-testid="policy-target"][data-type="role"]'), 'commander', 'role target');
      assert.equal(await a.locator('main img').count(), 0, 'no injected image');
      await screenshot(a, 'oncall-policies-A');
    });

    await test('failed banner appears live when a page fails; "view" lists the failure', async () => {
      await markNoReload(a);
      assert.equal(await byTestId(a, 'failed-banner').isVisible(), false, 'no banner before');
      const incident = await admin.post('/incidents', { title: 'Payments down', severity: 'SEV-1', service: 'checkout' }, 201);
      fixture.incident = incident;
      await until(async () => (await admin.get(`/notifications?status=failed&incident=${incident.id}`)).items.length > 0, 'the page to bob failed');
      await byTestId(a, 'failed-banner').waitFor({ state: 'visible' });
      await expectText(byTestId(a, 'failed-banner-text'), /^1 notification failed/, 'banner text');
      await assertNoReload(a, 'banner appeared live');
      await byTestId(a, 'failed-banner-link').click();
      await a.waitForURL(/\/ui\/notifications\?status=failed$/);
      const row = a.locator('[data-testid="notification-row"][data-status="failed"]');
      await row.first().waitFor();
      await exactText(row.first().locator('[data-testid="notification-user"]'), HOSTILE, 'failed row names bob (as text)');
      await expectText(row.first().locator('[data-testid="notification-error"]'), /400/, 'failed row error');
      assert.equal(await a.locator('main img').count(), 0, 'no injected image');
      await screenshot(a, 'oncall-failed-list-A');
      // B (on a phone, another page) shows the banner too.
      await byTestId(b, 'failed-banner').waitFor({ state: 'visible' });
      await visit(b, base, '/ui/notifications?status=failed', '[data-testid="notification-row"]');
      await assertNoHorizontalScroll(b, 'failed list on a phone');
      await screenshot(b, 'oncall-failed-list-B');
    });

    await test('incident page: escalation panel, escalate now, re-page, roles, notifications', async () => {
      const id = fixture.incident.id;
      await visit(a, base, `/ui/incidents/${id}`);
      await waitLive(a);
      await exactText(byTestId(a, 'esc-policy'), 'checkout-pol', 'policy name');
      await exactText(byTestId(a, 'esc-state'), 'active', 'escalation active');
      await exactText(byTestId(a, 'esc-step'), 'Step 1 of 2 paged', 'step 1 paged');
      await expectText(byTestId(a, 'esc-next'), /Step 2 in \d+ min/, 'next step time');
      const rows = a.locator('[data-testid="notifications-panel"] [data-testid="notification-row"]');
      await rows.first().waitFor();
      await exactText(rows.first().locator('[data-testid="notification-status"]'), 'failed', 'bob failed');

      await markNoReload(a);
      const before = (await admin.get(`/notifications?incident=${id}`)).items.length;
      await byTestId(a, 'escalate-button').click();
      await exactText(byTestId(a, 'esc-step'), 'Step 2 of 2 paged', 'escalated to step 2');
      // The last step: either still waiting out its delay (active, nothing next) or exhausted.
      await exactText(byTestId(a, 'esc-state'), /^(active|exhausted)$/, 'state after the last step');
      await expectText(byTestId(a, 'esc-next'), /^None/, 'no next step');
      const esc = await admin.get(`/incidents/${id}/escalation`);
      assert.equal(esc.step, 2, 'the API agrees');
      await a.waitForFunction((n) => document.querySelectorAll('[data-testid="notifications-panel"] [data-testid="notification-row"]').length > n, before);
      await expectText(byTestId(a, 'timeline-entry'), /escalated to step 2/, 'timeline says who escalated');

      // The commander role: assign alice; she is notified.
      await byTestId(a, 'role-name').fill('commander');
      await byTestId(a, 'role-user').selectOption('alice');
      await byTestId(a, 'role-submit').click();
      const role = a.locator('[data-testid="role-item"][data-role="commander"]');
      await exactText(role.locator('[data-testid="role-item-user"]'), 'Alice Example', 'commander is alice');
      assert.equal((await admin.get(`/incidents/${id}/roles`)).items[0].user.username, 'alice');

      const pagesBefore = (await admin.get(`/notifications?incident=${id}`)).items.length;
      await byTestId(a, 'repage-button').click();
      await until(async () => (await admin.get(`/notifications?incident=${id}`)).items.length > pagesBefore, 're-page created notifications');
      await a.waitForFunction(
        (n) => document.querySelectorAll('[data-testid="notifications-panel"] [data-testid="notification-row"]').length > n,
        pagesBefore,
      );
      await expectText(
        a.locator('[data-testid="notifications-panel"] [data-testid="notification-row"][data-status="sent"] [data-testid="notification-user"]'),
        'Alice Example',
        'a delivered page to alice',
      );
      await assertNoReload(a, 'incident page');
      assert.equal(await a.locator('main img').count(), 0, 'no injected image');
      await screenshot(a, 'oncall-incident-A');

      // Acknowledging stops the escalation (live in the panel).
      await byTestId(a, 'ack-button').click();
      await exactText(byTestId(a, 'esc-state'), /stopped|exhausted/, 'escalation state after ack');
      await visit(b, base, `/ui/incidents/${id}`);
      await byTestId(b, 'escalation-panel').waitFor();
      await b.locator('[data-testid="notifications-panel"] [data-testid="notification-row"]').first().waitFor();
      await assertNoHorizontalScroll(b, 'incident on a phone');
      await screenshot(b, 'oncall-incident-B');
    });

    await test('a viewer sees the panels but no paging or override controls', async () => {
      await withPage('C', { viewport: { width: 1024, height: 800 } }, async (c) => {
        await loginAs(c, base, CAROL);
        await visit(c, base, `/ui/incidents/${fixture.incident.id}`);
        await exactText(byTestId(c, 'esc-policy'), 'checkout-pol', 'viewer sees the policy');
        await c.locator('[data-testid="notifications-panel"] [data-testid="notification-row"]').first().waitFor();
        assert.equal(await byTestId(c, 'escalate-button').isVisible(), false, 'no Escalate now');
        assert.equal(await byTestId(c, 'repage-button').isVisible(), false, 'no Re-page');
        assert.equal(await byTestId(c, 'role-form').isVisible(), false, 'no role form');
        await visit(c, base, `/ui/schedules/${fixture.schedule.id}`, '[data-testid="shift-block"]');
        assert.equal(await byTestId(c, 'override-form').isVisible(), false, 'no override form');
        await visit(c, base, '/ui/profile');
        await byTestId(c, 'method-form').waitFor();
        await expectText(byTestId(c, 'profile-identity'), /carol \(viewer\)/, 'viewer profile');
      });
    });

    await test('the hostile name is text everywhere and nothing ran', async () => {
      for (const url of [`/ui/schedules/${fixture.schedule.id}`, '/ui/policies', '/ui/notifications', `/ui/incidents/${fixture.incident.id}`]) {
        await visit(a, base, url);
        await a.getByText(HOSTILE, { exact: true }).first().waitFor();
        await assertNoInjectedImage(a, url);
      }
    });

    await noProblemsTest('no script errors, CSP violations or dialogs in either console');
  },
);
