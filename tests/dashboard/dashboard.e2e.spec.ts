import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DASHBOARD_CSP } from '../../src/dashboard/dashboard.routes';
import { topics, type Topic } from '../../src/platform/graphql/topics';
import { callerFactory, PASSWORD, type Caller } from '../factories';
import { FAKE_ANSWER, startFakeOllama, type FakeOllama } from '../fakes/ollama.fake';
import { emailFactory, ingest } from '../ingestion/factories';
import { companyFactory, daysBefore, periodEndAfterNow, processedEmail, shiftTenantBack, synthesize } from '../insights/factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { eventually, startTestWorker, type TestWorker } from '../setup/worker';

/** Debian's Chromium; playwright-core never downloads a browser of its own here. */
const CHROMIUM = '/usr/bin/chromium';
/** Without the networking flags Chromium keeps calling Google's hosts, which this machine refuses. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const OUTPUT = path.join(__dirname, '..', '..', '.pebble', 'test-output');
/** Short, so the page has to refresh its token and reconnect its socket while the test watches. */
const ACCESS_TTL_SECONDS = 20;

const COMPLAINT = { category: 'complaint', priority: 'high', sentiment: -0.8, confidence: 0.9 };

describe('the live dashboard (issue 7)', () => {
  let ollama: FakeOllama;
  let env: TestEnv;
  let worker: TestWorker | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let admin: Caller;
  const problems: string[] = [];
  const sockets: string[] = [];
  let refreshes = 0;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `The dashboard's end-to-end test needs Chromium at ${CHROMIUM}, and it is not installed. ` +
          'Install it with `apt-get install -y --no-install-recommends chromium` (.ci/run does so on CI).',
      );
    }
    mkdirSync(OUTPUT, { recursive: true });
    ollama = await startFakeOllama();
    env = await createTestEnv({
      CLASSIFIER_PROVIDER: 'ollama',
      OLLAMA_HOST: ollama.url,
      PEBBLE_LLM_MODEL: 'llama3.1',
      CLASSIFIER_TIMEOUT_MS: '2000',
      JWT_ACCESS_TTL_SECONDS: String(ACCESS_TTL_SECONDS),
    });
    admin = await callerFactory(env, 'admin');
    await seedHealthHistory();
    base = await env.api.app.listen({ port: 0, host: '127.0.0.1' });
    worker = await startTestWorker(env);
    // The seeding queued jobs it then ran in-process; let the worker see them off before the test counts anything.
    await eventually('the seeded jobs to finish', () =>
      env.ownerDb
        .query<{ n: string }>(`select count(*) as n from pgboss.job where name = 'email_processing' and state not in ('completed', 'failed')`)
        .then(([row]) => Number(row.n) === 0),
    );

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()} (${message.location().url})`);
    });
    page.on('websocket', (socket) => sockets.push(socket.url()));
    page.on('request', (request) => {
      if (request.url().endsWith('/api/v1/token/refresh/')) refreshes++;
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await env?.close();
    await ollama?.close();
  });

  /** Three weeks of one company's mail, complaints first, each week synthesized: a history to chart. */
  async function seedHealthHistory(): Promise<void> {
    const company = await companyFactory(env, admin.auth, { name: 'Northwind Traders' });
    ollama.respondWith({ answer: COMPLAINT });
    await processedEmail(env, admin, { from: `ann@${company.domain}`, subject: 'Pumps out of stock again', body: 'Out of stock again. This is unacceptable.' });
    await shiftTenantBack(env, admin.tenant.id, 7);
    ollama.respondWith({ answer: FAKE_ANSWER });
    await processedEmail(env, admin, { from: `ann@${company.domain}`, subject: 'Backorder update', body: 'Is order 12 still on backorder?' });
    await shiftTenantBack(env, admin.tenant.id, 7);
    await processedEmail(env, admin, { from: `ann@${company.domain}`, subject: 'Thanks for the delivery', body: 'Everything arrived, thank you.' });
    const end = periodEndAfterNow();
    for (const weeks of [2, 1, 0]) await synthesize(env, admin.tenant.id, daysBefore(end, 7 * weeks), { entityId: company.id });
  }

  const text = (selector: string) => page.locator(selector).first().textContent({ timeout: 2_000 }).catch(() => null);

  /** Until the selector's text satisfies `match`; the text it had last is in the failure message. */
  async function textBecomes(what: string, selector: string, match: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
    let last: string | null = null;
    try {
      return await eventually(what, async () => ((last = await text(selector)) !== null && match(last) ? last : null), timeoutMs);
    } catch (error) {
      throw new Error(`${(error as Error).message}; ${selector} read ${JSON.stringify(last)}`);
    }
  }

  const subscribed = (topic: Topic) => eventually(`a subscriber of ${topic}`, async () => env.api.live.pubSub.subscriberCount(topic) > 0, 10_000);

  it('serves the page without a token, under a strict Content-Security-Policy, with the graphql-ws browser build', async () => {
    const response = await page.goto(`${base}/dashboard`);
    const script = await context.request.get(`${base}/dashboard/vendor/graphql-ws.min.js`);

    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("default-src 'none'");
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
    expect(script.status()).toBe(200);
    expect(script.headers()['content-type']).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain('graphql-transport-ws');
    for (const probe of ['/dashboard/package.json', '/dashboard/%2e%2e/package.json', '/dashboard/public/index.html']) {
      expect((await context.request.get(`${base}${probe}`)).status()).toBe(404);
    }
    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
  });

  it('signs an admin in from the keyboard and shows the figures, the cards and the company health', async () => {
    await page.getByLabel('Email', { exact: true }).focus();
    await page.keyboard.type(admin.user.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');

    await textBecomes('the dead-letter count', '#stat-dlq', (value) => value === '0');
    await textBecomes('the connection to go live', '#connection-text', (value) => value === 'Live');
    await textBecomes('the signed-in user', '#who', (value) => value.includes(admin.user.email));
    await textBecomes('the seeded cards', '#cards-list', (value) => value.includes('Thanks for the delivery'));
    const health = await textBecomes('the company health', '#health-list', (value) => value.includes('Northwind Traders'));
    expect(health).toMatch(/healthy|needs attention|at risk/);
    const chart = page.locator('#health-list svg.trend').first();
    expect(await chart.getAttribute('aria-label')).toMatch(/Northwind Traders: health over the last 3 periods, oldest first: \d+, \d+, \d+/);
    expect(await chart.locator('polyline').count()).toBe(1);
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(1);
    expect(await page.evaluate<number>('localStorage.length')).toBe(0);
  });

  it('shows a dead letter arrive live, replays it, shows the count fall and the new card appear', async () => {
    await subscribed(topics.opsStats(admin.tenant.id));
    await subscribed(topics.cardCreated(admin.tenant.id));
    // The classifier's model is missing (404): a permanent failure goes straight to the dead-letter queue.
    ollama.respondWith({ status: 404 });
    // Markup in what customers write must arrive as text.
    const subject = `Crates of lemonade <b>now</b> ${Date.now().toString(36)}`;
    expect((await ingest(env, admin.access, emailFactory({ subject, body: 'Please send 40 crates of lemonade to the harbour depot.' }))).statusCode).toBe(202);

    await textBecomes('the dead-letter count to rise', '#stat-dlq', (value) => value === '1', 30_000);
    expect(await page.locator('#stat-dlq-box').getAttribute('class')).toContain('alert');
    await textBecomes('the dead letter in the list', '#dlq-list', (value) => /HTTP 404/.test(value));
    expect(await text('#cards-list')).not.toContain(subject);

    ollama.respondWith({ answer: FAKE_ANSWER });
    await page.getByRole('button', { name: 'Replay' }).click();

    await textBecomes('the dead-letter count to fall', '#stat-dlq', (value) => value === '0');
    await textBecomes('the replay to be confirmed', '#dlq-status', (value) => value.startsWith('Replayed'));
    await textBecomes('the new card', '#cards-list li:first-child', (value) => value.includes(subject), 30_000);
    expect(await page.locator('#dlq-list li').count()).toBe(0);
    expect(await page.locator('main b').count()).toBe(0);
  }, 90_000);

  it('adds a company whose first insight is synthesized while the page is open', async () => {
    await subscribed(topics.insightSynthesized(admin.tenant.id));
    const company = await companyFactory(env, admin.auth, { name: 'Fabrikam Foods' });
    await processedEmail(env, admin, { from: `bo@${company.domain}`, subject: 'New order', body: 'We would like to order 10 pallets.' });

    await synthesize(env, admin.tenant.id, periodEndAfterNow(), { entityId: company.id });

    await textBecomes('the new company in the health panel', '#health-list', (value) => value.includes('Fabrikam Foods'));
  });

  it('finds the new card by search and marks the matched words without trusting any other markup', async () => {
    const search = page.getByLabel('Search emails, cards, companies and records');
    await search.fill('lemonade');
    // Indexing is a queue of its own: search again until the new objects are in.
    await eventually(
      'a search hit for lemonade',
      async () => {
        await search.press('Enter');
        await textBecomes('the search to answer', '#search-status', (value) => /result/.test(value), 10_000);
        return (await page.locator('#search-results li').count()) > 0;
      },
      30_000,
    );
    const marked = await page.locator('#search-results mark').allTextContents();
    expect(marked.map((word) => word.toLowerCase())).toContain('lemonade');
    expect(await page.locator('#search-results li').first().textContent()).toMatch(/Card|Email/);
    expect(await page.locator('#search-results').textContent()).toContain('<b>now</b>');
    expect(await page.locator('main b, main img').count()).toBe(0);

    // The same check on snippets the server never sends: anything but escaped text and <mark> stays text.
    const rendered = await page.evaluate<{ escaped: string; hostile: number; hostileText: string }>(`import('/dashboard/render.js').then(({ snippet }) => {
      const escaped = snippet('a &#60;b&#62; <mark>x</mark> &amp; y');
      const hostile = snippet('<img src=x onerror=alert(1)><mark>x</mark>');
      return { escaped: escaped.innerHTML, hostile: hostile.childElementCount, hostileText: hostile.textContent };
    })`);
    expect(rendered).toEqual({ escaped: 'a &lt;b&gt; <mark>x</mark> &amp; y', hostile: 0, hostileText: '<img src=x onerror=alert(1)><mark>x</mark>' });
  }, 60_000);

  it('refreshes its token before it expires and keeps receiving events over a new socket', async () => {
    const socketsBefore = sockets.length;
    const refreshesBefore = refreshes;
    await eventually('a token refresh', async () => refreshes > refreshesBefore, (ACCESS_TTL_SECONDS + 5) * 1000);
    await eventually('a reconnect with the new token', async () => sockets.length > socketsBefore, (ACCESS_TTL_SECONDS + 10) * 1000);
    await textBecomes('the connection to be live again', '#connection-text', (value) => value === 'Live');
    await subscribed(topics.opsStats(admin.tenant.id));

    ollama.respondWith({ status: 404 });
    // The test's own token has expired by now, too.
    const { access } = await env.services.auth.login({ email: admin.user.email, password: PASSWORD }, 'test');
    expect((await ingest(env, access, emailFactory({ subject: 'Another broken one' }))).statusCode).toBe(202);

    await textBecomes('the dead-letter count to rise again', '#stat-dlq', (value) => value === '1', 30_000);
    await textBecomes('the new dead letter in the list', '#dlq-list', (value) => /HTTP 404/.test(value));
    await page.screenshot({ path: path.join(OUTPUT, 'dashboard.png') });
    await page.screenshot({ path: path.join(OUTPUT, 'dashboard-full.png'), fullPage: true });
  }, 90_000);

  it('collapses to one column in a narrow window, with nothing wider than the screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const boxes = await page.locator('#dashboard > section:not([hidden])').evaluateAll((panels) =>
      panels.map((panel) => {
        const box = panel.getBoundingClientRect();
        return { left: Math.round(box.left), width: Math.round(box.width), top: Math.round(box.top) };
      }),
    );
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    await page.screenshot({ path: path.join(OUTPUT, 'dashboard-narrow.png'), fullPage: true });
    await page.locator('#health').screenshot({ path: path.join(OUTPUT, 'dashboard-narrow-health.png') });

    expect(boxes).toHaveLength(5);
    expect(new Set(boxes.map((box) => box.left)).size).toBe(1);
    expect(new Set(boxes.map((box) => box.width)).size).toBe(1);
    boxes.slice(1).forEach((box, index) => expect(box.top).toBeGreaterThan(boxes[index].top));
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('signs out, forgetting the tokens, and logged no errors along the way', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'Sign out' }).click();

    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    expect(problems).toEqual([]);
  });
});
