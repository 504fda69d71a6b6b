// Browser test of the public status page and its console side, against the real server.
//
//   KLAXON_BIN=build/klaxon KLAXON_TEST_OUTPUT=build/test-output node status.test.mjs
//
// Starts `klaxon serve` (see harness.mjs) and drives the console's Status page: groups and
// components (add, edit, set a status with the select, delete), page settings (with a
// field error from the server), publishing an incident linked to an internal one (only
// what was typed is public), posting the update that resolves it, scheduling a
// maintenance and moving it by hand — each checked in the public /api/v2/summary.json.
// Then the public HTML: screenshots light, dark and on a 360 px phone (no sideways
// scrolling); with JavaScript disabled the page and an incident page show everything; a
// status change made through the API shows on reload; hostile names (markup, a
// right-to-left override) are only ever text; basic accessibility (one h1, landmarks,
// named uptime bars, alt on images, lang). Responders may set statuses only, viewers read.
import assert from 'node:assert/strict';
import {
  DESKTOP,
  HOSTILE_IMG,
  PHONE,
  RESPONDER,
  VIEWER,
  assertNoHorizontalScroll,
  assertNoInjectedImage,
  assertNoReload,
  byTestId,
  createServicesAndPeople,
  exactText,
  expectText,
  localDateTimeInputs,
  login,
  loginAs,
  logout,
  markNoReload,
  navigate,
  runSuite,
  screenshot,
  sleep,
  until,
  visit,
  waitLive,
} from './harness.mjs';

const TOTAL_TIMEOUT_MS = 260_000; // the whole run (ctest allows 300 s)
const BROWSER_TZ = 'Europe/Berlin';
const HOSTILE_SCRIPT = '<script>alert(1)</script>';
const RLO = '\u202E'; // RIGHT-TO-LEFT OVERRIDE
const INTERNAL_TITLE = 'INTERNAL-ONLY db password rotation went wrong';

async function getPublic(base, path) {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, `GET ${path}`);
  return res;
}

const summary = async (base) => (await getPublic(base, '/api/v2/summary.json')).json();
const publicHtml = async (base, path = '/status') => (await getPublic(base, path)).text();

// Polls the public summary until check(summary) is truthy (the pages are rebuilt after
// the change commits).
async function summaryUntil(base, check, what) {
  return until(async () => {
    const s = await summary(base);
    return check(s) ? s : false;
  }, `summary.json: ${what}`);
}

const componentIn = (s, name) => s.components.find((c) => c.name === name);

async function assertNothingInjected(page, what) {
  await assertNoInjectedImage(page, what);
  const scripts = await page.evaluate(() => [...document.scripts].filter((s) => /alert/.test(s.textContent)).length);
  assert.equal(scripts, 0, `${what}: no injected <script>`);
}

// Checks of the public HTML that need no JavaScript in the page.
async function accessibilityChecks(page, what) {
  const facts = await page.evaluate(() => {
    const name = (node) => (node.getAttribute('aria-label') || '').trim();
    const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((h) => Number(h.tagName[1]));
    return {
      lang: document.documentElement.getAttribute('lang'),
      h1: document.querySelectorAll('h1').length,
      headings,
      // Landmarks: header/footer count as banner/contentinfo only outside article, aside,
      // main, nav and section.
      banner: [...document.querySelectorAll('header')].filter((h) => !h.parentElement.closest('article, aside, main, nav, section')).length,
      contentinfo: [...document.querySelectorAll('footer')].filter((f) => !f.parentElement.closest('article, aside, main, nav, section')).length,
      main: document.querySelectorAll('main').length,
      bars: [...document.querySelectorAll('.bar, [role="img"]')].map((b) => ({ role: b.getAttribute('role'), name: name(b) })),
      images: [...document.images].map((img) => ({ src: img.getAttribute('src'), alt: img.getAttribute('alt') })),
      skipTarget: (() => {
        const skip = document.querySelector('a.skip-link');
        return skip ? !!document.querySelector(skip.getAttribute('href')) : null;
      })(),
      title: document.title,
    };
  });
  assert.ok(facts.lang && facts.lang.length >= 2, `${what}: <html lang> is set (${facts.lang})`);
  assert.equal(facts.h1, 1, `${what}: exactly one h1`);
  for (let k = 1; k < facts.headings.length; k += 1) {
    assert.ok(facts.headings[k] <= facts.headings[k - 1] + 1, `${what}: heading levels do not skip (${facts.headings.join(' ')})`);
  }
  assert.equal(facts.headings[0], 1, `${what}: the first heading is the h1`);
  assert.equal(facts.banner, 1, `${what}: one page header (banner)`);
  assert.equal(facts.main, 1, `${what}: one main`);
  assert.equal(facts.contentinfo, 1, `${what}: one page footer (contentinfo)`);
  assert.equal(facts.skipTarget, true, `${what}: the skip link has a target`);
  assert.ok(facts.title.trim().length > 0, `${what}: a document title`);
  for (const bar of facts.bars) {
    assert.equal(bar.role, 'img', `${what}: an uptime bar is one image to assistive technology`);
    assert.ok(bar.name.length > 0, `${what}: every uptime bar has an accessible name`);
  }
  for (const img of facts.images) assert.ok(img.alt !== null && img.alt.trim().length > 0, `${what}: image ${img.src} has alt text`);
  return facts;
}

const CONTEXT_DEFAULTS = { timezoneId: BROWSER_TZ, locale: 'en-US' };

await runSuite(
  { serverName: 'status-server', totalTimeoutMs: TOTAL_TIMEOUT_MS, contextDefaults: CONTEXT_DEFAULTS },
  async ({ base, admin, test, launchBrowser, openPage, withPage, noProblemsTest }) => {
    const fixture = {};

    await test('setup through the API: services, people, an internal incident', async () => {
      Object.assign(fixture, await createServicesAndPeople(admin));
      fixture.internal = await admin.post('/incidents', { title: INTERNAL_TITLE, service: 'checkout', description: 'secret details' }, 201);
      // The public page works before anything is set up.
      const s = await summary(base);
      assert.equal(s.status.indicator, 'none');
      assert.deepEqual(s.components, []);
    });

    await launchBrowser();
    const a = await openPage('A', { viewport: DESKTOP });

    await test('console: the Status page link, a group and components', async () => {
      await login(a, base);
      await navigate(a, 'status', 'sp-component-form');
      assert.equal(await byTestId(a, 'nav-status').getAttribute('aria-current'), 'page', 'the nav marks the page');
      await byTestId(a, 'sp-components-empty').waitFor();
      await byTestId(a, 'sp-open-empty').waitFor();
      const publicLink = byTestId(a, 'status-public-link');
      assert.equal(await publicLink.getAttribute('href'), `${base}/status`, 'links to the public page');
      await exactText(byTestId(a, 'status-overall-text'), 'All Systems Operational', 'what the public page says');

      // A group.
      await byTestId(a, 'sp-comp-is-group').check();
      assert.equal(await byTestId(a, 'sp-comp-group').isVisible(), false, 'a group is not in a group');
      await exactText(byTestId(a, 'sp-comp-submit'), 'Add group', 'the button says what it adds');
      await byTestId(a, 'sp-comp-name').fill('Core');
      await byTestId(a, 'sp-comp-description').fill('What you buy with');
      await byTestId(a, 'sp-comp-submit').click();
      const core = a.locator('[data-testid="sp-component"][data-kind="group"]');
      await core.waitFor();
      await exactText(core.locator('[data-testid="sp-component-name"]'), 'Core', 'group listed');

      // A component in the group, mapped to a service.
      await byTestId(a, 'sp-comp-is-group').uncheck();
      await byTestId(a, 'sp-comp-name').fill('API');
      await byTestId(a, 'sp-comp-description').fill('The REST API');
      await byTestId(a, 'sp-comp-group').selectOption({ label: 'Core' });
      await a.locator('#sp-comp-services label', { hasText: 'checkout' }).locator('input').check();
      await byTestId(a, 'sp-comp-submit').click();
      await a.locator('[data-testid="sp-component"].in-group', { hasText: 'API' }).waitFor();
      // A top-level one, without uptime bar at first.
      await byTestId(a, 'sp-comp-name').fill('Website');
      await byTestId(a, 'sp-comp-showcase').uncheck();
      await byTestId(a, 'sp-comp-submit').click();
      const website = a.locator('[data-testid="sp-component"]', { hasText: 'Website' });
      await website.waitFor();
      assert.deepEqual(
        await byTestId(a, 'sp-component-name').allTextContents(),
        ['Core', 'API', 'Website'],
        'page order: the group, its component, then the top level',
      );

      const { items } = await admin.get('/status/components');
      const byName = Object.fromEntries(items.map((c) => [c.name, c]));
      assert.equal(byName.Core.is_group, true);
      assert.equal(byName.API.group.name, 'Core');
      assert.deepEqual(byName.API.services, [fixture.checkout.id]);
      assert.equal(byName.API.description, 'The REST API');
      assert.equal(byName.Website.showcase, false);
      fixture.components = byName;
      const s = await summaryUntil(base, (x) => x.components.length === 3, 'three components');
      assert.equal(componentIn(s, 'API').group_id, componentIn(s, 'Core').id, 'API is in Core publicly');
      assert.deepEqual(componentIn(s, 'Core').components, [componentIn(s, 'API').id]);
      assert.equal(componentIn(s, 'Website').showcase, false);
    });

    await test('console: edit a component (admins), delete one with confirmation', async () => {
      const website = a.locator('[data-testid="sp-component"]', { hasText: 'Website' });
      await website.locator('[data-testid="sp-component-edit"]').click();
      const form = website.locator('[data-testid="sp-edit-form"]');
      await form.waitFor();
      assert.equal(await website.locator('[data-testid="sp-component-edit"]').getAttribute('aria-expanded'), 'true');
      await form.locator('[data-testid="sp-edit-description"]').fill('www and the shop');
      await form.locator('[data-testid="sp-edit-showcase"]').check();
      await form.locator('label', { hasText: 'payments' }).locator('input').check();
      await form.locator('[data-testid="sp-edit-save"]').click();
      await form.waitFor({ state: 'detached' });
      await exactText(website.locator('[data-testid="sp-component-description"]'), 'www and the shop', 'description shown');
      await exactText(website.locator('[data-testid="sp-component-services"]'), 'Services: payments', 'services shown');
      const stored = (await admin.get('/status/components')).items.find((c) => c.name === 'Website');
      assert.equal(stored.showcase, true);
      assert.deepEqual(stored.services, [fixture.payments.id]);

      // A throwaway component: Delete asks first, Cancel keeps it.
      await byTestId(a, 'sp-comp-name').fill('Legacy FTP');
      await byTestId(a, 'sp-comp-submit').click();
      const legacy = a.locator('[data-testid="sp-component"]', { hasText: 'Legacy FTP' });
      await legacy.waitFor();
      await legacy.locator('[data-testid="sp-component-delete"]').click();
      await legacy.locator('[data-testid="sp-delete-confirm"]').waitFor();
      await legacy.locator('[data-testid="sp-delete-no"]').click();
      await legacy.locator('[data-testid="sp-delete-confirm"]').waitFor({ state: 'detached' });
      assert.ok((await admin.get('/status/components')).items.some((c) => c.name === 'Legacy FTP'), 'still there');
      await legacy.locator('[data-testid="sp-component-delete"]').click();
      await legacy.locator('[data-testid="sp-delete-yes"]').click();
      await legacy.waitFor({ state: 'detached' });
      assert.ok(!(await admin.get('/status/components')).items.some((c) => c.name === 'Legacy FTP'), 'deleted');
      await summaryUntil(base, (s) => !componentIn(s, 'Legacy FTP') && s.components.length === 3, 'Legacy FTP gone');

      // The group cannot go while it has a component: the API's 409 is shown.
      const core = a.locator('[data-testid="sp-component"][data-kind="group"]');
      await core.locator('[data-testid="sp-component-delete"]').click();
      await core.locator('[data-testid="sp-delete-yes"]').click();
      await expectText(a.getByRole('alert'), /409|still has components/, 'the conflict is explained');
      await core.locator('[data-testid="sp-delete-no"]').click();
      await a.locator('#alert-close').click();
    });

    await test('console: set a component status with the select; the public JSON follows', async () => {
      const select = a.locator('[data-testid="sp-component"]', { hasText: 'Website' }).locator('[data-testid="sp-component-status"]');
      assert.equal(await select.inputValue(), 'operational');
      assert.equal(await a.getByLabel('Status of Website').count(), 1, 'the select is labelled');
      await select.selectOption('degraded_performance');
      let s = await summaryUntil(base, (x) => componentIn(x, 'Website').status === 'degraded_performance', 'Website degraded');
      assert.equal(s.status.indicator, 'minor');
      await exactText(byTestId(a, 'status-overall-text'), 'Partially Degraded Service', 'the console says what the page says');
      await select.selectOption('operational');
      s = await summaryUntil(base, (x) => componentIn(x, 'Website').status === 'operational', 'Website operational again');
      assert.equal(s.status.indicator, 'none');
      // A group has no select: it follows its components.
      const core = a.locator('[data-testid="sp-component"][data-kind="group"]');
      assert.equal(await core.locator('select').count(), 0, 'no select on a group');
      await expectText(core, /follows its components/, 'the group explains');
    });

    await test('console: live refresh when a status changes elsewhere', async () => {
      await waitLive(a);
      await markNoReload(a);
      const api = fixture.components.API;
      await admin.patch(`/status/components/${api.public_id}`, { status: 'major_outage' });
      const select = a.locator('[data-testid="sp-component"]', { hasText: 'API' }).locator('[data-testid="sp-component-status"]');
      await until(async () => (await select.inputValue()) === 'major_outage', 'the select follows the event');
      await exactText(a.locator('[data-testid="sp-component"][data-kind="group"] [data-testid="sp-group-status"]'), 'Major outage', 'the group shows the worst');
      await admin.patch(`/status/components/${api.public_id}`, { status: 'operational' });
      await until(async () => (await select.inputValue()) === 'operational', 'and back');
      await assertNoReload(a, 'status change from the API');
    });

    await test('console: page settings, with a field error from the server', async () => {
      const form = byTestId(a, 'sp-settings-form');
      await form.scrollIntoViewIfNeeded();
      await byTestId(a, 'sp-page-name').fill('Acme Status');
      await byTestId(a, 'sp-page-tz').fill('Mars/Olympus_Mons');
      await byTestId(a, 'sp-page-save').click();
      await a.locator('#sp-page-tz[aria-invalid="true"]').waitFor();
      await a.locator('[data-testid="field-error"][data-for="sp-page-tz"]').waitFor();
      await expectText(a.getByRole('alert').locator('li'), /time_zone/, 'the alert names the field');
      assert.equal((await admin.get('/status/page')).name, 'Status', 'nothing saved');

      await byTestId(a, 'sp-page-tz').fill('Europe/Berlin');
      await byTestId(a, 'sp-page-logo').fill(`${base}/assets/favicon.svg`);
      await byTestId(a, 'sp-page-accent').fill('#aa3300');
      await byTestId(a, 'sp-page-about').fill('Live status of the Acme shop.');
      await byTestId(a, 'sp-link-add').click();
      await a.locator('[data-testid="sp-link-row"] [data-testid="sp-link-label"]').fill('Support');
      await a.locator('[data-testid="sp-link-row"] [data-testid="sp-link-url"]').fill('https://support.example.com/');
      await byTestId(a, 'sp-page-save').click();
      await until(async () => (await admin.get('/status/page')).name === 'Acme Status', 'saved');
      const page = await admin.get('/status/page');
      assert.equal(page.time_zone, 'Europe/Berlin');
      assert.equal(page.logo_url, `${base}/assets/favicon.svg`);
      assert.equal(page.accent_color, '#aa3300');
      assert.equal(page.about, 'Live status of the Acme shop.');
      assert.deepEqual(page.links, [{ label: 'Support', url: 'https://support.example.com/' }]);
      // The browser may get its answer a moment after the API shows the change.
      await until(async () => (await a.locator('[data-testid="field-error"]').count()) === 0, 'no field errors left');
      await until(async () => (await a.getByRole('alert').count()) === 0, 'the alert is gone');
      assert.equal(await byTestId(a, 'sp-page-tz').getAttribute('aria-invalid'), null, 'the time zone is valid again');
      const s = await summary(base);
      assert.equal(s.page.name, 'Acme Status');
      assert.equal(s.page.time_zone, 'Europe/Berlin');
      const css = await (await getPublic(base, '/status/status.css')).text();
      assert.match(css, /--accent: #aa3300/, 'the accent color is in the stylesheet');
    });

    await test('console: publish an incident linked to an internal one (server error first)', async () => {
      const form = byTestId(a, 'sp-publish-form');
      await form.scrollIntoViewIfNeeded();
      await byTestId(a, 'sp-inc-name').fill('Checkout errors');
      await byTestId(a, 'sp-inc-impact').selectOption('major');
      await byTestId(a, 'sp-inc-status').selectOption('identified');
      await byTestId(a, 'sp-inc-body').fill('Payments fail for some customers.\nWe are rolling back.');
      await a.locator('#sp-inc-components select[data-public-id="' + fixture.components.API.public_id + '"]').selectOption('partial_outage');
      // An internal incident that does not exist: the server names the field.
      await byTestId(a, 'sp-inc-internal').fill('INC-9999');
      await byTestId(a, 'sp-inc-submit').click();
      await a.locator('[data-testid="field-error"][data-for="sp-inc-internal"]').waitFor();
      assert.equal((await admin.get('/status/incidents')).items.length, 0, 'nothing published');

      await byTestId(a, 'sp-inc-internal').fill(`INC-${fixture.internal.id}`);
      await byTestId(a, 'sp-inc-submit').click();
      await a.waitForURL(/\/ui\/status\/incidents\/\d+$/);
      await exactText(byTestId(a, 'sp-detail-name'), 'Checkout errors', 'its page');
      await exactText(byTestId(a, 'sp-detail-status'), 'Identified', 'status');
      await exactText(byTestId(a, 'sp-detail-impact'), 'Major impact', 'impact');
      await exactText(byTestId(a, 'sp-detail-internal'), `INC-${fixture.internal.id}`, 'the internal incident is linked');
      assert.equal(await byTestId(a, 'nav-status').getAttribute('aria-current'), 'page', 'nav marks Status page');
      await expectText(byTestId(a, 'sp-update-component'), 'API: operational → partial outage', 'the update names the change');
      await exactText(byTestId(a, 'sp-update-body'), 'Payments fail for some customers.\nWe are rolling back.', 'body as typed');
      const [published] = (await admin.get('/status/incidents')).items;
      assert.equal(published.incident, fixture.internal.id);
      fixture.incident = published;

      const s = await summaryUntil(base, (x) => x.incidents.length === 1, 'one unresolved incident');
      const [inc] = s.incidents;
      assert.equal(inc.name, 'Checkout errors');
      assert.equal(inc.status, 'identified');
      assert.equal(inc.impact, 'major');
      assert.deepEqual(inc.components.map((c) => c.name), ['API']);
      assert.equal(inc.incident_updates[0].body, 'Payments fail for some customers.\nWe are rolling back.');
      assert.equal(componentIn(s, 'API').status, 'partial_outage');
      assert.equal(s.status.indicator, 'major');
      // Nothing of the internal incident is public.
      for (const path of ['/api/v2/summary.json', '/api/v2/incidents.json', '/status', `/status/incidents/${published.public_id}`, '/status/feed.atom', '/status/feed.rss']) {
        const text = await (await getPublic(base, path)).text();
        assert.ok(!text.includes('INTERNAL-ONLY'), `${path} does not show the internal title`);
        assert.ok(!text.includes('secret details'), `${path} does not show the internal description`);
      }
      await screenshot(a, 'status-console-incident-A');
    });

    await test('console: post an update that resolves it', async () => {
      await byTestId(a, 'sp-up-status').selectOption('resolved');
      // Resolving suggests operational for the affected component.
      const pick = a.locator(`#sp-up-components select[data-public-id="${fixture.components.API.public_id}"]`);
      assert.equal(await pick.inputValue(), 'operational', 'the affected component is set back to operational');
      const other = a.locator(`#sp-up-components select[data-public-id="${fixture.components.Website.public_id}"]`);
      assert.equal(await other.inputValue(), '', 'the others are left alone');
      // Without a message: the form says so, nothing is sent.
      await byTestId(a, 'sp-up-submit').click();
      await a.locator('[data-testid="field-error"][data-for="sp-up-body"]').waitFor();
      await byTestId(a, 'sp-up-body').fill('The rollback fixed it. Payments work again.');
      await byTestId(a, 'sp-up-submit').click();
      await exactText(byTestId(a, 'sp-detail-status'), 'Resolved', 'resolved');
      await until(async () => (await byTestId(a, 'sp-update').count()) === 2, 'two updates');
      await exactText(byTestId(a, 'sp-update-status').first(), 'Resolved', 'newest first');
      await expectText(byTestId(a, 'sp-update-component').first(), 'API: partial outage → operational', 'the component is back');
      await expectText(byTestId(a, 'sp-detail-resolved'), /\w/, 'resolved time shown');

      let s = await summaryUntil(base, (x) => x.incidents.length === 0, 'no unresolved incident');
      assert.equal(componentIn(s, 'API').status, 'operational');
      assert.equal(s.status.indicator, 'none');
      const all = await (await getPublic(base, '/api/v2/incidents.json')).json();
      assert.equal(all.incidents.length, 1);
      assert.equal(all.incidents[0].status, 'resolved');
      assert.equal(all.incidents[0].incident_updates.length, 2);
      assert.ok(all.incidents[0].resolved_at, 'resolved_at set');

      await byTestId(a, 'back-to-status').click();
      await a.waitForURL(/\/ui\/status$/);
      const recent = a.locator('[data-testid="sp-recent-list"] [data-testid="sp-incident"]');
      await exactText(recent.locator('[data-testid="sp-incident-name"]'), 'Checkout errors', 'listed as resolved');
      await exactText(recent.locator('[data-testid="sp-incident-status"]'), 'Resolved', 'status in the list');
      s = await summary(base);
      assert.equal(s.scheduled_maintenances.length, 0);

      // The internal incident's timeline says what was published.
      await visit(a, base, `/ui/incidents/${fixture.internal.id}`);
      const timeline = byTestId(a, 'timeline-entry');
      await expectText(timeline, 'published it on the status page as “Checkout errors” (identified, major impact)', 'publish in the timeline');
      await expectText(timeline, 'posted a status page update (identified → resolved)', 'update in the timeline');
      await visit(a, base, '/ui/status', '[data-testid="sp-component"]');
    });

    await test('console: schedule a maintenance, move it by hand to in progress and completed', async () => {
      const form = byTestId(a, 'sp-mt-form');
      await form.scrollIntoViewIfNeeded();
      await byTestId(a, 'sp-mt-name').fill('Database upgrade');
      const [start, end] = await localDateTimeInputs(a, 2 * 3600_000, 4 * 3600_000);
      await byTestId(a, 'sp-mt-start').fill(start);
      await byTestId(a, 'sp-mt-end').fill(end);
      await a.locator('#sp-mt-components label', { hasText: 'Website' }).locator('input').check();
      await byTestId(a, 'sp-mt-body').fill('The shop is read-only meanwhile.');
      assert.equal(await byTestId(a, 'sp-mt-auto').isChecked(), true, 'moves on time by default');
      await byTestId(a, 'sp-mt-submit').click();
      const item = a.locator('[data-testid="sp-open-list"] [data-testid="sp-incident"][data-kind="maintenance"]');
      await item.waitFor();
      await exactText(item.locator('[data-testid="sp-incident-status"]'), 'Scheduled', 'scheduled');
      await expectText(item.locator('[data-testid="sp-incident-affected"]'), 'Website', 'its component');
      const stored = (await admin.get('/status/incidents?kind=maintenance')).items[0];
      assert.equal(stored.auto_transition, true);
      const minutes = (new Date(stored.scheduled_until) - new Date(stored.scheduled_for)) / 60000;
      assert.equal(minutes, 120, 'two hours long');
      // Its service is silenced for the window (a maintenance window for payments).
      const windows = (await admin.get('/maintenance')).items;
      assert.ok(windows.some((w) => w.service_id === fixture.payments.id), 'a maintenance window for the service of Website');

      let s = await summaryUntil(base, (x) => x.scheduled_maintenances.length === 1, 'one scheduled maintenance');
      let [m] = s.scheduled_maintenances;
      assert.equal(m.name, 'Database upgrade');
      assert.equal(m.status, 'scheduled');
      assert.deepEqual(m.components.map((c) => c.name), ['Website']);
      assert.equal(m.incident_updates[0].body, 'The shop is read-only meanwhile.');
      const upcoming = await (await getPublic(base, '/api/v2/scheduled-maintenances/upcoming.json')).json();
      assert.equal(upcoming.scheduled_maintenances.length, 1);
      fixture.maintenance = stored;

      // Its page: maintenance statuses, no impact or component pickers.
      await item.locator('[data-testid="sp-incident-name"]').click();
      await a.waitForURL(new RegExp(`/ui/status/incidents/${stored.id}$`));
      // The page fills the form once the maintenance has loaded: wait for its last status.
      await byTestId(a, 'sp-up-status').locator('option[value="completed"]').waitFor({ state: 'attached', timeout: 30000 });
      const options = await byTestId(a, 'sp-up-status').locator('option').evaluateAll((os) => os.map((o) => o.value));
      assert.deepEqual(options, ['scheduled', 'in_progress', 'verifying', 'completed']);
      assert.equal(await byTestId(a, 'sp-up-impact').isVisible(), false, 'no impact for a maintenance');
      assert.equal(await byTestId(a, 'sp-up-components').isVisible(), false, 'components follow its status');
      await byTestId(a, 'sp-up-status').selectOption('in_progress');
      await byTestId(a, 'sp-up-body').fill('We started early.');
      await byTestId(a, 'sp-up-submit').click();
      await exactText(byTestId(a, 'sp-detail-status'), 'In progress', 'in progress');
      s = await summaryUntil(base, (x) => x.scheduled_maintenances[0] && x.scheduled_maintenances[0].status === 'in_progress', 'in progress');
      assert.equal(componentIn(s, 'Website').status, 'under_maintenance');
      assert.equal(s.status.description, 'Service Under Maintenance');
      await expectText(byTestId(a, 'sp-detail-components'), 'Under maintenance', 'the component is under maintenance');
      await screenshot(a, 'status-console-maintenance-A');

      await byTestId(a, 'sp-up-status').selectOption('completed');
      await byTestId(a, 'sp-up-body').fill('Done.');
      await byTestId(a, 'sp-up-submit').click();
      await exactText(byTestId(a, 'sp-detail-status'), 'Completed', 'completed');
      s = await summaryUntil(base, (x) => x.scheduled_maintenances.length === 0, 'no maintenance left in the summary');
      assert.equal(componentIn(s, 'Website').status, 'operational');
      const all = await (await getPublic(base, '/api/v2/scheduled-maintenances.json')).json();
      assert.equal(all.scheduled_maintenances[0].status, 'completed');
      assert.equal(all.scheduled_maintenances[0].incident_updates.length, 3);

      // Another one stays scheduled, for the public page below.
      await admin.post('/status/maintenances', {
        name: 'Network maintenance',
        components: [fixture.components.API.public_id],
        scheduled_for: new Date(Date.now() + 26 * 3600_000).toISOString(),
        scheduled_until: new Date(Date.now() + 27 * 3600_000).toISOString(),
      });
      // And an incident that stays open.
      fixture.open = await admin.post('/status/incidents', {
        name: 'Slow searches',
        body: 'Searches take up to 10 seconds.',
        impact: 'minor',
        components: { [fixture.components.Website.public_id]: 'degraded_performance' },
      });
    });

    await test('public page: light, dark and a 360 px phone (screenshots)', async () => {
      await a.goto(`${base}/status`, { waitUntil: 'load' });
      await exactText(a.locator('h1'), 'Acme Status', 'the page name');
      await expectText(a.locator('.overall'), 'Partially Degraded Service', 'overall status');
      await expectText(a.locator('.active-incidents'), 'Slow searches', 'the open incident');
      await expectText(a.locator('.maintenance-upcoming'), 'Network maintenance', 'upcoming maintenance');
      await a.locator('.components .bar').first().waitFor();
      assert.equal(await a.locator('nav[aria-label="Links"] a', { hasText: 'Support' }).getAttribute('href'), 'https://support.example.com/', 'header link');
      const light = await a.evaluate(() => getComputedStyle(document.body).backgroundColor);
      await screenshot(a, 'status-public-light');

      await withPage('dark', { viewport: DESKTOP, colorScheme: 'dark' }, async (d) => {
        await d.goto(`${base}/status`, { waitUntil: 'load' });
        await exactText(d.locator('h1'), 'Acme Status', 'dark: the page name');
        const dark = await d.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.notEqual(dark, light, `prefers-color-scheme: dark changes the colors (${light} / ${dark})`);
        assert.equal(await d.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), true);
        await screenshot(d, 'status-public-dark');
      }, { timeouts: false });

      await withPage('phone', { viewport: PHONE, isMobile: true, hasTouch: true }, async (p) => {
        for (const [path, name] of [
          ['/status', 'status-public-mobile'],
          [`/status/incidents/${fixture.incident.public_id}`, 'status-public-incident-mobile'],
          [`/status/history/${new Date().toISOString().slice(0, 7)}`, 'status-public-history-mobile'],
        ]) {
          await p.goto(`${base}${path}`, { waitUntil: 'load' });
          await p.locator('h1').waitFor();
          await assertNoHorizontalScroll(p, `${path} on a 360 px phone`);
          await screenshot(p, name);
        }
        // The console's Status page on the phone too.
        await login(p, base);
        await visit(p, base, '/ui/status', '[data-testid="sp-component"]');
        await assertNoHorizontalScroll(p, 'console status page on a phone');
        await screenshot(p, 'status-console-mobile');
      }, { timeouts: false });
    });

    await test('with JavaScript disabled the public page and an incident page show everything', async () => {
      await withPage('nojs', { viewport: { width: 1024, height: 900 }, javaScriptEnabled: false }, async (n) => {
        await n.goto(`${base}/status`, { waitUntil: 'load' });
        await exactText(n.locator('h1'), 'Acme Status', 'name');
        await expectText(n.locator('.about'), 'Live status of the Acme shop.', 'about');
        await expectText(n.locator('.overall h2'), 'Partially Degraded Service', 'overall');
        const active = n.locator('.active-incidents article');
        assert.equal(await active.count(), 1, 'one active incident');
        await expectText(active, 'Slow searches', 'its name');
        await expectText(active, 'Searches take up to 10 seconds.', 'its update');
        await expectText(active, 'Website', 'its component');
        await expectText(n.locator('.maintenance-upcoming'), 'Network maintenance', 'upcoming maintenance');
        const rows = await n.locator('.components .component-row').allTextContents();
        const flat = rows.map((r) => r.replace(/\s+/g, ' ').trim());
        assert.deepEqual(
          flat,
          ['Core\u2714 Operational', 'API\u2714 Operational', 'Website\u25B2 Degraded performance'],
          'every component with its status (a group shows the worst of its components)',
        );
        assert.equal(await n.locator('.components .bar').count(), 2, 'an uptime bar per showcased component');
        assert.equal(await n.locator('.components .bar').first().locator('.day').count(), 90, '90 days');
        await expectText(n.locator('.past'), 'Checkout errors', 'the resolved incident in the past week');
        assert.equal(await n.locator('script').count(), 0, 'the page has no scripts at all');
        await screenshot(n, 'status-public-nojs');

        // Its incident page, reached by the link.
        await n.locator('.past a', { hasText: 'Checkout errors' }).click();
        await n.waitForURL(new RegExp(`/status/incidents/${fixture.incident.public_id}$`));
        await exactText(n.locator('h1'), 'Checkout errors', 'incident name');
        await expectText(n.locator('.meta'), 'Major impact', 'impact');
        await expectText(n.locator('.meta'), 'Resolved', 'status');
        await expectText(n.locator('.affected'), 'API', 'affected component');
        const updates = n.locator('.updates .update');
        assert.equal(await updates.count(), 2, 'both updates');
        await expectText(updates.nth(0), 'The rollback fixed it. Payments work again.', 'newest first');
        await expectText(updates.nth(1), 'Payments fail for some customers.', 'the first update');
        await expectText(updates.nth(1), 'Identified', 'its status');
        assert.match(await updates.nth(0).locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/, 'machine-readable time');
        await expectText(updates.nth(0).locator('time'), /CES?T/, 'times in the page zone (Europe/Berlin)');
        await screenshot(n, 'status-public-incident-nojs');
        // The month's history too.
        await n.locator('footer a', { hasText: 'Incident history' }).click();
        await expectText(n.locator('main'), 'Checkout errors', 'history lists it');
        assert.equal(await n.locator('script').count(), 0, 'no scripts');
      }, { timeouts: false });
    });

    await test('a component status changed through the API shows on reload', async () => {
      await a.goto(`${base}/status`, { waitUntil: 'load' });
      const apiRow = a.locator('.components li.component', { hasText: 'API' }).locator('.component-status');
      await exactText(apiRow, /Operational$/, 'operational first');
      const res = await fetch(`${base}/api/v1/status/components/${fixture.components.API.public_id}`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${admin.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ status: 'major_outage' }),
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(res.status, 200, `PATCH: ${await res.text()}`);
      await a.reload({ waitUntil: 'load' });
      await exactText(a.locator('.components li.component', { hasText: 'API' }).locator('.component-status'), /Major outage$/, 'major outage after reload');
      await expectText(a.locator('.overall h2'), 'Major Service Outage', 'overall follows');
      await exactText(a.locator('.components li.group .component-row .component-status').first(), /Major outage$/, 'the group shows the worst');
      // Conditional GET: the same page answers 304 until something changes.
      const first = await getPublic(base, '/status');
      const etag = first.headers.get('etag');
      assert.ok(etag, 'an ETag');
      const again = await fetch(`${base}/status`, { headers: { 'If-None-Match': etag }, signal: AbortSignal.timeout(10_000) });
      assert.equal(again.status, 304);
      await admin.patch(`/status/components/${fixture.components.API.public_id}`, { status: 'operational' });
      const changed = await fetch(`${base}/status`, { headers: { 'If-None-Match': etag }, signal: AbortSignal.timeout(10_000) });
      assert.equal(changed.status, 200, 'a change gives a new page');
    });

    await test('hostile names are text on the public page and in the console; nothing runs', async () => {
      const compName = `${HOSTILE_IMG} ${RLO}evil`;
      const incName = `${HOSTILE_SCRIPT} ${RLO}gnp.exe`;
      const incBody = `${HOSTILE_IMG} and ${HOSTILE_SCRIPT} ${RLO}txt.exe`;
      const comp = await admin.post('/status/components', { name: compName, description: HOSTILE_SCRIPT }, 201);
      const inc = await admin.post('/status/incidents', { name: incName, body: incBody, impact: 'critical', components: { [comp.public_id]: 'major_outage' } }, 201);
      const shown = (s) => s.replace(RLO, '');

      for (const js of [true, false]) {
        await withPage('hostile', { viewport: { width: 1024, height: 900 }, javaScriptEnabled: js }, async (h) => {
          for (const path of ['/status', `/status/incidents/${inc.public_id}`]) {
            await h.goto(`${base}${path}`, { waitUntil: 'load' });
            await sleep(200); // an onerror would fire by now
            await assertNothingInjected(h, `${path} (JavaScript ${js ? 'on' : 'off'})`);
            assert.equal(await h.locator('script').count(), 0, `${path}: no script element at all`);
            const html = await h.content();
            assert.ok(!html.includes(RLO), `${path}: the right-to-left override is removed`);
            assert.ok(!html.includes('<img src=x') && !html.includes('<script>alert'), `${path}: markup escaped`);
            const text = await h.locator('main').textContent();
            assert.ok(text.includes(shown(incName)), `${path}: the incident name is text`);
            assert.ok(text.includes(shown(incBody)), `${path}: the update is text`);
            assert.ok(text.includes(shown(compName)), `${path}: the component name is text`);
            // User text is isolated from what surrounds it.
            assert.ok((await h.locator('bdi', { hasText: 'gnp.exe' }).count()) > 0, `${path}: the name is in a <bdi>`);
          }
          await expectText(h.locator('h1'), shown(incName), 'incident page h1');
          assert.match(await h.title(), /^<script>alert\(1\)<\/script> gnp\.exe/, 'the title is text too');
          if (!js) await screenshot(h, 'status-public-hostile');
        }, { watchAs: `hostile-js-${js}`, timeouts: false });
      }
      // The feeds and JSON stay well-formed.
      const s = await summary(base);
      assert.equal(componentIn(s, shown(compName)) || componentIn(s, compName) ? 'found' : 'missing', 'found');
      const atom = await (await getPublic(base, '/status/feed.atom')).text();
      assert.ok(!atom.includes('<script>'), 'the Atom feed escapes');

      // The console shows them as text as well.
      for (const path of ['/ui/status', `/ui/status/incidents/${inc.id}`]) {
        await visit(a, base, path);
        await a.getByText(HOSTILE_SCRIPT).first().waitFor();
        await sleep(200);
        await assertNothingInjected(a, path);
      }
      await exactText(byTestId(a, 'sp-detail-name'), incName, 'console: incident name as text');
      await exactText(byTestId(a, 'sp-update-body'), incBody, 'console: body as text');
      await visit(a, base, '/ui/status');
      const item = a.locator(`[data-testid="sp-component"][data-public-id="${comp.public_id}"]`);
      await exactText(item.locator('[data-testid="sp-component-name"]'), compName, 'console: component name as text');
      assert.equal(await item.locator('[data-testid="sp-component-name"] bdi').count(), 1, 'console: isolated');
      await screenshot(a, 'status-console-hostile-A');
      fixture.hostile = { comp, inc };
    });

    await test('accessibility basics of the public pages', async () => {
      for (const path of ['/status', `/status/incidents/${fixture.incident.public_id}`, `/status/incidents/${fixture.maintenance.public_id}`, '/status/history']) {
        await a.goto(`${base}${path}`, { waitUntil: 'load' });
        const facts = await accessibilityChecks(a, path);
        if (path === '/status') {
          assert.ok(facts.bars.length >= 3, `uptime bars checked (${facts.bars.length})`);
          assert.equal(facts.images.length, 1, 'the logo');
          assert.equal(facts.images[0].alt, 'Acme Status', 'the logo is named after the page');
          assert.match(facts.bars[0].name, /^Uptime of .+ over the past 90 days: \d+\.\d\d %/, 'a bar says what it shows');
          // The status of a component is text, not only a color.
          const statuses = await a.locator('.component-status').allTextContents();
          assert.ok(statuses.every((t) => /[A-Za-z]/.test(t)), 'statuses are words');
          // The skip link works.
          await a.keyboard.press('Tab');
          assert.equal(await a.evaluate(() => document.activeElement.className), 'skip-link', 'the skip link comes first');
        }
      }
    });

    await test('console: admins see the subscribers and remove one', async () => {
      await admin.post('/status/subscribers', { email: 'reader@example.test', confirmed: true }, 201);
      await admin.post('/status/subscribers', { webhook: 'https://hooks.example.test/status', components: ['API'] }, 201);
      await visit(a, base, '/ui/status', '[data-testid="sp-sub"]');
      const rows = byTestId(a, 'sp-sub');
      await rows.nth(1).waitFor();
      assert.equal(await rows.count(), 2, 'two subscribers');
      const hook = a.locator('[data-testid="sp-sub"]', { hasText: 'hooks.example.test' });
      await expectText(hook, 'About API', 'the webhook is about API only');
      await expectText(a.locator('[data-testid="sp-sub"]', { hasText: 'reader@example.test' }), 'active', 'the reader is active');
      const remove = hook.locator('[data-testid="sp-sub-remove"]');
      await remove.click();
      await expectText(remove, 'Remove https://hooks.example.test/status?', 'asks first');
      await remove.click();
      await a.locator('[data-testid="sp-sub"]', { hasText: 'hooks.example.test' }).waitFor({ state: 'detached' });
      const left = await admin.get('/status/subscribers');
      assert.deepEqual(left.items.map((x) => x.email), ['reader@example.test']);
      // The public form lists the components to choose from.
      await a.goto(`${base}/status/subscribe`, { waitUntil: 'load' });
      assert.equal(await a.locator('form[action="/status/subscribe"] input[name="components"]').count() > 0, true, 'component boxes');
    });

    await test('a responder sets statuses only; a viewer reads', async () => {
      await withPage('C', { viewport: { width: 1024, height: 800 } }, async (c) => {
        await loginAs(c, base, RESPONDER);
        await byTestId(c, 'nav-status').click();
        await byTestId(c, 'sp-component').first().waitFor();
        assert.equal(await byTestId(c, 'status-responder-note').isVisible(), true, 'the page explains');
        assert.equal(await byTestId(c, 'sp-settings-panel').isVisible(), false, 'no settings');
        assert.equal(await byTestId(c, 'sp-subscribers-panel').isVisible(), false, 'no subscribers');
        assert.equal(await byTestId(c, 'sp-component-form').isVisible(), false, 'no add form');
        assert.equal(await byTestId(c, 'sp-component-edit').count(), 0, 'no Edit');
        assert.equal(await byTestId(c, 'sp-component-delete').count(), 0, 'no Delete');
        assert.equal(await byTestId(c, 'sp-publish-form').isVisible(), true, 'may publish');
        assert.equal(await byTestId(c, 'sp-mt-form').isVisible(), true, 'may schedule');
        const select = c.locator('[data-testid="sp-component"]', { hasText: 'Website' }).locator('[data-testid="sp-component-status"]');
        await select.selectOption('partial_outage');
        await summaryUntil(base, (s) => componentIn(s, 'Website').status === 'partial_outage', 'the responder set Website');
        await logout(c);

        await loginAs(c, base, VIEWER);
        await visit(c, base, '/ui/status', '[data-testid="sp-component"]');
        assert.equal(await byTestId(c, 'status-readonly').isVisible(), true, 'the page says why');
        assert.equal(await byTestId(c, 'sp-component-status').count(), 0, 'no selects for a viewer');
        await expectText(c.locator('[data-testid="sp-component"]', { hasText: 'Website' }), 'Partial outage', 'the status as text');
        for (const id of ['sp-publish-form', 'sp-mt-form', 'sp-settings-form', 'sp-component-form']) {
          assert.equal(await byTestId(c, id).isVisible(), false, `no ${id} for a viewer`);
        }
        await visit(c, base, `/ui/status/incidents/${fixture.incident.id}`);
        await exactText(byTestId(c, 'sp-detail-name'), 'Checkout errors', 'the viewer reads the incident');
        assert.equal(await byTestId(c, 'sp-update-form').isVisible(), false, 'no update form for a viewer');
        await visit(c, base, '/ui/status/incidents/999999');
        await expectText(c.locator('main h1'), 'Not found', 'an unknown one is not found');
      });
    });

    await noProblemsTest('no script errors, CSP violations or dialogs');
  },
);
