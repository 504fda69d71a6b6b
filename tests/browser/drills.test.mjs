// Browser test of the Drills page (game days) and the drill report against the real server.
//
//   KLAXON_BIN=build/klaxon KLAXON_TEST_OUTPUT=build/test-output node drills.test.mjs
//
// Starts `klaxon serve` on a manual clock at Wednesday 2026-11-25 14:00 New York time
// (KLAXON_CLOCK / KLAXON_CLOCK_START, as playbook.test.mjs) and a local webhook receiver,
// applies examples/sev-levels and gives Alice (on call for checkout) a webhook contact
// method pointing at the receiver. In the console: the Drills page in the navigation; a
// scenario form whose mistakes show next to the fields (a line of the expected actions the
// browser cannot read, then the server's 422 naming the severity, the time limit, an
// expected action and a reserved label, then a duplicate name); the scenario created and
// listed; run now (after a confirmation), the run listed with its incident and the DRILL
// badge, which the incident list and page show too, and Alice paged with [DRILL]; the
// report while the drill runs (IN PROGRESS, met and pending) and, once the manual clock
// passes the time limit, live: FAILED with the met and missed rows and the paging facts,
// and its Markdown; a scheduled run cancelled; the analytics page's "Drills: only";
// a viewer without controls; a 360 px phone. Prints "N passed, M failed" last; exits
// non-zero on any failure.
import assert from 'node:assert/strict';

import {
  DESKTOP,
  HOSTILE_IMG,
  PHONE,
  VIEWER,
  WebhookReceiver,
  assertNoHorizontalScroll,
  assertNoInjectedImage,
  byTestId,
  createUser,
  exactText,
  exampleFiles,
  expectText,
  login,
  loginAs,
  navigate,
  runSuite,
  screenshot,
  until,
  visit,
} from './harness.mjs';

const TOTAL_TIMEOUT_MS = 240_000; // the whole run (ctest allows 300 s)
const START = '2026-11-25T14:00:00-05:00';
const TIME_ZONE = 'America/New_York'; // the browser's, so times read as the playbook's
const NAME = 'checkout-error-spike';
const DESCRIPTION = `The error rate of checkout jumps after a deploy. ${HOSTILE_IMG}`;
const MIN = 60;

process.env.KLAXON_CLOCK = 'manual';
process.env.KLAXON_CLOCK_START = START;
delete process.env.ROLLBACK_TOKEN;
delete process.env.FLAGS_API_KEY;

const receiver = new WebhookReceiver(200);

await runSuite(
  { serverName: 'drills', totalTimeoutMs: TOTAL_TIMEOUT_MS, helpers: [receiver], contextDefaults: { timezoneId: TIME_ZONE } },
  async ({ base, admin, test, launchBrowser, openPage, withPage, noProblemsTest }) => {
    const advance = (seconds) => admin.post('/admin/clock/advance', { seconds });
    let run = null; // the run started now
    let startedMs = 0; // the server's clock when it started

    await test('setup: the example playbook, Alice reachable by webhook, a viewer', async () => {
      await admin.post('/apply', { files: exampleFiles('examples/sev-levels') });
      const profile = await admin.get('/users/alice');
      for (const m of profile.contact_methods.filter((m) => m.kind === 'slack')) await admin.delete(`/users/alice/contact-methods/${m.id}`);
      const hook = await admin.post('/users/alice/contact-methods', { kind: 'webhook', address: receiver.url('/alice'), label: 'test receiver' }, 201);
      await admin.post('/users/alice/notification-rules', { contact_method: hook.id, delay_minutes: 0 }, 201);
      await createUser(admin, VIEWER);
      assert.equal((await admin.get('/admin/clock')).mode, 'manual');
      assert.deepEqual((await admin.get('/drills/scenarios')).items, []);
    });

    await launchBrowser();
    const page = await openPage('A', { viewport: DESKTOP });
    const form = byTestId(page, 'drill-form');
    const card = page.locator(`[data-testid="drill-scenario"][data-name="${NAME}"]`);
    const runRow = (id) => page.locator(`[data-testid="drill-run-row"][data-run-id="${id}"]`);
    const fieldError = (id) => page.locator(`#${id}-error`);
    const targetRow = (name) => page.locator(`[data-testid="drill-target-row"][data-name="${name}"]`);
    const expectedRow = (action) => page.locator(`[data-testid="drill-expected-row"][data-action="${action}"]`);

    await test('the Drills page is in the navigation, with no scenarios yet', async () => {
      await login(page, base);
      await navigate(page, 'drills', 'drills');
      await page.locator('[data-testid="drills"][data-loaded="yes"]').waitFor({ state: 'attached' });
      await expectText(byTestId(page, 'drill-scenarios-empty'), 'No scenarios yet', 'no scenarios');
      await expectText(byTestId(page, 'drill-runs-empty'), 'No drill has been run yet', 'no runs');
      assert.equal(await byTestId(page, 'nav-drills').getAttribute('aria-current'), 'page');
      assert.equal(await form.isHidden(), true, 'the form opens on demand');
    });

    await test('a bad scenario: each mistake shows next to its field, nothing is stored', async () => {
      await byTestId(page, 'drill-new').click();
      await form.waitFor({ state: 'visible' });
      assert.equal(await byTestId(page, 'drill-new').getAttribute('aria-expanded'), 'true');
      // The service and severity choices come from the API.
      await page.locator('#drill-service option[value="checkout"]').waitFor({ state: 'attached' });
      await page.locator('#drill-severity option[value="SEV-1"]').waitFor({ state: 'attached' });
      assert.equal(await byTestId(page, 'drill-allow-public').isChecked(), false, 'public is off by default');
      assert.equal(await byTestId(page, 'drill-time-limit').inputValue(), '1h', 'an hour by default');

      await byTestId(page, 'drill-name').fill(NAME);
      await byTestId(page, 'drill-service').selectOption('checkout');
      await byTestId(page, 'drill-time-limit').fill('forever');
      await byTestId(page, 'drill-labels').fill('drill_run=7');
      await byTestId(page, 'drill-expected').fill('dance\npost_update by lunch');
      // A line the browser cannot read: said before anything is sent.
      await byTestId(page, 'drill-create-submit').click();
      await expectText(fieldError('drill-expected'), 'line 2: write an action', 'the unreadable line');
      assert.equal(await byTestId(page, 'drill-expected').getAttribute('aria-invalid'), 'true');
      // Then the server's 422, each error next to the field it names.
      await byTestId(page, 'drill-expected').fill('dance\npost_update within 10m');
      await byTestId(page, 'drill-create-submit').click();
      await expectText(fieldError('drill-severity'), 'is required', 'the severity');
      await expectText(fieldError('drill-time-limit'), 'must be a duration', 'the time limit');
      await expectText(fieldError('drill-expected'), "line 1: unknown action 'dance'", 'the expected action, by line');
      await expectText(fieldError('drill-labels'), 'drill_run: is set by the drill', 'the reserved label');
      for (const id of ['drill-severity', 'drill-time-limit', 'drill-expected', 'drill-labels']) {
        assert.equal(await page.locator(`#${id}`).getAttribute('aria-invalid'), 'true', `${id} is marked`);
      }
      assert.equal(await fieldError('drill-name').count(), 0, 'the name is fine');
      await expectText(byTestId(page, 'drill-form-error'), 'Check the marked fields', 'the summary');
      await screenshot(page, 'drills-A-form-errors');
      assert.deepEqual((await admin.get('/drills/scenarios')).items, [], 'nothing stored');
    });

    await test('the scenario is created through the form and listed', async () => {
      await byTestId(page, 'drill-description').fill(DESCRIPTION);
      await byTestId(page, 'drill-severity').selectOption('SEV-1');
      await byTestId(page, 'drill-time-limit').fill('1h');
      await byTestId(page, 'drill-alertname').fill('CheckoutErrorRate');
      await byTestId(page, 'drill-summary').fill('Checkout error rate above 10%');
      await byTestId(page, 'drill-labels').fill('env=prod');
      await byTestId(page, 'drill-annotations').fill('value=0.23');
      await byTestId(page, 'drill-expected').fill(
        ['acknowledge', 'assign_role:communications_lead within 10m', 'run_action:rollback-checkout within 20m', 'post_update'].join('\n'),
      );
      // The public checkbox warns when on.
      await byTestId(page, 'drill-allow-public').check();
      await expectText(byTestId(page, 'drill-public-warning'), 'Customers will see this drill', 'the warning');
      await byTestId(page, 'drill-allow-public').uncheck();
      assert.equal(await byTestId(page, 'drill-public-warning').isHidden(), true);
      await byTestId(page, 'drill-create-submit').click();
      await form.waitFor({ state: 'hidden' });
      await card.waitFor();
      await exactText(card.locator('[data-testid="drill-scenario-name"]'), NAME, 'the name');
      await exactText(card.locator('[data-testid="drill-scenario-service"]'), 'checkout', 'the service');
      await exactText(card.locator('[data-testid="drill-scenario-severity"]'), 'SEV-1', 'the severity');
      await exactText(card.locator('[data-testid="drill-scenario-time-limit"]'), '1h', 'the time limit');
      await exactText(card.locator('[data-testid="drill-scenario-last-run"]'), 'Never run', 'never run');
      await expectText(card.locator('[data-testid="drill-scenario-expected"]'), 'assign_role:communications_lead within 10m', 'the expected actions');
      await expectText(card.locator('[data-testid="drill-scenario-description"]'), HOSTILE_IMG, 'the description, as text');
      await assertNoInjectedImage(page, 'the scenario list');
      const [s] = (await admin.get('/drills/scenarios')).items;
      assert.equal(s.name, NAME);
      assert.equal(s.allow_public, false);
      assert.deepEqual(s.alerts, [{ labels: { alertname: 'CheckoutErrorRate', env: 'prod' }, annotations: { summary: 'Checkout error rate above 10%', value: '0.23' } }]);
      assert.deepEqual(s.expected_actions, [
        { action: 'acknowledge', within: null },
        { action: 'assign_role:communications_lead', within: '10m' },
        { action: 'run_action:rollback-checkout', within: '20m' },
        { action: 'post_update', within: null },
      ]);
      // The same name again: the 409 shows next to the name.
      await byTestId(page, 'drill-new').click();
      await byTestId(page, 'drill-name').fill(NAME);
      await byTestId(page, 'drill-service').selectOption('checkout');
      await byTestId(page, 'drill-severity').selectOption('SEV-2');
      await byTestId(page, 'drill-create-submit').click();
      await expectText(fieldError('drill-name'), 'exists', 'the duplicate name');
      await byTestId(page, 'drill-create-cancel').click();
      await form.waitFor({ state: 'hidden' });
      assert.equal((await admin.get('/drills/scenarios')).items.length, 1);
    });

    await test('run now: the run lists its incident with DRILL, and the incident pages show it', async () => {
      await card.locator('[data-testid="drill-run-now"]').click();
      await expectText(card.locator('[data-testid="drill-run-panel"]'), 'paged', 'what running it does');
      startedMs = Date.parse((await admin.get('/admin/clock')).now);
      await card.locator('[data-testid="drill-run-confirm"]').click();
      const row = page.locator('[data-testid="drill-run-row"][data-status="running"]');
      await row.waitFor();
      run = (await admin.get('/drills/runs')).items[0];
      assert.equal(run.status, 'running');
      const incident = run.incident;
      assert.ok(incident && incident.id, 'the run opened an incident');
      await exactText(row.locator('[data-testid="drill-run-incident"]'), incident.ref, 'the incident link');
      assert.equal(await row.locator('[data-testid="drill-run-incident"]').getAttribute('href'), `/ui/incidents/${incident.id}`);
      await exactText(row.locator('[data-testid="drill-run-incident-drill"]'), 'DRILL', 'the DRILL badge');
      await exactText(row.locator('[data-testid="drill-run-status"]'), 'Running', 'running');
      await expectText(row.locator('[data-testid="drill-run-counts"]'), 'met', 'the result so far');
      await expectText(card.locator('[data-testid="drill-scenario-last-run"]'), 'Running', 'the last run on the scenario');
      assert.equal(await card.locator('[data-testid="drill-run-panel"]').isHidden(), true, 'the confirmation closes');
      // Alice (on call) is paged, marked as a drill.
      const paged = await until(() => receiver.requests.find((r) => r.path === '/alice' && r.text.includes('DRILL')), 'Alice paged with DRILL');
      assert.ok(paged);
      // The incident: classified as the scenario says, DRILL on its page and in the list.
      const inc = await admin.get(`/incidents/${incident.id}`);
      assert.equal(inc.drill, true);
      assert.equal(inc.severity, 'SEV-1');
      await row.locator('[data-testid="drill-run-incident"]').click();
      await page.waitForURL(new RegExp(`/ui/incidents/${incident.id}$`));
      await exactText(byTestId(page, 'detail-drill'), 'DRILL', 'the incident page');
      await screenshot(page, 'drills-A-incident');
      await visit(page, base, '/ui/incidents', `[data-testid="incident-row"][data-incident-id="${incident.id}"]`);
      const listRow = page.locator(`[data-testid="incident-row"][data-incident-id="${incident.id}"]`);
      assert.equal(await listRow.getAttribute('data-drill'), 'yes');
      await exactText(listRow.locator('[data-testid="incident-drill"]'), 'DRILL', 'the incident list');
    });

    await test('the report while the drill runs: IN PROGRESS, met and pending', async () => {
      const iid = run.incident.id;
      await advance(4 * MIN);
      await admin.post(`/incidents/${iid}/acknowledge`, {});
      await advance(1 * MIN);
      await admin.post(`/incidents/${iid}/updates`, { text: 'Rolling back the deploy (drill).', audiences: ['internal'] }, 201);
      await visit(page, base, '/ui/drills', `[data-testid="drill-run-row"][data-run-id="${run.id}"]`);
      await runRow(run.id).locator('[data-testid="drill-run-report"]').click();
      await page.waitForURL(new RegExp(`/ui/drills/runs/${run.id}$`));
      await page.locator('[data-testid="drill-report"][data-loaded="yes"]').waitFor({ state: 'attached' });
      await exactText(byTestId(page, 'drill-report-heading'), `Drill report: ${NAME}`, 'the heading');
      await exactText(byTestId(page, 'drill-report-mark'), 'DRILL', 'the DRILL mark');
      await exactText(byTestId(page, 'drill-result-text'), 'IN PROGRESS', 'in progress');
      assert.equal(await byTestId(page, 'nav-drills').getAttribute('aria-current'), 'page');
      await exactText(byTestId(page, 'drill-report-incident'), run.incident.ref, 'the incident link');
      await exactText(byTestId(page, 'drill-report-incident-drill'), 'DRILL', 'DRILL by the incident');
      await exactText(targetRow('acknowledge').locator('[data-testid="drill-state"]'), 'Met', 'acknowledged');
      await expectText(targetRow('acknowledge'), '4m', 'in 4 minutes');
      await exactText(targetRow('classification').locator('[data-testid="drill-state"]'), 'Met', 'classified SEV-1');
      await exactText(targetRow('time_limit').locator('[data-testid="drill-state"]'), 'Pending', 'the time limit pending');
      await exactText(expectedRow('acknowledge').locator('[data-testid="drill-state"]'), 'Met', 'expected: acknowledge');
      await exactText(expectedRow('post_update').locator('[data-testid="drill-state"]'), 'Met', 'expected: an update');
      await exactText(expectedRow('assign_role:communications_lead').locator('[data-testid="drill-state"]'), 'Pending', 'within 10m: not yet');
      assert.equal(await byTestId(page, 'drill-report-cancel').isVisible(), true, 'a running drill can be stopped');
      await screenshot(page, 'drills-A-report-running');
    });

    await test('past the time limit the report turns FAILED by itself, met and missed rows', async () => {
      // From 14:05 to 15:01: the hour is over; the drill resolves its incident itself.
      await advance(Math.ceil((startedMs + 61 * MIN * 1000 - Date.parse((await admin.get('/admin/clock')).now)) / 1000));
      await page.locator('[data-testid="drill-result"][data-result="failed"]').waitFor();
      await exactText(byTestId(page, 'drill-result-text'), 'FAILED', 'the banner');
      const summary = (await admin.get(`/drills/runs/${run.id}/report`)).summary;
      assert.equal(summary.result, 'failed');
      await exactText(byTestId(page, 'drill-result-counts'), `${summary.met} met · ${summary.missed} missed · 0 pending`, 'the counts');
      const state = (locator) => locator.locator('[data-testid="drill-state"]');
      await exactText(state(targetRow('acknowledge')), 'Met', 'acknowledge met');
      await exactText(state(targetRow('first_update')), 'Met', 'first update met');
      await exactText(state(targetRow('resolve')), 'Missed', 'not resolved by the team');
      await exactText(state(targetRow('time_limit')), 'Missed', 'the time limit missed');
      await exactText(state(expectedRow('acknowledge')), 'Met', 'expected acknowledge met');
      await exactText(state(expectedRow('post_update')), 'Met', 'expected update met');
      await exactText(state(expectedRow('assign_role:communications_lead')), 'Missed', 'no communications lead in 10m');
      await exactText(state(expectedRow('run_action:rollback-checkout')), 'Missed', 'no rollback');
      assert.equal(await targetRow('time_limit').getAttribute('data-state'), 'missed');
      // Green and red, besides the words.
      const color = (locator) => state(locator).evaluate((node) => getComputedStyle(node).color);
      assert.notEqual(await color(expectedRow('acknowledge')), await color(expectedRow('run_action:rollback-checkout')), 'met and missed differ in color');
      await expectText(byTestId(page, 'drill-paging-steps'), 'before acknowledgement', 'the paging facts');
      await expectText(byTestId(page, 'drill-report-status'), 'Finished', 'finished');
      assert.equal(await byTestId(page, 'drill-report-cancel').isHidden(), true, 'nothing to stop');
      // The Markdown version.
      const href = await byTestId(page, 'drill-report-markdown').getAttribute('href');
      assert.equal(href, `/api/v1/drills/runs/${run.id}/report?format=markdown`);
      const md = await page.request.get(`${base}${href}`);
      assert.equal(md.status(), 200);
      const text = await md.text();
      assert.match(text, new RegExp(`^# DRILL report: ${NAME}`));
      assert.match(text, /\| run_action:rollback-checkout \| 20m \| - \| - \| \*\*MISSED\*\* \|/);
      await screenshot(page, 'drills-A-report');
      // The list says so too.
      await byTestId(page, 'drill-report-back').click();
      const row = runRow(run.id);
      await page.locator(`[data-testid="drill-run-row"][data-run-id="${run.id}"][data-status="finished"]`).waitFor();
      await expectText(row.locator('[data-testid="drill-run-outcome"]'), 'time limit reached', 'the outcome');
      await exactText(row.locator('[data-testid="drill-run-result"]'), 'FAILED', 'the result');
      await exactText(row.locator('[data-testid="drill-run-counts"]'), `${summary.met} met · ${summary.missed} missed`, 'the counts');
      assert.equal(await row.locator('[data-testid="drill-run-cancel"]').count(), 0, 'no cancel once finished');
    });

    await test('a run scheduled through the form, then cancelled', async () => {
      await card.locator('[data-testid="drill-schedule"]').click();
      const at = card.locator('[data-testid="drill-schedule-at"]');
      await at.waitFor({ state: 'visible' });
      assert.match(await at.inputValue(), /^2026-11-25T1[67]:00$/, 'the default: the next hour after an hour from the server clock');
      // Tomorrow 10:00 in the browser's (New York) time.
      await at.fill('2026-11-26T10:00');
      await card.locator('[data-testid="drill-schedule-submit"]').click();
      const row = page.locator('[data-testid="drill-run-row"][data-status="scheduled"]');
      await row.waitFor();
      const scheduled = (await admin.get('/drills/runs?status=scheduled')).items[0];
      assert.equal(Date.parse(scheduled.scheduled_at), Date.parse('2026-11-26T10:00:00-05:00'));
      await expectText(row.locator('[data-testid="drill-run-when"]'), 'Scheduled for', 'when');
      await expectText(row, 'No incident', 'no incident yet');
      await screenshot(page, 'drills-A-page');
      await row.locator('[data-testid="drill-run-cancel"]').click();
      await page.locator(`[data-testid="drill-run-row"][data-run-id="${scheduled.id}"][data-status="cancelled"]`).waitFor();
      assert.equal((await admin.get(`/drills/runs/${scheduled.id}`)).status, 'cancelled');
      // The status filter, kept in the URL.
      await byTestId(page, 'drill-runs-status').selectOption('finished');
      await page.waitForURL(/\/ui\/drills\?status=finished$/);
      await page.locator(`[data-testid="drill-run-row"][data-run-id="${scheduled.id}"]`).waitFor({ state: 'detached' });
      await runRow(run.id).waitFor();
      await byTestId(page, 'drill-runs-status').selectOption('');
      await page.locator(`[data-testid="drill-run-row"][data-run-id="${scheduled.id}"]`).waitFor();
    });

    await test('analytics: drills left out, included or alone', async () => {
      const loaded = (qs) => page.locator(`[data-testid="analytics"][data-loaded="${qs}"]`).waitFor({ state: 'attached' });
      await navigate(page, 'analytics', 'an-tiles');
      await loaded('default');
      assert.equal(await byTestId(page, 'an-drills').inputValue(), 'exclude');
      await exactText(byTestId(page, 'tile-incidents-value'), '0', 'no real incidents');
      await expectText(byTestId(page, 'tile-incidents-sub'), 'left out: 1 drill', 'the drill left out');
      await byTestId(page, 'an-drills').selectOption('only');
      await page.waitForURL(/\/ui\/analytics\?drills=only$/);
      await loaded('drills=only');
      await exactText(byTestId(page, 'tile-incidents-value'), '1', 'the drill alone');
      await expectText(byTestId(page, 'an-summary'), /drills only, noise left out/, 'the period line');
      await screenshot(page, 'drills-A-analytics-only');
      await byTestId(page, 'an-drills').selectOption('include');
      await page.waitForURL(/\/ui\/analytics\?include_drills=true$/);
      await loaded('include_drills=true');
      await exactText(byTestId(page, 'tile-incidents-value'), '1', 'the drill with the real ones');
      await expectText(byTestId(page, 'an-summary'), /drills included/, 'the period line');
      // The old link (?include_drills=true) still chooses "include".
      await page.reload({ waitUntil: 'domcontentloaded' });
      await loaded('include_drills=true');
      assert.equal(await byTestId(page, 'an-drills').inputValue(), 'include');
    });

    await test('a viewer reads scenarios, runs and the report without controls', async () => {
      await withPage('viewer', { viewport: DESKTOP }, async (viewer) => {
        await loginAs(viewer, base, VIEWER);
        await visit(viewer, base, '/ui/drills', `[data-testid="drill-run-row"][data-run-id="${run.id}"]`);
        await viewer.locator(`[data-testid="drill-scenario"][data-name="${NAME}"]`).waitFor();
        for (const id of ['drill-new', 'drill-run-now', 'drill-schedule', 'drill-delete', 'drill-run-cancel']) {
          assert.equal(await byTestId(viewer, id).count(), 0, `no ${id}`);
        }
        await visit(viewer, base, `/ui/drills/runs/${run.id}`, '[data-testid="drill-result"][data-result="failed"]');
        assert.equal(await byTestId(viewer, 'drill-report-cancel').count(), 0, 'no stop');
        await byTestId(viewer, 'drill-expected-row').first().waitFor();
      });
    });

    await test('the pages fit a 360 px phone', async () => {
      await withPage('phone', { viewport: PHONE }, async (phone) => {
        await login(phone, base);
        await visit(phone, base, '/ui/drills', `[data-testid="drill-run-row"][data-run-id="${run.id}"]`);
        await assertNoHorizontalScroll(phone, 'the Drills page on a phone');
        await screenshot(phone, 'drills-phone-page');
        await visit(phone, base, `/ui/drills/runs/${run.id}`, '[data-testid="drill-result"][data-result="failed"]');
        await assertNoHorizontalScroll(phone, 'the report on a phone');
        await screenshot(phone, 'drills-phone-report');
      });
    });

    await noProblemsTest('no script errors, CSP violations or dialogs');
  },
);
