// Browser test of the post-incident review in the console against the real server.
//
//   KLAXON_BIN=build/klaxon KLAXON_TEST_OUTPUT=build/test-output node reviews.test.mjs
//
// Starts `klaxon serve` on a manual clock at Wednesday 2026-11-25 14:00 New York time
// (KLAXON_CLOCK / KLAXON_CLOCK_START, as playbook.test.mjs), applies examples/sev-levels
// and opens a SEV-0 through an Alertmanager alert; the API acknowledges and resolves it,
// which opens its review by itself (SEV-0 requires one). The console then shows the review
// on the incident page and in the Reviews list (with its deadline), renders the document
// (the playbook's postmortem template with the incident's facts), saves the root cause
// against the review's version (the preview shows it), keeps what is being typed when
// someone else edits and explains the 409 of a stale save, names the reviewer, submits,
// approves and publishes; the Markdown export answers 200. Also a 360 px phone. Prints
// "N passed, M failed" last; exits non-zero on any failure.
import assert from 'node:assert/strict';

import {
  DESKTOP,
  HOSTILE_IMG,
  PHONE,
  assertNoHorizontalScroll,
  assertNoInjectedImage,
  assertNoReload,
  byTestId,
  exactText,
  exampleFiles,
  expectText,
  login,
  markNoReload,
  openCheckoutDown,
  runSuite,
  screenshot,
  visit,
} from './harness.mjs';

const TOTAL_TIMEOUT_MS = 240_000; // the whole run (ctest allows 300 s)
const START = '2026-11-25T14:00:00-05:00';
const TIME_ZONE = 'America/New_York'; // the browser's, so times read as the playbook's
const ROOT_CAUSE = 'Deploy 4411 upgraded the payment client';
const LESSONS = 'Canary every payment client upgrade.';
const WENT_WELL = 'The rollback took four minutes.';

process.env.KLAXON_CLOCK = 'manual';
process.env.KLAXON_CLOCK_START = START;
delete process.env.ROLLBACK_TOKEN;
delete process.env.FLAGS_API_KEY;

await runSuite(
  { serverName: 'reviews', totalTimeoutMs: TOTAL_TIMEOUT_MS, contextDefaults: { timezoneId: TIME_ZONE } },
  async ({ base, admin, test, launchBrowser, openPage, withPage, noProblemsTest }) => {
    let incident = null;
    let review = null;
    const advance = (seconds) => admin.post('/admin/clock/advance', { seconds });
    const reviewApi = () => admin.get(`/incidents/${incident.id}/review`);

    await test('a resolved SEV-0 opens its review by itself', async () => {
      await admin.post('/apply', { files: exampleFiles('examples/sev-levels') });
      incident = await openCheckoutDown(admin, base);
      assert.equal(incident.severity, 'SEV-0');
      await advance(240);
      await admin.post(`/incidents/${incident.id}/acknowledge`, {});
      await advance(1800);
      await admin.post(`/incidents/${incident.id}/resolve`, { summary: 'Rolled back deploy 4411.' });
      review = await reviewApi();
      assert.equal(review.state, 'draft');
      assert.ok(review.due_at, 'the review has a deadline');
      assert.equal(review.overdue, false);
      const listed = (await admin.get('/reviews')).items.map((r) => r.incident.id);
      assert.deepEqual(listed, [incident.id]);
    });

    await launchBrowser();
    const page = await openPage('A', { viewport: DESKTOP });

    await test('the incident page shows the review panel with a link to the review', async () => {
      assert.ok(review, 'a review was opened');
      await login(page, base);
      await visit(page, base, `/ui/incidents/${incident.id}`, '[data-testid="review-panel"]:not([hidden])');
      const panel = byTestId(page, 'review-panel');
      await exactText(panel.locator('[data-testid="review-state"]'), 'Draft', 'the state');
      assert.ok(review.owner, 'the review has an owner');
      await exactText(panel.locator('[data-testid="review-owner"]'), review.owner.name || review.owner.username, 'the owner');
      await expectText(panel.locator('[data-testid="review-due"]'), /^Due /, 'the deadline');
      assert.equal(await panel.locator('[data-testid="review-open-link"]').getAttribute('href'), `/ui/incidents/${incident.id}/review`);
      await screenshot(page, 'reviews-A-incident');
    });

    await test('the Reviews list shows it with its deadline; the row opens the review', async () => {
      await byTestId(page, 'nav-reviews').click();
      await page.waitForURL(/\/ui\/reviews$/);
      const row = page.locator(`[data-testid="review-row"][data-incident-id="${incident.id}"]`);
      await row.waitFor();
      await exactText(row.locator('[data-testid="review-row-ref"]'), incident.ref, 'the ref');
      await exactText(row.locator('[data-testid="review-row-title"]'), 'Checkout is down', 'the title');
      await exactText(row.locator('[data-testid="review-state"]'), 'Draft', 'the state badge');
      await expectText(row.locator('[data-testid="review-row-owner"]'), review.owner.name || review.owner.username, 'the owner');
      await expectText(row.locator('[data-testid="review-row-due"]'), /^Due .*Nov.*30/, 'due Monday Nov 30 (2 business days past Thanksgiving)');
      assert.equal(await row.locator('[data-testid="review-row-due"] time').getAttribute('datetime'), review.due_at);
      assert.equal(await row.locator('[data-testid="review-overdue"]').count(), 0, 'not overdue');
      // Filters: published shows nothing; mine (the admin owns nothing) shows nothing.
      await byTestId(page, 'review-filter-state').selectOption('published');
      await byTestId(page, 'review-list-empty').waitFor();
      await page.waitForURL(/state=published/);
      await byTestId(page, 'review-filter-state').selectOption('draft');
      await row.waitFor();
      await byTestId(page, 'review-filter-mine').check();
      await byTestId(page, 'review-list-empty').waitFor();
      await byTestId(page, 'review-filter-mine').uncheck();
      await row.waitFor();
      await screenshot(page, 'reviews-A-list');
      await row.locator('[data-testid="review-row-link"]').click();
      await page.waitForURL(new RegExp(`/ui/incidents/${incident.id}/review$`));
      await byTestId(page, 'review-page').waitFor();
      await markNoReload(page);
    });

    await test('the review page renders the document and offers the Markdown download', async () => {
      await exactText(byTestId(page, 'review-ref'), incident.ref, 'the heading');
      const preview = byTestId(page, 'review-preview');
      await expectText(preview, `Postmortem ${incident.ref}`, 'the document title');
      await expectText(preview, 'Detected', 'the key moments');
      assert.ok((await preview.locator('h1, h2').count()) >= 2, 'the preview is HTML (headings)');
      assert.equal(await byTestId(page, 'review-section-root_cause').isDisabled(), false, 'a draft is editable');
      assert.equal(await byTestId(page, 'review-submit').isVisible(), true, 'a draft can be submitted');
      assert.equal(await byTestId(page, 'review-publish').isVisible(), false, 'not published from a draft');
      assert.equal(await byTestId(page, 'review-download').getAttribute('href'), `/api/v1/incidents/${incident.id}/review/markdown`);
    });

    await test('saving the root cause shows it in the preview (escaped markup stays text)', async () => {
      await byTestId(page, 'review-section-root_cause').fill(`${ROOT_CAUSE} ${HOSTILE_IMG}`);
      await expectText(byTestId(page, 'review-save-note'), 'Unsaved changes', 'the unsaved note');
      await byTestId(page, 'review-save').click();
      await expectText(byTestId(page, 'review-save-note'), `Saved (version ${review.version + 1})`, 'saved');
      await expectText(byTestId(page, 'review-preview'), ROOT_CAUSE, 'the root cause in the preview');
      await assertNoInjectedImage(page, 'the review preview');
      const now = await reviewApi();
      assert.equal(now.version, review.version + 1);
      assert.ok(now.sections.root_cause.startsWith(ROOT_CAUSE));
      review = now;
    });

    await test('someone else\'s edit shows live without losing the typed text; a stale save is a 409', async () => {
      await byTestId(page, 'review-section-went_well').fill(WENT_WELL);
      await admin.patch(`/incidents/${incident.id}/review`, { version: review.version, sections: { lessons: LESSONS } });
      await exactText(byTestId(page, 'review-version'), String(review.version + 1), 'the new version, live');
      assert.equal(await byTestId(page, 'review-section-lessons').inputValue(), LESSONS, 'the untouched field took the new text');
      assert.equal(await byTestId(page, 'review-section-went_well').inputValue(), WENT_WELL, 'the typed text is kept');
      await byTestId(page, 'review-save').click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      await expectText(alert, /Reload the page/, 'the 409 tells to reload');
      assert.equal((await reviewApi()).sections.went_well, '', 'the stale save changed nothing');
      await screenshot(page, 'reviews-A-conflict');
      await page.reload({ waitUntil: 'domcontentloaded' });
      await byTestId(page, 'review-page').waitFor();
      await exactText(byTestId(page, 'review-version'), String(review.version + 1), 'the version after the reload');
      await byTestId(page, 'review-section-went_well').fill(WENT_WELL);
      await byTestId(page, 'review-save').click();
      await expectText(byTestId(page, 'review-save-note'), `Saved (version ${review.version + 2})`, 'saved after the reload');
      await expectText(byTestId(page, 'review-preview'), WENT_WELL, 'in the preview');
      await markNoReload(page);
    });

    await test('an unknown reviewer is a 422 on the field; admin is named and the review submitted', async () => {
      await byTestId(page, 'review-reviewers-input').fill('nobody-here');
      await byTestId(page, 'review-save').click();
      await page.locator('#review-reviewers[aria-invalid="true"]').waitFor();
      await byTestId(page, 'review-reviewers-input').fill('admin');
      await byTestId(page, 'review-save').click();
      await page.locator('[data-testid="review-reviewer"][data-username="admin"][data-approved="no"]').waitFor();
      assert.equal(await page.locator('#review-reviewers[aria-invalid="true"]').count(), 0, 'the error is cleared');
      await byTestId(page, 'review-submit').click();
      await exactText(byTestId(page, 'review-meta').locator('[data-testid="review-state"]'), 'In review', 'in review');
      assert.equal(await byTestId(page, 'review-section-root_cause').isDisabled(), true, 'the text is frozen in review');
      await expectText(byTestId(page, 'review-frozen'), 'frozen', 'the page says why');
      await expectText(byTestId(page, 'review-steps-hint'), 'Waiting for approval from admin', 'who is awaited');
      assert.equal((await reviewApi()).state, 'in_review');
    });

    await test('approve, then publish: the state shows published and the Markdown answers 200', async () => {
      await byTestId(page, 'review-comment').fill('Looks right.');
      await byTestId(page, 'review-approve').click();
      await page.locator('[data-testid="review-reviewer"][data-username="admin"][data-approved="yes"]').waitFor();
      await expectText(byTestId(page, 'review-reviewer-comment'), 'Looks right.', 'the approval comment');
      await expectText(byTestId(page, 'review-steps-hint'), 'Every reviewer approved', 'ready to publish');
      assert.equal(await byTestId(page, 'review-status-page').isChecked(), false);
      await byTestId(page, 'review-publish').click();
      await exactText(byTestId(page, 'review-meta').locator('[data-testid="review-state"]'), 'Published', 'published');
      assert.equal(await byTestId(page, 'review-page').getAttribute('data-state'), 'published');
      assert.equal(await byTestId(page, 'review-save').isVisible(), false, 'a published review is final');
      assert.equal(await byTestId(page, 'review-publish').isVisible(), false, 'published once');
      const after = await reviewApi();
      assert.equal(after.state, 'published');
      assert.ok(after.published_at);

      const href = await byTestId(page, 'review-download').getAttribute('href');
      const res = await page.request.get(`${base}${href}`);
      assert.equal(res.status(), 200, 'the Markdown export');
      assert.match(res.headers()['content-type'] || '', /text\/markdown/);
      const md = await res.text();
      assert.ok(md.includes(`# Postmortem ${incident.ref}`), 'the Markdown document');
      assert.ok(md.includes(ROOT_CAUSE), 'with the root cause');
      await assertNoReload(page, 'the whole review');
      await screenshot(page, 'reviews-A-published');
    });

    await test('the incident page and the list show it published', async () => {
      await visit(page, base, `/ui/incidents/${incident.id}`, '[data-testid="review-panel"][data-state="published"]');
      await exactText(byTestId(page, 'review-panel').locator('[data-testid="review-state"]'), 'Published', 'on the incident page');
      await visit(page, base, '/ui/reviews?state=published', `[data-testid="review-row"][data-incident-id="${incident.id}"]`);
      await expectText(byTestId(page, 'review-row-due'), /^Published /, 'the row says when');
    });

    await test('the reviews pages fit a 360 px phone', async () => {
      await withPage('phone', { viewport: PHONE }, async (phone) => {
        await login(phone, base);
        await visit(phone, base, '/ui/reviews', '[data-testid="review-row"]');
        await assertNoHorizontalScroll(phone, 'the Reviews list on a phone');
        await screenshot(phone, 'reviews-phone-list');
        await visit(phone, base, `/ui/incidents/${incident.id}/review`, '[data-testid="review-preview"] h1');
        await assertNoHorizontalScroll(phone, 'the review page on a phone');
        await screenshot(phone, 'reviews-phone-review');
        await visit(phone, base, `/ui/incidents/${incident.id}`, '[data-testid="review-panel"]:not([hidden])');
        await assertNoHorizontalScroll(phone, 'the incident page on a phone');
      });
    });

    await noProblemsTest('no script errors, CSP violations or dialogs');
  },
);
