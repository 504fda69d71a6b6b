// Browser test of the incident page's update composer (issue 6 point 9) and war room link
// against the real server.
//
//   KLAXON_BIN=build/klaxon KLAXON_TEST_OUTPUT=build/test-output node composer.test.mjs
//
// Starts `klaxon serve` on a manual clock at Wednesday 2026-11-25 14:00 New York time
// (KLAXON_CLOCK / KLAXON_CLOCK_START, as playbook.test.mjs) and a local webhook receiver,
// applies examples/sev-levels, gives Alice (the commander, from the payments-primary
// rotation) a webhook contact method pointing at the receiver, and opens a SEV-0 through an
// Alertmanager alert. The console then shows the countdown, drafts an internal chat update
// from the playbook's template with the incident's facts (war room, commander, next update
// time) in a plain-text preview, keeps the user's edits when the audience changes or a new
// draft is asked for, publishes it (the receiver gets it, the countdown starts again) and
// publishes to the status page (the public /api/v2/incidents.json lists it). Also the war
// room link (refused when not http(s)) and a 360 px phone. Prints "N passed, M failed"
// last; exits non-zero on any failure.
import assert from 'node:assert/strict';

import {
  DESKTOP,
  HOSTILE_IMG,
  PHONE,
  WebhookReceiver,
  assertNoHorizontalScroll,
  assertNoInjectedImage,
  assertNoReload,
  byTestId,
  exactText,
  exampleFiles,
  expectText,
  login,
  markNoReload,
  runSuite,
  screenshot,
  sleep,
  until,
  visit,
  openCheckoutDown,
} from './harness.mjs';

const TOTAL_TIMEOUT_MS = 240_000; // the whole run (ctest allows 300 s)
const START = '2026-11-25T14:00:00-05:00';
const TIME_ZONE = 'America/New_York'; // the browser's, so times read as the playbook's
const WAR_ROOM = '#inc-2026-11-25-checkout-is-down';
const WAR_ROOM_LINK = 'https://chat.acme.example/channels/inc-2026-11-25-checkout-is-down';
const EDIT = 'Rolled back deploy 4411 (composer test); the error rate is falling.';
const PUBLIC_NAME = 'Checkout is failing for some customers';
const PUBLIC_TEXT = 'We are investigating failed checkouts. A fix is rolling out.';

process.env.KLAXON_CLOCK = 'manual';
process.env.KLAXON_CLOCK_START = START;
delete process.env.ROLLBACK_TOKEN;
delete process.env.FLAGS_API_KEY;


const receiver = new WebhookReceiver(200);

await runSuite(
  { serverName: 'composer', totalTimeoutMs: TOTAL_TIMEOUT_MS, helpers: [receiver], contextDefaults: { timezoneId: TIME_ZONE } },
  async ({ base, admin, test, launchBrowser, openPage, withPage, noProblemsTest }) => {
    let incident = null;
    const advance = (seconds) => admin.post('/admin/clock/advance', { seconds });
    const playbookOf = async () => (await admin.get(`/incidents/${incident.id}`)).playbook;

    await test('setup: the example playbook, Alice reachable by webhook, a SEV-0 from an alert', async () => {
      await admin.post('/apply', { files: exampleFiles('examples/sev-levels') });
      // Alice is the commander (payments-primary): her notices go to the receiver at once.
      // Her Slack hook is on a made-up host; without it nothing else is tried first.
      const profile = await admin.get('/users/alice');
      for (const m of profile.contact_methods.filter((m) => m.kind === 'slack')) await admin.delete(`/users/alice/contact-methods/${m.id}`);
      const hook = await admin.post('/users/alice/contact-methods', { kind: 'webhook', address: receiver.url('/alice'), label: 'test receiver' }, 201);
      await admin.post('/users/alice/notification-rules', { contact_method: hook.id, delay_minutes: 0 }, 201);

      assert.equal((await admin.get('/admin/clock')).mode, 'manual');
      incident = await openCheckoutDown(admin, base);
      assert.equal(incident.severity, 'SEV-0');
      const pb = await playbookOf();
      assert.equal(pb.war_room, WAR_ROOM);
      assert.equal(pb.updates.count, 0);
    });

    await launchBrowser();
    const page = await openPage('A', { viewport: DESKTOP });
    const countdown = byTestId(page, 'update-countdown');
    const text = byTestId(page, 'update-text');
    const previewBody = byTestId(page, 'update-preview-body');

    await test('the composer shows the countdown and drafts from the template with the incident\'s facts', async () => {
      assert.ok(incident, 'an incident was opened');
      await login(page, base);
      await visit(page, base, `/ui/incidents/${incident.id}`, '[data-testid="update-form"]');
      await markNoReload(page);
      await exactText(countdown, 'Next update due in 15:00', 'the countdown at 14:00');
      await advance(600);
      await exactText(countdown, /^Next update due in (4:59|5:00|5:01)$/, 'the countdown at 14:10');
      await page.locator('[data-testid="update-countdown"][data-state="due_soon"]').waitFor();
      // Nothing drafted yet: the kind is the one the server would choose.
      assert.equal(await byTestId(page, 'update-kind').inputValue(), 'initial', 'no update yet: an initial one');
      await expectText(previewBody, 'Nothing to publish yet', 'an empty preview');

      await byTestId(page, 'update-internal-chat').check();
      await byTestId(page, 'update-draft').click();
      await expectText(previewBody, `War room: ${WAR_ROOM}`, 'the war room in the preview');
      await expectText(previewBody, 'Commander: Alice Adams', 'the commander in the preview');
      // 14:10 New York + 15 minutes, as the template renders it (UTC).
      await expectText(previewBody, 'Next update by 2026-11-25 19:25 UTC', 'the next update time');
      await expectText(byTestId(page, 'update-template'), 'the template initial-chat', 'which template');
      assert.equal(await byTestId(page, 'update-kind').inputValue(), 'initial', 'the kind the server chose');
      const draft = await text.inputValue();
      assert.match(draft, /^:rotating_light: \*SEV-0\* INC-\d+: Checkout is down\n/, 'the text box holds the draft');
      // Plain text with its line breaks kept.
      const shown = await previewBody.evaluate((node) => ({ text: node.textContent, ws: getComputedStyle(node).whiteSpace, children: node.children.length }));
      assert.equal(shown.text, draft, 'the preview shows the draft as it is');
      assert.equal(shown.children, 0, 'the preview is text, not markup');
      assert.equal(shown.ws, 'pre-wrap', 'line breaks are kept');
      await expectText(byTestId(page, 'update-preview-note'), /Drafted from the template initial-chat \(initial, internal chat\)\.$/, 'the preview says where it came from');
      await screenshot(page, 'composer-A-drafted');
    });

    await test('edits survive a new audience and a new draft is only made when asked', async () => {
      await text.fill(`${await text.inputValue()}\n${EDIT}\n${HOSTILE_IMG}`);
      await expectText(previewBody, EDIT, 'the preview follows the edit');
      await expectText(byTestId(page, 'update-preview-note'), 'then edited', 'the preview says it was edited');
      await assertNoInjectedImage(page, 'markup typed into the update');
      const edited = await text.inputValue();
      // A new audience drafts again only over untouched text.
      await byTestId(page, 'update-stakeholders').check();
      await sleep(1000);
      assert.equal(await text.inputValue(), edited, 'ticking an audience keeps the edited text');
      await byTestId(page, 'update-stakeholders').uncheck();
      // Draft asks first; keeping the text changes nothing.
      await byTestId(page, 'update-draft').click();
      await byTestId(page, 'update-redraft-confirm').waitFor();
      await byTestId(page, 'update-redraft-no').click();
      await byTestId(page, 'update-redraft-confirm').waitFor({ state: 'hidden' });
      await sleep(500);
      assert.equal(await text.inputValue(), edited, 'keeping my text keeps it');
    });

    await test('publishing to internal chat reaches the receiver and restarts the countdown', async () => {
      const before = receiver.requests.length;
      await byTestId(page, 'update-submit').click();
      await exactText(countdown, 'Next update due in 15:00', 'the countdown after publishing at 14:10');
      await page.locator('[data-testid="update-countdown"][data-state="ok"]').waitFor();
      await expectText(byTestId(page, 'update-meta'), /1 posted · last .*14:10 · next by .*14:25/, 'the next update is due at 14:25');
      await expectText(byTestId(page, 'update-result'), /Update #1 published to: timeline, internal chat\./, 'what went where');
      assert.equal(await text.inputValue(), '', 'the composer is cleared');
      assert.equal(await byTestId(page, 'update-internal-chat').isChecked(), false, 'the audiences are cleared');
      await expectText(byTestId(page, 'timeline-entry'), /posted update #1 \(also to internal chat\)/, 'the update on the timeline');
      const got = await until(() => receiver.requests.slice(before).find((r) => r.text.includes(EDIT)), 'the receiver got the update', 20_000);
      assert.equal(got.path, '/alice', 'sent to Alice, the commander');
      assert.ok(got.text.includes('Commander: Alice Adams'), 'with the drafted facts');
      const pb = await playbookOf();
      assert.equal(pb.updates.count, 1);
      assert.equal(Date.parse(pb.updates.next_due_at), Date.parse('2026-11-25T14:25:00-05:00'), 'the server has the next update at 14:25');
      await assertNoInjectedImage(page, 'the published update on the timeline');
    });

    await test('publishing to the status page: a public incident lists the update', async () => {
      await advance(120);
      await exactText(countdown, /^Next update due in (12:59|13:00|13:01)$/, 'the countdown at 14:12');
      assert.equal(await byTestId(page, 'update-kind').inputValue(), 'update', 'after update #1: an update');
      // Ticking an audience drafts for it by itself (the text is untouched).
      await byTestId(page, 'update-status-page').check();
      await until(async () => /status page/.test((await byTestId(page, 'update-template').textContent()) || ''), 'a draft for the status page');
      assert.notEqual(await text.inputValue(), '', 'the draft is in the text box');
      await expectText(byTestId(page, 'update-preview-note'), /\(update, status page\)/, 'an update for the status page');
      await byTestId(page, 'update-subject').fill(PUBLIC_NAME);
      await text.fill(PUBLIC_TEXT);
      await exactText(byTestId(page, 'update-preview-subject'), PUBLIC_NAME, 'the subject in the preview');
      await byTestId(page, 'update-submit').click();
      await expectText(byTestId(page, 'update-result'), /Update #2 published to: timeline, status page\. The status page shows it/, 'what went where');
      await exactText(countdown, 'Next update due in 15:00', 'the countdown after publishing at 14:12');
      await expectText(byTestId(page, 'update-meta'), /2 posted · last .*14:12 · next by .*14:27/, 'the next update is due at 14:27');
      const listed = await until(async () => {
        const res = await fetch(`${base}/api/v2/incidents.json`, { signal: AbortSignal.timeout(10_000) });
        if (res.status !== 200) return null;
        return (await res.json()).incidents.find((i) => i.name === PUBLIC_NAME);
      }, 'the public incidents.json lists it');
      assert.equal(listed.status, 'investigating');
      assert.deepEqual(
        listed.incident_updates.map((u) => u.body),
        [PUBLIC_TEXT],
        'the public update is the published text',
      );
      assert.ok(!JSON.stringify(listed).includes(EDIT), 'the internal update is not public');
      await screenshot(page, 'composer-A-published');
    });

    await test('the war room link: refused unless http(s), then a link that opens apart', async () => {
      await exactText(byTestId(page, 'pb-war-room'), WAR_ROOM, 'the war room');
      assert.equal(await byTestId(page, 'pb-war-room-link').isVisible(), false, 'no link yet');
      await byTestId(page, 'war-room-link-input').fill('javascript:alert(1)');
      await byTestId(page, 'war-room-link-save').click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      await page.locator('[data-testid="war-room-link-input"][aria-invalid="true"]').waitFor();
      await expectText(page.locator('[data-testid="field-error"][data-for="war-room-link-input"]'), 'http(s)', 'the field says why');
      assert.equal(await byTestId(page, 'pb-war-room-link').isVisible(), false, 'still no link');

      await byTestId(page, 'war-room-link-input').fill(WAR_ROOM_LINK);
      await byTestId(page, 'war-room-link-save').click();
      const link = byTestId(page, 'pb-war-room-link');
      await link.waitFor();
      assert.equal(await link.getAttribute('href'), WAR_ROOM_LINK);
      assert.equal(await link.getAttribute('target'), '_blank');
      assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
      assert.equal(await alert.isVisible(), false, 'the error is cleared');
      assert.equal((await playbookOf()).war_room_link, WAR_ROOM_LINK, 'the server has the link');
      await exactText(byTestId(page, 'pb-war-room'), WAR_ROOM, 'the name stays');
      await expectText(byTestId(page, 'timeline-entry'), /linked the war room/, 'the link on the timeline');
      await assertNoReload(page, 'the whole run');
      await screenshot(page, 'composer-A-done');
    });

    await test('the composer fits a 360 px phone', async () => {
      await withPage('phone', { viewport: PHONE }, async (phone) => {
        await login(phone, base);
        await visit(phone, base, `/ui/incidents/${incident.id}`, '[data-testid="update-form"]');
        await exactText(byTestId(phone, 'update-countdown'), 'Next update due in 15:00', 'the countdown on the phone');
        await byTestId(phone, 'update-internal-chat').check();
        // After two updates: the built-in "update" template for internal chat.
        await expectText(byTestId(phone, 'update-preview-body'), 'Severity: SEV-0.', 'a draft on the phone');
        await byTestId(phone, 'pb-war-room-link').waitFor();
        await assertNoHorizontalScroll(phone, 'incident page with a draft on a phone');
        await byTestId(phone, 'update-form').scrollIntoViewIfNeeded();
        await screenshot(phone, 'composer-phone');
      });
    });

    await noProblemsTest('no script errors, CSP violations or dialogs');
  },
);
