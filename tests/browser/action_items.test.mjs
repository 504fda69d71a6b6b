// Browser test of action items and noise marks in the console against the real server.
//
//   KLAXON_BIN=build/klaxon KLAXON_TEST_OUTPUT=build/test-output node action_items.test.mjs
//
// Starts `klaxon serve` on a manual clock at Wednesday 2026-11-25 14:00 New York time
// (KLAXON_CLOCK / KLAXON_CLOCK_START, as reviews.test.mjs). The admin declares an incident
// in the console and adds an action item through the incident page's form (owner, priority,
// due date, tracker link), sees it in the panel (markup in its title stays text), gets the
// field error of a bad tracker link next to the form, changes the status and edits the
// item (a stale edit is a 409 that keeps the typed change), and adds a follow-up from the
// review page (source "review"). The Action items page lists it under Mine and All active,
// filters by service and keeps the filter in the URL, moves it to Overdue once the manual
// clock passes the due date (the word "overdue", not color alone), and marks an item done.
// The incident is marked noise with a reason (badge, timeline, list) and unmarked; a
// drill shows DRILL (the API's drill flag, injected into the answer: nothing declares
// drills yet). A viewer reads without controls. Also a 360 px phone. Prints
// "N passed, M failed" last; exits non-zero on any failure.
import assert from 'node:assert/strict';

import {
  DESKTOP,
  HOSTILE_IMG,
  PHONE,
  VIEWER,
  assertNoHorizontalScroll,
  assertNoInjectedImage,
  byTestId,
  createServicesAndPeople,
  exactText,
  expectText,
  login,
  loginAs,
  navigate,
  runSuite,
  screenshot,
  screenshotElement,
  visit,
} from './harness.mjs';

const TOTAL_TIMEOUT_MS = 280_000; // the whole run (ctest allows 300 s)
const START = '2026-11-25T14:00:00-05:00';
const TIME_ZONE = 'America/New_York';
const TITLE = 'Canary every payment client upgrade';
const DUE = '2026-11-25'; // today: the end of that day UTC, 18:59 in New York
const TRACKER = 'https://tracker.example.com/browse/PAY-42';
const NOISE_REASON = 'Synthetic check misfired during the deploy';

process.env.KLAXON_CLOCK = 'manual';
process.env.KLAXON_CLOCK_START = START;

await runSuite(
  { serverName: 'action_items', totalTimeoutMs: TOTAL_TIMEOUT_MS, contextDefaults: { timezoneId: TIME_ZONE } },
  async ({ base, admin, test, launchBrowser, openPage, withPage, noProblemsTest }) => {
    let incidentId = null;
    const itemsApi = async () => (await admin.get(`/incidents/${incidentId}/action-items`)).items;
    const itemApi = async (ref) => (await itemsApi()).find((i) => i.ref === ref);

    await createServicesAndPeople(admin);
    await launchBrowser();
    const page = await openPage('A', { viewport: DESKTOP });
    const panel = byTestId(page, 'ai-panel');
    const panelItem = (ref) => panel.locator(`[data-testid="ai-item"][data-ref="${ref}"]`);
    const addForm = panel.locator('[data-testid="ai-add-form"]');

    await test('declare an incident; its page has an empty Action items panel', async () => {
      await login(page, base);
      await navigate(page, 'declare', 'declare-form');
      await byTestId(page, 'declare-submit').waitFor({ state: 'visible' });
      await page.waitForFunction(() => document.querySelectorAll('#declare-service option').length > 1);
      await byTestId(page, 'declare-title').fill('Checkout latency after the deploy');
      await byTestId(page, 'declare-service').selectOption({ label: 'checkout' });
      await byTestId(page, 'declare-submit').click();
      await page.waitForURL(/\/ui\/incidents\/\d+$/);
      incidentId = Number(/\/ui\/incidents\/(\d+)$/.exec(page.url())[1]);
      await panel.waitFor();
      await page.locator('[data-testid="ai-panel"][data-loaded="yes"]').waitFor();
      await byTestId(page, 'ai-empty').waitFor();
      assert.equal(await addForm.count(), 1, 'a responder gets the add form');
      // The owner select lists the active people (and Nobody).
      await page.waitForFunction(() => document.querySelectorAll('#ai-new-owner option').length >= 4);
      const owners = await addForm.locator('[data-testid="ai-owner-input"] option').allTextContents();
      assert.equal(owners[0], 'Nobody');
      assert.ok(owners.some((o) => o.includes('Rita Responder')), `owners: ${owners}`);
    });

    await test('add an item with owner, priority, due date and tracker link through the form', async () => {
      await addForm.locator('[data-testid="ai-title-input"]').fill(`${TITLE} ${HOSTILE_IMG}`);
      await addForm.locator('[data-testid="ai-owner-input"]').selectOption('admin');
      await addForm.locator('[data-testid="ai-priority-input"]').selectOption('high');
      await addForm.locator('[data-testid="ai-due-input"]').fill(DUE);
      await addForm.locator('[data-testid="ai-tracker-input"]').fill(TRACKER);
      await addForm.locator('[data-testid="ai-add-submit"]').click();
      const item = panelItem('AI-1');
      await item.waitFor();
      await expectText(item.locator('[data-testid="ai-title"]'), TITLE, 'the title');
      await exactText(item.locator('[data-testid="ai-owner"]'), 'Owner: Administrator', 'the owner');
      await exactText(item.locator('[data-testid="ai-priority"]'), 'High', 'the priority');
      await exactText(item.locator('[data-testid="ai-status"]'), 'Open', 'the status badge');
      await expectText(item.locator('[data-testid="ai-due"]'), /Wed, Nov 25/, 'the due date (the day given)');
      assert.equal(await item.locator('[data-testid="ai-overdue"]').count(), 0, 'not overdue yet');
      const link = item.locator('[data-testid="ai-tracker"]');
      assert.equal(await link.getAttribute('href'), TRACKER);
      assert.equal(await link.getAttribute('target'), '_blank');
      assert.match(await link.getAttribute('rel'), /noopener/);
      await assertNoInjectedImage(page, 'the action item title');
      assert.equal(await addForm.locator('[data-testid="ai-title-input"]').inputValue(), '', 'the form is cleared');
      await exactText(byTestId(page, 'ai-count'), '(1 open of 1)', 'the count');

      const saved = await itemApi('AI-1');
      assert.equal(saved.owner.username, 'admin');
      assert.equal(saved.priority, 'high');
      assert.equal(saved.due_at, '2026-11-25T23:59:59.999Z');
      assert.equal(saved.tracker_url, TRACKER);
      assert.equal(saved.source, 'incident');
      assert.equal(saved.service, 'checkout');
      await expectText(byTestId(page, 'timeline-entry'), /added action item AI-1 for Administrator/, 'the timeline says so');
      await screenshot(page, 'action-items-A-incident-panel');
    });

    await test('a bad tracker link shows the API field error next to the form', async () => {
      await addForm.locator('[data-testid="ai-title-input"]').fill('Page the payments team on checkout errors');
      await addForm.locator('[data-testid="ai-owner-input"]').selectOption('rita');
      await addForm.locator('[data-testid="ai-tracker-input"]').fill('ftp://files.example.com/PAY-43');
      await addForm.locator('[data-testid="ai-add-submit"]').click();
      await page.locator('#ai-new-tracker[aria-invalid="true"]').waitFor();
      await expectText(addForm.locator('[data-testid="field-error"][data-for="ai-new-tracker"]'), /http:\/\/ or https:\/\//, 'the message beside the field');
      await expectText(addForm.locator('[data-testid="ai-add-error"]'), /Invalid argument/, 'the form says what failed');
      assert.equal(await addForm.locator('[data-testid="ai-add-error"]').getAttribute('aria-live'), 'assertive', 'read out');
      assert.equal((await itemsApi()).length, 1, 'nothing was created');
      assert.equal(await addForm.locator('[data-testid="ai-title-input"]').inputValue(), 'Page the payments team on checkout errors', 'the typed text is kept');
      await screenshot(page, 'action-items-A-field-error');
      await addForm.locator('[data-testid="ai-tracker-input"]').fill('');
      await addForm.locator('[data-testid="ai-add-submit"]').click();
      await panelItem('AI-2').waitFor();
      assert.equal(await page.locator('#ai-new-tracker[aria-invalid="true"]').count(), 0, 'the error is cleared');
      assert.equal(await addForm.locator('[data-testid="ai-add-error"]').textContent(), '');
      await exactText(panelItem('AI-2').locator('[data-testid="ai-owner"]'), 'Owner: Rita Responder', 'the second owner');
      await expectText(panelItem('AI-2').locator('[data-testid="ai-due"]'), 'No due date', 'no due date');
    });

    await test('change the status and edit the item; a stale edit is a 409 that keeps the typed change', async () => {
      const item = panelItem('AI-1');
      await item.locator('[data-testid="ai-status-select"]').selectOption('in_progress');
      await page.locator('[data-testid="ai-item"][data-ref="AI-1"][data-status="in_progress"]').waitFor();
      await exactText(panelItem('AI-1').locator('[data-testid="ai-status"]'), 'In progress', 'the badge follows');
      assert.equal((await itemApi('AI-1')).status, 'in_progress');

      await panelItem('AI-1').locator('[data-testid="ai-edit"]').click();
      const form = panelItem('AI-1').locator('[data-testid="ai-edit-form"]');
      await form.waitFor();
      assert.equal(await form.locator('[data-testid="ai-due-input"]').inputValue(), DUE, 'the due date is the day given');
      await form.locator('[data-testid="ai-priority-input"]').selectOption('urgent');
      // Someone else renames it meanwhile: the list shows it live, the open form stays.
      const current = await itemApi('AI-1');
      await admin.patch('/action-items/AI-1', { version: current.version, title: TITLE });
      await expectText(panelItem('AI-1').locator('[data-testid="ai-title"]'), new RegExp(`^${TITLE}$`), 'the new title, live');
      assert.equal(await form.locator('[data-testid="ai-priority-input"]').inputValue(), 'urgent', 'the typed change is kept');
      await form.locator('[data-testid="ai-edit-save"]').click();
      await expectText(form.locator('[data-testid="ai-edit-error"]'), /changed by someone else/, 'the 409 is explained');
      assert.equal(await form.locator('[data-testid="ai-title-input"]').inputValue(), TITLE, 'the untouched field took the new title');
      assert.equal(await form.locator('[data-testid="ai-priority-input"]').inputValue(), 'urgent', 'the change is still there');
      assert.equal((await itemApi('AI-1')).priority, 'high', 'the stale save changed nothing');
      await screenshot(page, 'action-items-A-conflict');
      await form.locator('[data-testid="ai-edit-save"]').click();
      await exactText(panelItem('AI-1').locator('[data-testid="ai-priority"]'), 'Urgent', 'saved on the new version');
      assert.equal(await panelItem('AI-1').locator('[data-testid="ai-edit-form"]').count(), 0, 'the form closes');
      const after = await itemApi('AI-1');
      assert.equal(after.priority, 'urgent');
      assert.equal(after.title, TITLE);
      assert.equal(after.status, 'in_progress');
    });

    await test('the review page adds follow-ups with source "review" and lists the incident\'s items', async () => {
      await admin.post(`/incidents/${incidentId}/review`, {});
      await visit(page, base, `/ui/incidents/${incidentId}/review`, '[data-testid="ai-panel"][data-source="review"][data-loaded="yes"]');
      const reviewPanel = page.locator('[data-testid="ai-panel"][data-source="review"]');
      await reviewPanel.locator('[data-testid="ai-item"][data-ref="AI-1"]').waitFor();
      await reviewPanel.locator('[data-testid="ai-item"][data-ref="AI-2"]').waitFor();
      const form = reviewPanel.locator('[data-testid="ai-add-form"]');
      await form.locator('[data-testid="ai-title-input"]').fill('Write the rollback runbook');
      await form.locator('[data-testid="ai-priority-input"]').selectOption('low');
      await form.locator('[data-testid="ai-add-submit"]').click();
      const item = reviewPanel.locator('[data-testid="ai-item"][data-ref="AI-3"]');
      await item.waitFor();
      await expectText(item.locator('[data-testid="ai-source"]'), 'From the review', 'marked as from the review');
      assert.equal((await itemApi('AI-3')).source, 'review');
      await screenshot(page, 'action-items-A-review');
    });

    await test('the Action items page: Mine, All active, the service filter in the URL', async () => {
      await navigate(page, 'action-items', 'ai-table');
      assert.equal(await byTestId(page, 'ai-tab-mine').getAttribute('aria-pressed'), 'true', 'Mine by default');
      const row = (ref) => page.locator(`[data-testid="ai-row"][data-ref="${ref}"]`);
      await row('AI-1').waitFor();
      assert.equal(await row('AI-2').count(), 0, "Rita's item is not mine");
      await expectText(row('AI-1').locator('[data-testid="ai-title"]'), TITLE, 'the title');
      assert.equal(await row('AI-1').locator('[data-testid="ai-incident"]').getAttribute('href'), `/ui/incidents/${incidentId}`);
      await exactText(row('AI-1').locator('[data-testid="ai-incident"]'), `INC-${incidentId}`, 'the incident ref');
      await exactText(row('AI-1').locator('[data-testid="ai-service"]'), 'checkout', 'the service');
      await exactText(row('AI-1').locator('[data-testid="ai-owner"]'), 'Administrator', 'the owner');
      await exactText(row('AI-1').locator('[data-testid="ai-priority"]'), 'Urgent', 'the priority');
      assert.equal(await row('AI-1').locator('[data-testid="ai-status-select"]').inputValue(), 'in_progress');
      await byTestId(page, 'ai-tab-active').click();
      await page.waitForURL(/\/ui\/action-items\?view=active$/);
      await row('AI-2').waitFor();
      await row('AI-3').waitFor();
      await row('AI-1').waitFor();
      await screenshot(page, 'action-items-A-all-active');
      await byTestId(page, 'ai-filter-service').selectOption('payments');
      await page.waitForURL(/view=active&service=payments/);
      await expectText(byTestId(page, 'ai-page-empty'), 'No action items (all active, payments)', 'none for payments');
      // The URL keeps the filters across a reload.
      await page.reload({ waitUntil: 'domcontentloaded' });
      await byTestId(page, 'ai-page-empty').waitFor({ state: 'visible' });
      assert.equal(await byTestId(page, 'ai-filter-service').inputValue(), 'payments');
      assert.equal(await byTestId(page, 'ai-tab-active').getAttribute('aria-pressed'), 'true');
      await byTestId(page, 'ai-filter-service').selectOption('checkout');
      await row('AI-1').waitFor();
    });

    await test('past the due date the item is Overdue, in words; Done lists the finished', async () => {
      await byTestId(page, 'ai-tab-overdue').click();
      await page.waitForURL(/view=overdue/);
      await expectText(byTestId(page, 'ai-page-empty'), 'No action items (overdue', 'nothing overdue yet');
      // 23:59:59 UTC is 18:59 in New York: six hours on (within the 12-hour login).
      await admin.post('/admin/clock/advance', { seconds: 6 * 3600 });
      const row = page.locator('[data-testid="ai-row"][data-ref="AI-1"][data-overdue="yes"]');
      await row.waitFor();
      await exactText(row.locator('[data-testid="ai-overdue"]'), 'overdue', 'the word overdue');
      const color = await row.locator('[data-testid="ai-overdue"]').evaluate((node) => getComputedStyle(node).color);
      assert.notEqual(color, await row.locator('[data-testid="ai-owner"]').evaluate((node) => getComputedStyle(node).color), 'and in another color');
      assert.equal(await page.locator('[data-testid="ai-row"]').count(), 1, 'only AI-1 has a due date');
      assert.equal((await admin.get('/action-items?overdue=true')).items[0].ref, 'AI-1');
      await screenshot(page, 'action-items-A-overdue');
      // Done: finish Rita's item from the All active list.
      await byTestId(page, 'ai-tab-active').click();
      const rita = page.locator('[data-testid="ai-row"][data-ref="AI-2"]');
      await rita.locator('[data-testid="ai-status-select"]').selectOption('done');
      await rita.waitFor({ state: 'detached' });
      await byTestId(page, 'ai-tab-done').click();
      await page.waitForURL(/view=done/);
      await page.locator('[data-testid="ai-row"][data-ref="AI-2"]').waitFor();
      assert.equal((await itemApi('AI-2')).status, 'done');
      // The incident panel shows it too.
      await visit(page, base, `/ui/incidents/${incidentId}`, '[data-testid="ai-item"][data-ref="AI-1"][data-overdue="yes"]');
      await exactText(panelItem('AI-1').locator('[data-testid="ai-overdue"]'), 'overdue', 'overdue on the incident page');
      await exactText(panelItem('AI-2').locator('[data-testid="ai-status"]'), 'Done', 'done on the incident page');
    });

    await test('mark the incident as noise with a reason, see the badge, then take it back', async () => {
      await byTestId(page, 'noise-mark').click();
      await byTestId(page, 'noise-form').waitFor();
      await byTestId(page, 'noise-submit').click();
      await page.locator('#noise-reason[aria-invalid="true"]').waitFor();
      await byTestId(page, 'noise-reason').fill(NOISE_REASON);
      await byTestId(page, 'noise-submit').click();
      await exactText(byTestId(page, 'detail-noise'), `Noise: ${NOISE_REASON}`, 'the badge with the reason');
      await expectText(byTestId(page, 'noise-marked'), NOISE_REASON, 'the control says so');
      await byTestId(page, 'noise-unmark').waitFor();
      await expectText(byTestId(page, 'timeline-entry'), /marked the incident as noise/, 'the timeline');
      const incident = await admin.get(`/incidents/${incidentId}`);
      assert.equal(incident.noise.reason, NOISE_REASON);
      assert.equal(incident.noise.by, 'admin');
      await screenshot(page, 'action-items-A-noise');
      await visit(page, base, '/ui/incidents', `[data-testid="incident-row"][data-incident-id="${incidentId}"]`);
      await exactText(page.locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"] [data-testid="incident-noise"]`), 'Noise', 'the list row');
      await visit(page, base, `/ui/incidents/${incidentId}`, '[data-testid="noise-unmark"]');
      await byTestId(page, 'noise-unmark').click();
      await byTestId(page, 'detail-noise').waitFor({ state: 'detached' });
      await byTestId(page, 'noise-mark').waitFor({ state: 'visible' });
      assert.equal((await admin.get(`/incidents/${incidentId}`)).noise, null);
      // Marked again: the phone screenshots show it.
      await byTestId(page, 'noise-mark').click();
      await byTestId(page, 'noise-reason').fill(NOISE_REASON);
      await byTestId(page, 'noise-submit').click();
      await byTestId(page, 'detail-noise').waitFor();
    });

    await test('a drill shows DRILL in the header and the list row', async () => {
      // Nothing declares drills through the API yet: set the flag in the server's answers.
      const asDrill = async (route) => {
        const response = await route.fetch();
        const body = await response.json();
        if (Array.isArray(body.items)) for (const i of body.items) if (i.id === incidentId) i.drill = true;
        if (body.id === incidentId) body.drill = true;
        await route.fulfill({ response, json: body });
      };
      await page.route(/\/api\/v1\/incidents(\?.*|\/\d+)$/, asDrill);
      try {
        await visit(page, base, `/ui/incidents/${incidentId}`, '[data-testid="detail-drill"]');
        await exactText(byTestId(page, 'detail-drill'), 'DRILL', 'the header badge');
        await screenshot(page, 'action-items-A-drill');
        await visit(page, base, '/ui/incidents', `[data-testid="incident-row"][data-incident-id="${incidentId}"] [data-testid="incident-drill"]`);
        await exactText(page.locator(`[data-testid="incident-row"][data-incident-id="${incidentId}"] [data-testid="incident-drill"]`), 'DRILL', 'the list badge');
      } finally {
        await page.unroute(/\/api\/v1\/incidents(\?.*|\/\d+)$/, asDrill);
      }
    });

    await test('a viewer reads the items without controls', async () => {
      await withPage('viewer', { viewport: DESKTOP }, async (viewer) => {
        await loginAs(viewer, base, VIEWER);
        await visit(viewer, base, `/ui/incidents/${incidentId}`, '[data-testid="ai-panel"][data-loaded="yes"]');
        await byTestId(viewer, 'ai-item').first().waitFor();
        assert.equal(await byTestId(viewer, 'ai-add-form').count(), 0, 'no add form');
        assert.equal(await byTestId(viewer, 'ai-status-select').count(), 0, 'no status select');
        assert.equal(await byTestId(viewer, 'ai-edit').count(), 0, 'no edit');
        await byTestId(viewer, 'ai-readonly').waitFor();
        assert.equal(await byTestId(viewer, 'noise-mark').count(), 0, 'no noise control');
        await exactText(byTestId(viewer, 'detail-noise'), `Noise: ${NOISE_REASON}`, 'the badge');
        await visit(viewer, base, '/ui/action-items?view=active', '[data-testid="ai-row"]');
        assert.equal(await byTestId(viewer, 'ai-status-select').count(), 0, 'no status select on the page');
        await byTestId(viewer, 'ai-status').first().waitFor();
      });
    });

    await test('the pages fit a 360 px phone', async () => {
      await withPage('phone', { viewport: PHONE }, async (phone) => {
        await login(phone, base);
        await visit(phone, base, '/ui/action-items?view=active', '[data-testid="ai-row"]');
        await assertNoHorizontalScroll(phone, 'the Action items page on a phone');
        await screenshot(phone, 'action-items-phone-list');
        await visit(phone, base, `/ui/incidents/${incidentId}`, '[data-testid="ai-item"]');
        await byTestId(phone, 'detail-noise').waitFor();
        await assertNoHorizontalScroll(phone, 'the incident page on a phone');
        await screenshot(phone, 'action-items-phone-incident');
        await screenshotElement(byTestId(phone, 'ai-panel'), 'action-items-phone-incident-panel');
        await screenshotElement(phone.locator('.incident-head'), 'action-items-phone-incident-head');
      });
    });

    await noProblemsTest('no script errors, CSP violations or dialogs');
  },
);
