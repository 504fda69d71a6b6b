// Browser test of the analytics dashboard and the quarterly report against the real server.
//
//   KLAXON_BIN=build/klaxon KLAXON_TEST_OUTPUT=build/test-output node analytics.test.mjs
//
// Starts `klaxon serve` on a manual clock at Wednesday 2026-11-25 14:00 New York time and
// drives four incidents through known times with the API: INC-1 (checkout) acknowledged
// after 4 minutes and resolved after 30, INC-2 (payments) after 10 and 60, INC-3
// (checkout) after 1 and 6 and then marked noise, INC-4 (checkout) left open. By hand,
// without noise: 3 incidents, 1 open, MTTA mean 7m (median 4m, p90 10m: nearest rank of
// [4m, 10m]), MTTR mean 45m; with noise: 4 incidents, MTTA mean 5m ([1m, 4m, 10m]), MTTR
// mean 32m; payments alone: MTTA 10m. /ui/analytics must show those numbers in its tiles,
// load the three server-side SVG charts (naturalWidth > 0) with the same query, keep the
// filters in its URL and offer the CSV, the JSON and the quarterly report. The report opens
// in a new tab; it is printed to $KLAXON_TEST_OUTPUT/quarterly.pdf with headless chromium
// (%PDF, over 5 KB) and screenshot with print media emulated. Also a 360 px phone. Prints
// "N passed, M failed" last; exits non-zero on any failure.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import {
  DESKTOP,
  OUTPUT_ROOT,
  PHONE,
  assertNoHorizontalScroll,
  byTestId,
  createServicesAndPeople,
  exactText,
  expectText,
  login,
  log,
  navigate,
  runSuite,
  screenshot,
  visit,
  watchPage,
} from './harness.mjs';

const TOTAL_TIMEOUT_MS = 240_000; // the whole run (ctest allows 300 s)
const START = '2026-11-25T14:00:00-05:00';
const TIME_ZONE = 'America/New_York';
const MINUTE = 60;

process.env.KLAXON_CLOCK = 'manual';
process.env.KLAXON_CLOCK_START = START;

await runSuite(
  { serverName: 'analytics', totalTimeoutMs: TOTAL_TIMEOUT_MS, contextDefaults: { timezoneId: TIME_ZONE } },
  async ({ base, admin, test, problems, launchBrowser, openPage, withPage, noProblemsTest }) => {
    const advance = (seconds) => admin.post('/admin/clock/advance', { seconds });
    const refs = {};

    // Declares `title` on `service`, acknowledges after ackMin minutes and resolves
    // resolveMin minutes after declaring (null: left open).
    async function incident(title, service, ackMin, resolveMin) {
      const created = await admin.post('/incidents', { title, service, severity: 'SEV-2' }, 201);
      if (ackMin !== null) {
        await advance(ackMin * MINUTE);
        await admin.post(`/incidents/${created.id}/acknowledge`, {});
      }
      if (resolveMin !== null) {
        await advance((resolveMin - ackMin) * MINUTE);
        await admin.post(`/incidents/${created.id}/resolve`, { summary: 'Fixed.' });
      }
      await advance(5 * MINUTE); // the next one starts later
      return created;
    }

    await test('four incidents through known times on the manual clock', async () => {
      await createServicesAndPeople(admin);
      refs.one = await incident('Checkout 502s', 'checkout', 4, 30);
      refs.two = await incident('Payments timeouts', 'payments', 10, 60);
      refs.three = await incident('Flapping synthetic check', 'checkout', 1, 6);
      await admin.post(`/incidents/${refs.three.id}/noise`, { reason: 'The synthetic check flaps.' });
      refs.four = await incident('Checkout slow images', 'checkout', null, null);
      const report = await admin.get('/analytics');
      assert.equal(report.incidents.total, 3, 'noise is left out by default');
      assert.equal(report.mtta.mean, '7m');
      assert.equal(report.mttr.mean, '45m');
    });

    await launchBrowser();
    const page = await openPage('A', { viewport: DESKTOP });
    const tileValue = (key) => byTestId(page, `tile-${key}-value`);
    const loaded = (qs) => page.locator(`[data-testid="analytics"][data-loaded="${qs}"]`).waitFor({ state: 'attached' });

    // The chart images of the page: each loaded (naturalWidth > 0), their src the API's.
    async function chartsLoaded(query) {
      for (const name of ['weekly', 'severity', 'service']) {
        const img = byTestId(page, `an-chart-${name}`);
        await page.waitForFunction((node) => node.complete && node.naturalWidth > 0, await img.elementHandle());
        const src = await img.getAttribute('src');
        assert.equal(src, `/api/v1/analytics/charts/${name}.svg${query ? `?${query}` : ''}`, `the ${name} chart asks with the page's query`);
        assert.ok((await img.getAttribute('alt')).length > 5, `the ${name} chart has alt text`);
      }
    }

    await test('the dashboard shows the hand-computed MTTA and MTTR; the charts load', async () => {
      await login(page, base);
      await navigate(page, 'analytics', 'an-tiles');
      await loaded('default');
      await exactText(tileValue('incidents'), '3', 'incidents (noise left out)');
      await exactText(tileValue('open'), '1', 'still open');
      await exactText(tileValue('mtta'), '7m', 'MTTA mean');
      await expectText(byTestId(page, 'tile-mtta-sub'), 'median 4m · p90 10m · 2 incidents', 'MTTA median and p90');
      await exactText(tileValue('mttr'), '45m', 'MTTR mean');
      await expectText(byTestId(page, 'tile-mttr-sub'), 'median 30m · p90 1h', 'MTTR median and p90');
      await exactText(tileValue('mitigate'), '—', 'no mitigation moments');
      await expectText(byTestId(page, 'tile-incidents-sub'), 'left out: 1 noise', 'the noise left out');
      await expectText(byTestId(page, 'an-summary'), /drills left out, noise left out/, 'the period line');
      await chartsLoaded('');
      const alts = await page.locator('.an-chart-img').evaluateAll((imgs) => imgs.map((i) => i.alt));
      assert.deepEqual(alts, ['Incidents, MTTA and MTTR per week', 'Incidents by severity', 'Incidents by service']);
      // The tables.
      const slowest = byTestId(page, 'an-slowest-row');
      await exactText(slowest.first().locator('td').first(), refs.two.ref, 'the slowest acknowledgement first');
      assert.equal(await slowest.count(), 2);
      await expectText(byTestId(page, 'an-repeat-services-row'), /checkout\s*2/, 'checkout repeats');
      await expectText(byTestId(page, 'an-oncall-empty'), 'Nobody was paged', 'no pages without a policy');
      await expectText(byTestId(page, 'an-noise-count'), '1 incident marked as noise', 'the noise report');
      await screenshot(page, 'analytics-A-default');
    });

    await test('include noise and a service filter change the numbers and stay in the URL', async () => {
      await byTestId(page, 'an-include-noise').check();
      await page.waitForURL(/\/ui\/analytics\?include_noise=true$/);
      await loaded('include_noise=true');
      await exactText(tileValue('incidents'), '4', 'with noise');
      await exactText(tileValue('mtta'), '5m', 'MTTA mean of [1m, 4m, 10m]');
      await exactText(tileValue('mttr'), '32m', 'MTTR mean of [6m, 30m, 60m]');
      await chartsLoaded('include_noise=true');
      await byTestId(page, 'an-service').selectOption('payments');
      await page.waitForURL(/service=payments/);
      await loaded('service=payments&include_noise=true');
      await exactText(tileValue('incidents'), '1', 'payments alone');
      await exactText(tileValue('mtta'), '10m', 'the payments MTTA');
      await page.reload({ waitUntil: 'domcontentloaded' });
      await loaded('service=payments&include_noise=true');
      assert.equal(await byTestId(page, 'an-service').inputValue(), 'payments', 'the filter survives a reload');
      assert.equal(await byTestId(page, 'an-include-noise').isChecked(), true);
      await byTestId(page, 'an-service').selectOption('');
      await loaded('include_noise=true');
    });

    await test('a quarter is a period; the CSV, JSON and Markdown links use the same query', async () => {
      await byTestId(page, 'an-period').selectOption('2026-Q4');
      await loaded('quarter=2026-Q4&include_noise=true');
      await expectText(byTestId(page, 'an-summary'), /Oct 1, 2026 – Dec 31, 2026/, 'the quarter');
      await exactText(tileValue('incidents'), '4', 'the quarter holds them all');
      await chartsLoaded('quarter=2026-Q4&include_noise=true');
      const csvHref = await byTestId(page, 'an-csv').getAttribute('href');
      assert.equal(csvHref, '/api/v1/analytics?quarter=2026-Q4&include_noise=true&format=csv');
      const csv = await page.request.get(`${base}${csvHref}`);
      assert.equal(csv.status(), 200);
      assert.match(csv.headers()['content-type'] || '', /text\/csv/);
      const text = await csv.text();
      assert.ok(text.startsWith('id,ref,title'), 'the CSV header');
      assert.equal(text.trim().split('\r\n').length, 5, 'a line per incident');
      const json = await page.request.get(`${base}${await byTestId(page, 'an-json').getAttribute('href')}`);
      assert.equal((await json.json()).mtta.mean, '5m');
      const md = await page.request.get(`${base}${await byTestId(page, 'an-markdown').getAttribute('href')}`);
      assert.equal(md.status(), 200);
      assert.match(await md.text(), /2026-Q4/);
      // Custom dates: both are needed before the page asks.
      await byTestId(page, 'an-period').selectOption('custom');
      await byTestId(page, 'an-from').fill('2026-11-01');
      await expectText(byTestId(page, 'an-error'), 'Choose both dates', 'one date is not a period');
      await byTestId(page, 'an-to').fill('2026-11-30');
      await loaded('from=2026-11-01&to=2026-11-30&include_noise=true');
      await exactText(tileValue('incidents'), '4', 'November holds them all');
      await byTestId(page, 'an-period').selectOption('2026-Q4');
      await loaded('quarter=2026-Q4&include_noise=true');
    });

    await test('the quarterly report opens in a new tab, prints to PDF and in print media', async () => {
      const link = byTestId(page, 'an-report');
      assert.equal(await link.getAttribute('href'), '/api/v1/reports/quarterly?quarter=2026-Q4&include_noise=true');
      assert.equal(await link.getAttribute('target'), '_blank');
      assert.match(await link.getAttribute('rel'), /noopener/);
      const [report] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
      watchPage(report, 'report', problems);
      await report.waitForLoadState('load');
      assert.match(report.url(), /\/api\/v1\/reports\/quarterly\?quarter=2026-Q4/);
      await expectText(report.locator('body'), '2026-Q4', 'the report names the quarter');
      await expectText(report.locator('body'), 'MTTA', 'the headline numbers');
      const pdfPath = path.join(OUTPUT_ROOT, 'quarterly.pdf');
      fs.mkdirSync(OUTPUT_ROOT, { recursive: true });
      await report.pdf({ path: pdfPath, format: 'A4', printBackground: true });
      const pdf = fs.readFileSync(pdfPath);
      assert.equal(pdf.subarray(0, 4).toString('latin1'), '%PDF', 'a PDF');
      assert.ok(pdf.length > 5 * 1024, `the PDF has content (${pdf.length} bytes)`);
      log(`pdf ${pdfPath} (${pdf.length} bytes)`);
      await report.emulateMedia({ media: 'print' });
      await screenshot(report, 'analytics-quarterly-print');
      await report.close();
    });

    await test('the dashboard fits a 360 px phone', async () => {
      await withPage('phone', { viewport: PHONE }, async (phone) => {
        await login(phone, base);
        await visit(phone, base, '/ui/analytics?quarter=2026-Q4&include_noise=true', '[data-testid="analytics"][data-loaded]');
        await exactText(byTestId(phone, 'tile-mtta-value'), '5m', 'MTTA on the phone');
        await phone.waitForFunction(() => [...document.querySelectorAll('.an-chart-img')].every((i) => i.complete && i.naturalWidth > 0));
        await assertNoHorizontalScroll(phone, 'the analytics page on a phone');
        await screenshot(phone, 'analytics-phone');
      });
    });

    await noProblemsTest('no script errors, CSP violations or dialogs');
  },
);
