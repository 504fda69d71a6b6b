// Browser test of the incident page's playbook (issue 6) against the real server.
//
//   KLAXON_BIN=build/klaxon KLAXON_TEST_OUTPUT=build/test-output node playbook.test.mjs
//
// Starts `klaxon serve` on a manual clock at Wednesday 2026-11-25 14:00 New York time
// (through KLAXON_CLOCK and KLAXON_CLOCK_START: the harness passes no server flags),
// applies examples/sev-levels, and opens a SEV-0 the way production does: an Alertmanager
// alert CheckoutDown on checkout, classified by the rule "checkout down", which also
// picks the runbook checkout-errors. One console (admin, in New York time) then checks the
// level, the targets, the update countdown (which follows the server's clock, not the
// browser's), roles, key moments, the runbook checklist, an action behind its confirmation
// and typed timeline entries; the clock is moved through the API and the page must follow
// without a reload. Prints "N passed, M failed" last; exits non-zero on any failure.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  DESKTOP,
  PHONE,
  assertNoHorizontalScroll,
  assertNoReload,
  byTestId,
  exactText,
  expectText,
  login,
  markNoReload,
  runSuite,
  screenshot,
  sleep,
  until,
  visit,
  openCheckoutDown,
  exampleFiles,
} from './harness.mjs';

const TOTAL_TIMEOUT_MS = 240_000; // the whole run (ctest allows 300 s)
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLE = 'examples/sev-levels';
const START = '2026-11-25T14:00:00-05:00';
const TIME_ZONE = 'America/New_York'; // the browser's, so times read as the playbook's

process.env.KLAXON_CLOCK = 'manual';
process.env.KLAXON_CLOCK_START = START;
// The example's actions read their secrets from the server's environment: unset, a run
// fails at once with a clear error instead of calling deploy.acme.example.
delete process.env.ROLLBACK_TOKEN;
delete process.env.FLAGS_API_KEY;



await runSuite(
  { serverName: 'playbook', totalTimeoutMs: TOTAL_TIMEOUT_MS, contextDefaults: { timezoneId: TIME_ZONE } },
  async ({ base, admin, test, launchBrowser, openPage, withPage, noProblemsTest }) => {
    let incident = null;
    const advance = (seconds) => admin.post('/admin/clock/advance', { seconds });
    const timeline = async () => (await admin.get(`/incidents/${incident.id}`)).timeline || [];

    await test('the example playbook applies; an Alertmanager alert opens a SEV-0 on checkout', async () => {
      await admin.post('/apply', { files: exampleFiles(EXAMPLE) });
      const clock = await admin.get('/admin/clock');
      assert.equal(clock.mode, 'manual');
      assert.equal(Date.parse(clock.now), Date.parse(START), 'the clock starts at --clock-start');
      incident = await openCheckoutDown(admin, base);
      assert.equal(incident.severity, 'SEV-0');
      assert.equal(incident.classified_by, 'checkout down');
    });

    await launchBrowser();
    const page = await openPage('A', { viewport: DESKTOP });
    const countdown = byTestId(page, 'update-countdown');
    const ack = byTestId(page, 'target-ack');
    const countdownColour = () => countdown.evaluate((node) => getComputedStyle(node).backgroundColor);
    let okColour = null;

    await test('the incident page shows the level, its classification, targets and the countdown', async () => {
      assert.ok(incident, 'an incident was opened');
      await login(page, base);
      await visit(page, base, `/ui/incidents/${incident.id}`, '[data-testid="playbook-panel"]');
      await markNoReload(page);
      await exactText(byTestId(page, 'pb-severity'), 'SEV-0', 'the level');
      await exactText(byTestId(page, 'pb-severity-description'), 'Critical. The shop is down or losing money for most customers.', 'its description');
      await expectText(byTestId(page, 'pb-severity-examples'), 'Checkout fails for everyone', 'its examples');
      await expectText(byTestId(page, 'pb-classified'), "Classified by rule 'checkout down'", 'the classification');
      // The severity control offers the scheme's levels and says what the chosen one means.
      const levels = await byTestId(page, 'severity-select').locator('option').evaluateAll((opts) => opts.map((o) => o.value));
      assert.deepEqual(levels, ['SEV-0', 'SEV-1', 'SEV-2', 'SEV-3'], 'the severity select lists the playbook levels');
      await byTestId(page, 'severity-select').selectOption('SEV-2');
      await expectText(byTestId(page, 'severity-hint'), 'Minor.', 'the hint describes the chosen level');

      await page.locator('[data-testid="target-ack"][data-state="pending"]').waitFor();
      await exactText(ack.locator('[data-testid="target-badge"]'), 'Ack pending', 'the ack badge');
      await expectText(ack, /due .*14:15 \(within 15m\)/, 'the ack due time');
      await expectText(byTestId(page, 'target-resolve'), /due .*18:00 \(within 4h\)/, 'the resolve due time');
      await exactText(countdown, 'Next update due in 15:00', 'the countdown at 14:00');
      assert.equal(await countdown.getAttribute('data-state'), 'ok');
      okColour = await countdownColour();
      await exactText(byTestId(page, 'pb-war-room'), '#inc-2026-11-25-checkout-is-down', 'the war room');
      // The commander came from the payments-primary rotation.
      const commander = page.locator('[data-testid="role-item"][data-role="commander"]');
      await exactText(commander.locator('[data-testid="role-item-user"]'), 'Alice Adams', 'the commander');
      await exactText(byTestId(page, 'roles-unfilled'), 'Unfilled: communications lead, scribe, technical lead', 'unfilled roles');
      await screenshot(page, 'playbook-A-declared');
    });

    await test('the countdown follows the server clock: amber 5 minutes before, reset by an update', async () => {
      await advance(600);
      await exactText(countdown, /^Next update due in (4:59|5:00|5:01)$/, 'the countdown at 14:10');
      await page.locator('[data-testid="update-countdown"][data-state="due_soon"]').waitFor();
      assert.notEqual(await countdownColour(), okColour, 'due soon looks different (amber)');
      // A manual clock stands still, and so does the countdown.
      await sleep(1500);
      assert.match(await countdown.textContent(), /due in (4:59|5:00|5:01)$/, 'still 5:00 on a stopped clock');
      await expectText(byTestId(page, 'timeline-entry'), /Update #1 is due soon/, 'the reminder on the timeline');

      await byTestId(page, 'update-text').fill('Rolled back deploy 4411; the error rate is falling.');
      await byTestId(page, 'update-stakeholders').check();
      await expectText(byTestId(page, 'update-form'), 'team:leadership', 'the level\'s stakeholders are named');
      await byTestId(page, 'update-submit').click();
      await exactText(countdown, 'Next update due in 15:00', 'the countdown after the update');
      await page.locator('[data-testid="update-countdown"][data-state="ok"]').waitFor();
      await expectText(byTestId(page, 'update-meta'), '1 posted', 'the update count');
      await expectText(byTestId(page, 'timeline-entry'), /posted update #1 \(also to stakeholders\)/, 'the update on the timeline');
      // Cleared when the POST is answered; the timeline entry may come live before that.
      await until(async () => (await byTestId(page, 'update-text').inputValue()) === '', 'the update box is cleared');
      const pb = (await admin.get(`/incidents/${incident.id}`)).playbook;
      assert.equal(pb.updates.count, 1, 'the server counted the update');
      await assertNoReload(page, 'after the update');
    });

    await test('the ack target is missed at 14:15 and the page shows it without a reload', async () => {
      await exactText(ack.locator('[data-testid="target-badge"]'), 'Ack pending', 'pending at 14:10');
      await advance(300);
      await page.locator('[data-testid="target-ack"][data-state="missed"]').waitFor();
      await exactText(ack.locator('[data-testid="target-badge"]'), 'Ack target missed', 'the ack badge at 14:15');
      const colour = await ack.locator('[data-testid="target-badge"]').evaluate((node) => getComputedStyle(node).color);
      const pendingColour = await byTestId(page, 'target-resolve').locator('[data-testid="target-badge"]').evaluate((node) => getComputedStyle(node).color);
      assert.notEqual(colour, pendingColour, 'a missed target is red, not like a pending one');
      await exactText(countdown, /^Next update due in (9:59|10:00|10:01)$/, 'the countdown at 14:15');
      await expectText(byTestId(page, 'timeline-entry'), /Acknowledgement target missed/, 'the miss on the timeline');
      await assertNoReload(page, 'after the clock moved');
    });

    await test('an update not posted in time turns the countdown red: "Update late by 1:05"', async () => {
      await advance(665);
      await exactText(countdown, /^Update late by (1:04|1:05|1:06)$/, 'the countdown at 14:26:05');
      await page.locator('[data-testid="update-countdown"][data-state="late"]').waitFor();
      assert.notEqual(await countdownColour(), okColour, 'late looks different (red)');
      await screenshot(page, 'playbook-A-late');
    });

    await test('roles: a refused holder shows the API error; carol fills communications_lead', async () => {
      const comms = page.locator('[data-testid="role-item"][data-role="communications_lead"]');
      await comms.locator('[data-testid="role-assign-select"] option[value="carol"]').waitFor({ state: 'attached' });
      await comms.locator('[data-testid="role-assign-select"]').selectOption('bob');
      await comms.locator('[data-testid="role-assign"]').click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      await expectText(alert, /may not hold/, 'the 422 explains who may');
      await comms.locator('[data-testid="role-assign-select"][aria-invalid="true"]').waitFor();

      await comms.locator('[data-testid="role-assign-select"]').selectOption('carol');
      await comms.locator('[data-testid="role-assign"]').click();
      await exactText(comms.locator('[data-testid="role-item-user"]'), 'Carol Chen', 'the communications lead');
      assert.equal(await comms.getAttribute('data-filled'), 'yes');
      await exactText(byTestId(page, 'roles-unfilled'), 'Unfilled: scribe, technical lead', 'no longer unfilled');
      assert.equal(await alert.isVisible(), false, 'the error is cleared');
      const pb = (await admin.get(`/incidents/${incident.id}`)).playbook;
      assert.deepEqual(pb.unfilled_roles, ['scribe', 'technical_lead']);
    });

    await test('key moments: marking mitigation started shows its time', async () => {
      const moment = page.locator('[data-testid="moment"][data-moment="mitigation_started"]');
      assert.equal(await moment.getAttribute('data-marked'), 'no');
      await exactText(moment.locator('[data-testid="moment-time"]'), 'Not yet', 'not marked yet');
      await exactText(page.locator('[data-testid="moment"][data-moment="detected"] [data-testid="moment-time"]'), /14:00$/, 'detected at 14:00');
      await byTestId(page, 'moment-note').fill('rollback started');
      await byTestId(page, 'mark-mitigation_started').click();
      await page.locator('[data-testid="moment"][data-moment="mitigation_started"][data-marked="yes"]').waitFor();
      await exactText(moment.locator('[data-testid="moment-time"]'), /14:26$/, 'marked at 14:26 (server time)');
      await expectText(moment, 'rollback started', 'the note');
      await expectText(byTestId(page, 'timeline-entry'), /marked mitigation started/, 'the moment on the timeline');
    });

    await test('the runbook: its sections, a checklist step ticked', async () => {
      await exactText(byTestId(page, 'runbook-title'), 'Runbook: Checkout error rate high', 'the runbook');
      await expectText(byTestId(page, 'runbook-meta'), /RTO 30m · 0 of 4 steps done/, 'RTO and progress');
      await expectText(byTestId(page, 'runbook-symptoms'), 'Something went wrong', 'the symptoms');
      assert.equal(await byTestId(page, 'runbook-diagnosis').locator('ol > li').count(), 2, 'the diagnosis list is HTML');
      assert.equal(await byTestId(page, 'runbook-diagnosis').locator('code').count(), 1, 'with its code span');
      const steps = byTestId(page, 'runbook-step');
      assert.equal(await steps.count(), 4);
      await steps.nth(0).locator('[data-testid="runbook-step-check"]').check();
      await expectText(byTestId(page, 'runbook-meta'), '1 of 4 steps done', 'progress after ticking');
      assert.equal(await steps.nth(0).getAttribute('data-done'), 'yes');
      await expectText(steps.nth(0), /Ticked by \S+/, 'who ticked it');
      await expectText(byTestId(page, 'timeline-entry'), /ticked runbook step 1/, 'the tick on the timeline');
      const rb = (await admin.get(`/incidents/${incident.id}`)).playbook.runbook;
      assert.deepEqual(rb.progress, { done: 1, total: 4 });
      assert.equal(rb.steps[0].done, true);
    });

    await test('an action runs only after an in-page confirmation; cancel runs nothing', async () => {
      const run = page.locator('[data-testid="runbook-action"][data-action="rollback-checkout"]');
      await exactText(run, 'Run rollback-checkout', 'the step\'s action button');
      await run.click();
      const box = byTestId(page, 'action-confirm');
      await box.waitFor();
      await expectText(byTestId(page, 'action-confirm-text'), /Run the action rollback-checkout now/, 'the question');
      await byTestId(page, 'action-confirm-no').click();
      await box.waitFor({ state: 'hidden' });
      await sleep(1000);
      assert.equal((await timeline()).filter((e) => e.kind === 'incident.action_run').length, 0, 'cancel ran nothing');

      await run.click();
      await box.waitFor();
      await byTestId(page, 'action-confirm-yes').click();
      const result = page.locator('[data-testid="action-result"][data-state="failed"]');
      await result.waitFor();
      await expectText(result.locator('[data-testid="action-error"]'), 'environment variable ROLLBACK_TOKEN is not set', 'the error');
      await expectText(result, 'rollback-checkout failed', 'the result line');
      const runs = (await timeline()).filter((e) => e.kind === 'incident.action_run');
      assert.equal(runs.length, 1, 'one run after the confirmation');
      assert.equal(runs[0].data.ok, false);
      await expectText(byTestId(page, 'timeline-entry'), /ran the action rollback-checkout: failed/, 'the run on the timeline');
    });

    await test('timeline entries have a type: a decision shows its badge', async () => {
      await byTestId(page, 'note-type').selectOption('decision');
      await byTestId(page, 'note-text').fill('Roll back rather than fix forward');
      await byTestId(page, 'note-submit').click();
      const entry = byTestId(page, 'timeline-entry').filter({ hasText: 'Roll back rather than fix forward' });
      await exactText(entry.locator('[data-testid="timeline-type"]'), 'Decision', 'the badge');
      assert.equal(await byTestId(page, 'note-type').inputValue(), 'note', 'the type goes back to note');
      const notes = (await timeline()).filter((e) => e.kind === 'incident.note_added');
      assert.equal(notes.at(-1).data.type, 'decision');
      await assertNoReload(page, 'the whole run');
      await screenshot(page, 'playbook-A-done');
    });

    await test('the playbook panels fit a 360 px phone', async () => {
      await withPage('phone', { viewport: PHONE }, async (phone) => {
        await login(phone, base);
        await visit(phone, base, `/ui/incidents/${incident.id}`, '[data-testid="runbook-panel"]');
        await exactText(byTestId(phone, 'update-countdown'), /^Update late by/, 'the countdown on the phone');
        await assertNoHorizontalScroll(phone, 'incident page on a phone');
        await screenshot(phone, 'playbook-phone');
      });
    });

    await noProblemsTest('no script errors, CSP violations or dialogs');
  },
);
