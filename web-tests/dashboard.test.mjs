// Browser tests of the ktrdr dashboard: headless Debian chromium driven by
// playwright-core against a real `ktrdr up` on free loopback ports.
//
//   node web-tests/dashboard.test.mjs        (scripts/browser-tests.sh installs what it needs)
//
// Environment:
//   KTRDR_BIN        the ktrdr binary (default: go build ./cmd/ktrdr into a temp dir)
//   KTRDR_ARTIFACTS  artifacts folder (default ./artifacts): screenshots go to
//                    $KTRDR_ARTIFACTS/screenshots, the stack's log to $KTRDR_ARTIFACTS/ktrdr-up.log
//   CHROMIUM         the browser (default /usr/bin/chromium)
//   KTRDR_DASHBOARD_URL  use an already running stack (its API URL) instead of starting one
//
// Any console error, page error or unexpected 4xx/5xx answer fails the run;
// the one 400 the validation step provokes on purpose is the only exception.

import { createRequire } from 'node:module';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, createWriteStream, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core'); // resolved through NODE_PATH (the npm ci cache)

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ARTIFACTS = path.resolve(ROOT, process.env.KTRDR_ARTIFACTS || 'artifacts');
const SHOTS = path.join(ARTIFACTS, 'screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const STRATEGY = 'volatility_regime'; // SPX 1d; trains in about a second

const scratch = mkdtempSync(path.join(tmpdir(), 'ktrdr-web-tests-'));
mkdirSync(SHOTS, { recursive: true });

// ---------- the stack ----------

function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

// freePort draws below the kernel's ephemeral range, as internal/testkit does:
// a port handed out by ":0" can be taken by an outgoing connection first.
const taken = new Set();
async function freePort() {
  for (let i = 0; i < 1000; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (!taken.has(port) && (await portFree(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free loopback port in 20000-31999');
}

function ktrdrBinary() {
  if (process.env.KTRDR_BIN) return process.env.KTRDR_BIN;
  const bin = path.join(scratch, 'ktrdr');
  console.log('building ktrdr…');
  execFileSync('go', ['build', '-o', bin, './cmd/ktrdr'], { cwd: ROOT, stdio: 'inherit' });
  return bin;
}

async function startStack() {
  const ports = {};
  const args = ['up'];
  for (const flag of ['api-port', 'ib-host-port', 'training-port', 'backtest-port', 'collector-grpc-port', 'collector-http-port', 'query-port']) {
    ports[flag] = await freePort();
    args.push(`--${flag}`, String(ports[flag]));
  }
  const dataDir = path.join(scratch, 'data');
  args.push('--data-dir', dataDir);
  const log = createWriteStream(path.join(ARTIFACTS, 'ktrdr-up.log'));
  const child = spawn(ktrdrBinary(), args, {
    cwd: scratch, // no ./strategies here: the built-in examples
    env: { ...process.env, KTRDR_DATA_DIR: dataDir, OTEL_BSP_SCHEDULE_DELAY: '100', ENVIRONMENT: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const onData = (b) => {
    out += b;
    log.write(b);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.once('exit', (code, sig) => resolve({ code, sig })));
  const deadline = Date.now() + 90_000;
  while (!out.includes('ktrdr is up')) {
    if (child.exitCode !== null) throw new Error(`ktrdr up exited ${child.exitCode}:\n${out.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`ktrdr up not up within 90s:\n${out.slice(-3000)}`);
    await sleep(100);
  }
  return {
    api: `http://127.0.0.1:${ports['api-port']}`,
    query: `http://127.0.0.1:${ports['query-port']}`,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM'); // up stops its children, API first, collector last
      const t = setTimeout(() => child.kill('SIGKILL'), 40_000);
      await exited;
      clearTimeout(t);
      log.end();
    },
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

// ---------- helpers ----------

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(what, fn, timeout = 30_000, every = 250) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout / 1000}s waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await sleep(every);
  }
}

// getJSON reads as the test, not as the page: with the poll header, so the
// API makes no spans and the span count below is the page's alone.
async function getJSON(url, headers = { 'X-Ktrdr-Poll': '1' }) {
  const r = await fetch(url, { headers: { Accept: 'application/json', ...headers } });
  const body = await r.json();
  if (!r.ok) throw new Error(`${url} answered ${r.status}: ${JSON.stringify(body)}`);
  return body;
}

let shotNo = 0;
async function shot(page, name) {
  shotNo++;
  const file = path.join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await page.waitForTimeout(250); // let bars and charts settle
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

async function noHorizontalScroll(page, where) {
  const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(m.scroll <= m.width, `${where}: the page scrolls horizontally (${m.scroll}px wide in a ${m.width}px viewport)`);
}

// ---------- console and network watch ----------

const problems = [];
const expected = []; // {method, path, status}: failures a step provokes on purpose
let pollRequests = 0;
const tracedRequests = new Map(); // "METHOD /path" → count of requests without the poll header

function watch(page, label) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location() && msg.location().url;
    const m = /status of (\d+)/.exec(msg.text());
    if (m && url) {
      const u = new URL(url);
      const i = expected.findIndex((e) => e.path === u.pathname && e.status === Number(m[1]) && e.seenConsole !== true);
      if (i >= 0) {
        expected[i].seenConsole = true;
        return;
      }
    }
    problems.push(`[${label}] console error: ${msg.text()}${url ? ` (${url})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`[${label}] page error: ${err.message}`));
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (!u.pathname.startsWith('/api/')) return;
    if (req.headers()['x-ktrdr-poll']) pollRequests++;
    else {
      const key = `${req.method()} ${u.pathname}`;
      tracedRequests.set(key, (tracedRequests.get(key) || 0) + 1);
    }
  });
  page.on('response', (resp) => {
    if (resp.status() < 400) return;
    const u = new URL(resp.url());
    const i = expected.findIndex((e) => e.path === u.pathname && e.status === resp.status() && e.method === resp.request().method() && !e.seenResponse);
    if (i >= 0) {
      expected[i].seenResponse = true;
      return;
    }
    problems.push(`[${label}] unexpected ${resp.status()} for ${resp.request().method()} ${u.pathname}${u.search}`);
  });
}

// ---------- steps ----------

const results = [];
let failed = false;

async function step(name, fn, page) {
  if (failed) {
    results.push({ name, status: 'skipped' });
    console.log(`- skip  ${name}`);
    return;
  }
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, status: 'passed' });
    console.log(`✔ pass  ${name} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  } catch (e) {
    failed = true;
    results.push({ name, status: 'failed', error: e });
    console.log(`✘ FAIL  ${name} (${((Date.now() - t0) / 1000).toFixed(1)}s)\n${e.stack || e}`);
    const p = typeof page === 'function' ? page() : page;
    if (p) await p.screenshot({ path: path.join(SHOTS, `FAILED-${name.replace(/[^a-z0-9]+/gi, '-')}.png`), fullPage: true }).catch(() => {});
  }
}

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/browser-tests.sh does)`);
  let stack = null;
  let api = process.env.KTRDR_DASHBOARD_URL;
  let query = '';
  if (!api) {
    stack = await startStack();
    activeStack = stack;
    api = stack.api;
    query = stack.query;
  } else {
    query = (await getJSON(`${api}/api/v1/system/config`)).query_url;
  }
  console.log(`dashboard at ${api}/ (traces from ${query}); screenshots in ${SHOTS}`);
  // Playwright starts chromium with a fresh, temporary --user-data-dir of its own.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  let page = null;
  let phone = null;
  const state = {};
  try {
    const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await desktop.newPage();
    page.setDefaultTimeout(30_000);
    watch(page, '1280x800');

    await step('the dashboard is served at / to browsers, JSON to others', async () => {
      const info = await getJSON(`${api}/`, {});
      assert.equal(info.service, 'ktrdr-api');
      await page.goto(`${api}/`);
      await page.getByRole('heading', { name: 'Operations', level: 1 }).waitFor();
      await page.locator('#live[data-state="ok"]').waitFor();
      await noHorizontalScroll(page, 'operations');
      await shot(page, 'operations-empty');
    }, page);

    await step('start a training of volatility_regime from the form', async () => {
      await page.getByRole('link', { name: 'Start', exact: true }).click();
      await page.locator('#training-form').waitFor();
      await page.getByLabel('Strategy').first().waitFor();
      await page.locator('#training-strategy').selectOption(STRATEGY);
      await shot(page, 'start-forms');
      await page.locator('#training-submit').click();
      await page.waitForURL(/#\/operations\/op_training_/);
      state.training = decodeURIComponent(page.url().split('#/operations/')[1]);
      await page.locator('#op-type', { hasText: 'training' }).waitFor();
      await shot(page, 'training-started');
    }, page);

    await step('its progress reaches 100% with loss and accuracy charts', async () => {
      await page.locator('#op-pct', { hasText: '100%' }).waitFor({ timeout: 90_000 });
      await page.locator('#op-status .status-completed').waitFor();
      await page.locator('#op-status .badge').textContent().then((t) => assert.equal(t, 'completed'));
      await page.locator('#loss-chart path.chart-line').first().waitFor();
      const lines = await page.locator('#loss-chart path.chart-line, #accuracy-chart path.chart-line').count();
      assert.equal(lines, 4, 'loss, val loss, accuracy and val accuracy lines');
      const epochs = await getJSON(`${api}/api/v1/operations/${state.training}/metrics`);
      assert.ok(epochs.metrics.length > 0, 'the training reported epochs');
      assert.match(await page.locator('#epoch-count').textContent(), new RegExp(`epoch ${epochs.metrics.length}\\b`));
      await page.locator('#training-result').waitFor();
      await noHorizontalScroll(page, 'training');
      await shot(page, 'training-done');
    }, page);

    await step('its trace waterfall shows the API, the training worker and the host service', async () => {
      const op = await getJSON(`${api}/api/v1/operations/${state.training}`);
      state.trainingTrace = op.trace_id;
      await page.locator('#op-trace-link').click();
      await page.waitForURL(/\/trace$/);
      const services = await waitFor('the spans of all three services', async () => {
        const s = await page.locator('#waterfall .wf-row').evaluateAll((rows) => [...new Set(rows.map((r) => r.dataset.service))]);
        return s.includes('ktrdr-api') && s.includes('ktrdr-ib-host-service') && s.some((x) => x.startsWith('ktrdr-training-worker-')) && s;
      }, 30_000);
      assert.ok(services.length >= 3);
      // One trace from the API's POST onward: the root is the start request.
      const root = page.locator('#waterfall .wf-row').first();
      assert.equal(await root.getAttribute('data-service'), 'ktrdr-api');
      assert.equal(await root.getAttribute('data-span'), 'POST /api/v1/training/start');
      for (const name of ['training.run', 'training.fit', 'POST /data/historical']) {
        assert.ok(await page.locator(`#waterfall .wf-row[data-span="${name}"]`).count() > 0, `span ${name} in the waterfall`);
      }
      // A span opens to its attributes and events.
      const fit = page.locator('#waterfall .wf-row[data-span="training.fit"]').first();
      await fit.click();
      assert.equal(await fit.getAttribute('aria-expanded'), 'true');
      const detail = page.locator(`#${await fit.getAttribute('aria-controls')}`);
      await detail.locator('.kv-table').first().waitFor();
      assert.match(await detail.locator(".kv-table").first().textContent(), /training\.epochs/);
      assert.match(await detail.locator('.events').textContent(), /epoch/);
      const ext = await page.locator('#trace-external').getAttribute('href');
      assert.equal(ext, `${query}/trace/${state.trainingTrace}`, 'link to the trace page of the configured query URL');
      assert.match(await page.locator('#trace-meta').textContent(), /spans · \d+ services/);
      await noHorizontalScroll(page, 'trace');
      await shot(page, 'training-trace');
    }, page);

    await step('start a backtest of the new model and see its equity curve', async () => {
      await page.goto(`${api}/#/operations/${state.training}`);
      await page.locator('#backtest-model').click();
      await page.waitForURL(/#\/start\/backtest\?/);
      await page.locator('#backtest-form').waitFor();
      const model = await getJSON(`${api}/api/v1/models/${STRATEGY}/1d/latest`);
      assert.equal(await page.locator('#backtest-strategy').inputValue(), STRATEGY);
      assert.equal(await page.locator('#backtest-model_version').inputValue(), String(model.version));
      await page.locator('#backtest-submit').click();
      await page.waitForURL(/#\/operations\/op_backtesting_/);
      state.backtest = decodeURIComponent(page.url().split('#/operations/')[1]);
      await page.locator('svg#equity-curve path.chart-line').waitFor({ timeout: 90_000 });
      const points = Number(await page.locator('svg#equity-curve').getAttribute('data-points'));
      assert.ok(points > 100, `equity curve has ${points} points`);
      assert.ok(await page.locator('#trades-table tbody tr').count() > 0, 'trades listed');
      assert.match(await page.locator('#backtest-metrics').textContent(), /Sharpe/);
      const params = await page.locator('#op-specific').textContent();
      assert.match(params, new RegExp(`model ${STRATEGY}/1d_v${model.version}`));
      await noHorizontalScroll(page, 'backtest');
      await shot(page, 'backtest-equity');
    }, page);

    await step('a bad value shows the API\'s message next to its field', async () => {
      await page.goto(`${api}/#/start/backtest`);
      await page.locator('#backtest-strategy').selectOption(STRATEGY);
      await page.locator('#backtest-initial_capital').fill('-5');
      expected.push({ method: 'POST', path: '/api/v1/backtests/start', status: 400 });
      const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/backtests/start'));
      await page.locator('#backtest-submit').click();
      const body = await (await answer).json();
      assert.equal(body.error.field, 'initial_capital');
      const msg = page.locator('#backtest-initial_capital-error');
      await msg.filter({ hasText: body.error.message }).waitFor();
      assert.match(body.error.message, /initial_capital must be > 0/);
      // Next to the field: in the same field group, described by it, marked invalid.
      const field = page.locator('.field[data-field="initial_capital"]');
      assert.equal(await field.locator('.field-error').textContent(), body.error.message);
      assert.equal(await page.locator('#backtest-initial_capital').getAttribute('aria-invalid'), 'true');
      assert.match(await page.locator('#backtest-initial_capital').getAttribute('aria-describedby'), /backtest-initial_capital-error/);
      assert.equal(await page.locator('.field-error:not(:empty)').count(), 1, 'only that field shows an error');
      assert.ok(page.url().includes('#/start/backtest'), 'no operation was started');
      await shot(page, 'validation-message');
    }, page);

    await step('load data from the form and chart the stored series', async () => {
      await page.goto(`${api}/#/start/data_load`);
      await page.locator('#data_load-symbol').fill('SPX');
      await page.locator('#data_load-timeframe').selectOption('1d');
      await page.locator('#data_load-mode').selectOption('full');
      await page.locator('#data_load-submit').click();
      await page.waitForURL(/#\/operations\/op_data_load_/);
      await page.locator('#op-status .status-completed').waitFor({ timeout: 60_000 });
      await page.getByRole('link', { name: 'Data', exact: true }).click();
      await page.locator('#data-body tr', { hasText: 'SPX' }).waitFor();
      await page.locator('svg#price-chart path.chart-line').waitFor();
      await noHorizontalScroll(page, 'data');
      await shot(page, 'data');
    }, page);

    await step('models and workers pages list what the stack has', async () => {
      await page.getByRole('link', { name: 'Models', exact: true }).click();
      await page.locator(`#models-body tr[data-model^="${STRATEGY}/1d_v"]`).first().waitFor();
      assert.match(await page.locator('#models-body').textContent(), /%/);
      await shot(page, 'models');
      await page.getByRole('link', { name: 'Workers', exact: true }).click();
      await page.locator('#workers-body tr').nth(1).waitFor();
      const text = await page.locator('#workers-body').textContent();
      assert.match(text, /training/);
      assert.match(text, /backtest/);
      assert.match(text, /http:\/\/127\.0\.0\.1:\d+/);
      await shot(page, 'workers');
      // Filters and the list: the training shows under type=training.
      await page.getByRole('link', { name: 'Operations', exact: true }).click();
      await page.locator('#filter-type').selectOption('training');
      await page.locator(`#ops-body tr[data-id="${state.training}"]`).waitFor();
      await waitFor('only trainings listed', async () => (await page.locator('#ops-body tr').evaluateAll((rows) => rows.every((r) => r.dataset.id.startsWith('op_training_')))));
      await page.locator('#filter-type').selectOption('');
      await page.locator(`#ops-body tr[data-id="${state.backtest}"]`).waitFor();
      await shot(page, 'operations');
    }, page);

    await step('cancel a running operation from the list', async () => {
      const r = await fetch(`${api}/api/v1/dummy/start`, { method: 'POST', body: JSON.stringify({ duration_seconds: 60, steps: 60 }) });
      const { operation_id: id } = await r.json();
      const row = page.locator(`#ops-body tr[data-id="${id}"]`);
      await row.waitFor();
      await row.getByRole('button', { name: `Cancel ${id}` }).click();
      await row.locator('.status-cancelled').waitFor({ timeout: 30_000 });
      assert.equal(await row.getByRole('button').count(), 0, 'no cancel button once cancelled');
    }, page);

    await step('a failed operation shows its error text', async () => {
      const r = await fetch(`${api}/api/v1/dummy/start`, { method: 'POST', body: JSON.stringify({ duration_seconds: 0.5, steps: 2, fail_at_step: 1 }) });
      const { operation_id: id } = await r.json();
      await page.goto(`${api}/#/operations/${id}`);
      await page.locator('#op-status .status-failed').waitFor({ timeout: 30_000 });
      const op = await getJSON(`${api}/api/v1/operations/${id}`);
      assert.ok(op.error, 'the API reports an error');
      assert.equal(await page.locator('#op-error-text').textContent(), op.error);
      await shot(page, 'failed-operation');
      // Its trace marks the failed span.
      await page.locator('#op-trace-link').click();
      const failedSpan = page.locator('#waterfall .wf-row.error[data-span="dummy.run"]');
      await failedSpan.waitFor();
      await failedSpan.click();
      const detail = page.locator(`#${await failedSpan.getAttribute('aria-controls')}`);
      assert.match(await detail.textContent(), new RegExp(`error: ${op.error}`));
      await shot(page, 'failed-trace');
    }, page);

    await step('polling pauses while the tab is hidden and resumes when it is visible', async () => {
      await page.goto(`${api}/#/workers`);
      await page.locator('#workers-body tr').first().waitFor();
      await sleep(2000);
      const setVisibility = (state) => page.evaluate((st) => {
        Object.defineProperty(document, 'visibilityState', { value: st, configurable: true });
        Object.defineProperty(document, 'hidden', { value: st === 'hidden', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
      assert.ok(pollRequests > 0);
      await setVisibility('hidden');
      await page.locator('#live[data-state="paused"]').waitFor();
      const before = pollRequests;
      await sleep(4000);
      assert.equal(pollRequests, before, 'no polls while hidden');
      await setVisibility('visible');
      await waitFor('a poll right after the tab is visible again', () => pollRequests > before, 1000, 50);
      await page.locator('#live[data-state="ok"]').waitFor();
    }, page);

    await step('polls make no spans; page actions are traced', async () => {
      assert.ok(pollRequests >= 3, `the page polled (${pollRequests} polls)`);
      // Every span of GET /api/v1/operations/{id} comes from a request without the poll header.
      const opGets = [...tracedRequests].filter(([k]) => /^GET \/api\/v1\/operations\/op_[^/]+$/.test(k)).reduce((n, [, c]) => n + c, 0);
      const route = 'GET /api/v1/operations/{id}';
      const count = async () => {
        const start = (Date.now() - 3600_000) * 1000;
        const traces = await getJSON(`${query}/api/traces?service=ktrdr-api&operation=${encodeURIComponent(route)}&limit=10000&start=${start}`);
        return traces.data.flatMap((t) => t.spans.filter((sp) => sp.operationName === route)).length;
      };
      let spans = 0;
      await waitFor(`${opGets} spans of ${route}`, async () => (spans = await count()) >= opGets, 10_000).catch(() => {});
      await sleep(300);
      spans = await count();
      assert.equal(spans, opGets, `${spans} spans of ${route} for the page's ${opGets} unmarked requests of it (polls must make none)`);
      // The training started from the page is one trace from the API's POST on.
      const tr = await getJSON(`${query}/api/traces/${state.trainingTrace}`);
      const roots = tr.data[0].spans.filter((s) => !s.references.some((r) => r.refType === 'CHILD_OF'));
      assert.equal(roots.length, 1);
      assert.equal(roots[0].operationName, 'POST /api/v1/training/start');
    }, page);

    await step('phone width (375x740): every page fits without horizontal scrolling', async () => {
      const ctx = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      phone = await ctx.newPage();
      phone.setDefaultTimeout(30_000);
      watch(phone, '375x740');
      const pages = [
        ['operations', '#/operations', '#ops-body tr'],
        ['training', `#/operations/${state.training}`, '#loss-chart path.chart-line'],
        ['trace', `#/operations/${state.training}/trace`, '#waterfall .wf-row'],
        ['backtest', `#/operations/${state.backtest}`, 'svg#equity-curve path.chart-line'],
        ['start', '#/start/backtest', '#backtest-form'],
        ['workers', '#/workers', '#workers-body tr'],
        ['data', '#/data', 'svg#price-chart path.chart-line'],
        ['models', '#/models', '#models-body tr'],
      ];
      for (const [name, hash, ready] of pages) {
        await phone.goto(`${api}/${hash}`);
        await phone.locator(ready).first().waitFor();
        await phone.waitForTimeout(300); // charts refit to the width
        await noHorizontalScroll(phone, `phone ${name}`);
        await shot(phone, `phone-${name}`);
      }
      // The navigation stays usable.
      await phone.getByRole('link', { name: 'Models', exact: true }).click();
      await phone.locator('#models-body tr').first().waitFor();
      // A bad value on the phone too.
      await phone.goto(`${api}/#/start/backtest`);
      await phone.locator('#backtest-strategy').selectOption(STRATEGY);
      await phone.locator('#backtest-initial_capital').fill('-5');
      expected.push({ method: 'POST', path: '/api/v1/backtests/start', status: 400 });
      await phone.locator('#backtest-submit').click();
      await phone.locator('#backtest-initial_capital-error', { hasText: 'initial_capital must be > 0' }).waitFor();
      await noHorizontalScroll(phone, 'phone validation');
      await shot(phone, 'phone-validation');
    }, () => phone);

    await step('no console errors, page errors or unexpected error answers', async () => {
      await sleep(500);
      for (const e of expected) {
        assert.ok(e.seenResponse, `expected ${e.status} for ${e.method} ${e.path} never came`);
      }
      assert.deepEqual(problems, []);
    });
  } finally {
    await browser.close().catch(() => {});
    if (stack) await stack.stop().catch(() => stack.kill());
    rmSync(scratch, { recursive: true, force: true });
  }
}

let activeStack = null;
const onSignal = () => {
  if (activeStack) activeStack.kill(); // its children get SIGTERM from the kernel (Pdeathsig)
  process.exit(130);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  await main();
} catch (e) {
  failed = true;
  results.push({ name: 'setup', status: 'failed', error: e });
  console.log(`✘ FAIL  setup\n${e.stack || e}`);
}
const count = (s) => results.filter((r) => r.status === s).length;
console.log(`\nscreenshots: ${SHOTS}`);
console.log(`browser: ${count('passed')} passed, ${count('failed')} failed` + (count('skipped') ? `, ${count('skipped')} skipped` : ''));
process.exit(failed ? 1 : 0);
