// The live dashboard: sign in, read the tenant's figures over HTTP, then keep them current over graphql-ws.
import { el, fill, healthBand, snippet, time, trendChart, TREND_ARROWS, TREND_WORDS } from './render.js';
import { ApiError, Session } from './session.js';

const CARDS_SHOWN = 12;
const DEAD_LETTERS_SHOWN = 20;
const COMPANIES_READ = 100;
const HEALTH_PERIODS = 12;

const OPS_FIELDS = 'dlqCount queued active failedLastHour';
const CARD_FIELDS = 'id title column category priority createdAt emailCount';
const INSIGHT_FIELDS = 'id entityId score direction trend summary periodEnd';

const $ = (id) => document.getElementById(id);

const session = new Session({ onChange: (signedIn, reason) => (signedIn ? showDashboard() : showLogin(reason)) });
let live = null;
/** The companies shown in the health panel, by id: name, latest insight and history. */
const companies = new Map();

// ---- signing in and out ----------------------------------------------------------------------------------------

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const email = $('email').value.trim();
  const password = $('password').value;
  const error = $('login-error');
  if (!email || !password) {
    error.textContent = 'Enter your email and password.';
    (email ? $('password') : $('email')).focus();
    return;
  }
  const submit = $('login-submit');
  submit.disabled = true;
  submit.textContent = 'Signing in…';
  error.textContent = '';
  try {
    await session.login(email, password);
    $('password').value = '';
  } catch (failure) {
    error.textContent =
      failure instanceof ApiError && failure.status === 401
        ? 'That email and password do not match an account.'
        : failure instanceof ApiError && failure.status === 429
          ? 'Too many failed attempts. Try again later.'
          : `Sign-in failed: ${failure.message}`;
    $('password').focus();
  } finally {
    submit.disabled = false;
    submit.textContent = 'Sign in';
  }
});

$('sign-out').addEventListener('click', () => session.logout());

function showLogin(reason) {
  live?.stop();
  live = null;
  companies.clear();
  $('dashboard').hidden = true;
  $('session').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = reason ?? '';
  $('email').focus();
}

async function showDashboard() {
  const role = session.role;
  for (const panel of document.querySelectorAll('[data-role]')) panel.hidden = !panel.dataset.role.split(' ').includes(role);
  $('login').hidden = true;
  $('dashboard').hidden = false;
  $('session').hidden = false;
  $('main').focus();
  try {
    const { me } = await session.graphql('{ me { email role } }');
    $('who').textContent = `${me.email} (${me.role})`;
  } catch {
    $('who').textContent = '';
  }
  live = new Live();
  live.start();
  await reloadAll();
}

const isAdmin = () => session.role === 'admin';
const readsInsights = () => ['admin', 'manager', 'member'].includes(session.role);

/** Everything read again: after sign-in and after every (re)connect, since events sent while away are lost. */
function reloadAll() {
  return Promise.all([isAdmin() && loadOps(), loadCards(), readsInsights() && loadHealth()]);
}

// ---- pipeline figures and dead letters ---------------------------------------------------------------------------

async function loadOps() {
  const data = await guard('dlq-status', () =>
    session.graphql(`query Ops($first: Int!) { opsStats { ${OPS_FIELDS} } syncErrors(resolved: false, first: $first) { id queue error attempts lastFailedAt emailId } }`, {
      first: DEAD_LETTERS_SHOWN,
    }),
  );
  if (!data) return;
  showStats(data.opsStats);
  showDeadLetters(data.syncErrors);
}

let shownDlqCount = null;

function showStats(stats) {
  setText('stat-dlq', stats.dlqCount);
  setText('stat-queued', stats.queued);
  setText('stat-active', stats.active);
  setText('stat-failed', stats.failedLastHour);
  $('stat-dlq-box').classList.toggle('alert', stats.dlqCount > 0);
  const changed = shownDlqCount !== null && shownDlqCount !== stats.dlqCount;
  shownDlqCount = stats.dlqCount;
  return changed;
}

const loadDeadLettersSoon = debounce(async () => {
  const data = await guard('dlq-status', () =>
    session.graphql(`query DeadLetters($first: Int!) { syncErrors(resolved: false, first: $first) { id queue error attempts lastFailedAt emailId } }`, {
      first: DEAD_LETTERS_SHOWN,
    }),
  );
  if (!data) return;
  // What the last replay said is old news once the list changes under it.
  $('dlq-status').textContent = '';
  showDeadLetters(data.syncErrors);
}, 150);

function showDeadLetters(errors) {
  const items = errors.map((error) => {
    const replay = el('button', { type: 'button', class: 'replay', 'aria-describedby': `dlq-${error.id}-error` }, 'Replay');
    replay.addEventListener('click', () => replayDeadLetter(error, replay));
    return el(
      'li',
      { class: 'item dead-letter', 'data-id': error.id },
      el(
        'div',
        { class: 'item-main' },
        el('p', { class: 'item-title', id: `dlq-${error.id}-error` }, error.error),
        el('p', { class: 'meta' }, `${error.queue} · ${error.attempts} attempt${error.attempts === 1 ? '' : 's'} · last `, time(error.lastFailedAt)),
      ),
      replay,
    );
  });
  fill($('dlq-list'), $('dlq-empty'), items);
}

async function replayDeadLetter(error, button) {
  button.disabled = true;
  button.textContent = 'Replaying…';
  const done = await guard('dlq-status', () => session.graphql('mutation Replay($id: ID!) { replayDeadLetter(id: $id) { id replayedAt } }', { id: error.id }), 'replay');
  if (done) $('dlq-status').textContent = `Replayed: the ${error.queue} job is queued again.`;
  else {
    button.disabled = false;
    button.textContent = 'Replay';
  }
  await loadOps();
  // The button is gone with its row: keep the keyboard user in the list.
  if (!button.isConnected) (document.querySelector('#dlq-list .replay') ?? $('dlq-title')).focus();
}

// ---- cards ---------------------------------------------------------------------------------------------------------

async function loadCards() {
  const data = await guard(null, () => session.graphql(`query Cards($first: Int!) { cards(first: $first) { ${CARD_FIELDS} } }`, { first: CARDS_SHOWN }));
  if (!data) return;
  const shown = [...$('cards-list').children].map((item) => item.dataset.id).join();
  // A reconnect reads the list again; redraw only what changed, so nothing is announced twice.
  if (shown !== data.cards.map((card) => card.id).join()) fill($('cards-list'), $('cards-empty'), data.cards.map((card) => cardItem(card)));
}

function cardItem(card, fresh = false) {
  return el(
    'li',
    { class: `item card${fresh ? ' fresh' : ''}`, 'data-id': card.id },
    el(
      'div',
      { class: 'item-main' },
      el('p', { class: 'item-title' }, card.title),
      el('p', { class: 'meta' }, el('span', { class: `tag category-${card.category}` }, card.category), ` ${card.priority} priority · ${card.column.replace('_', ' ')} · `, time(card.createdAt)),
    ),
  );
}

function addCard(card) {
  const list = $('cards-list');
  if (list.querySelector(`[data-id="${CSS.escape(card.id)}"]`)) return;
  list.prepend(cardItem(card, true));
  while (list.children.length > CARDS_SHOWN) list.lastElementChild.remove();
  $('cards-empty').hidden = true;
  $('cards-announce').textContent = `New card: ${card.title}`;
}

// ---- company health ------------------------------------------------------------------------------------------------

async function loadHealth() {
  const data = await guard(null, () =>
    session.graphql(`query Companies($first: Int!) { companies(first: $first) { id name domain latestInsight { ${INSIGHT_FIELDS} } } }`, { first: COMPANIES_READ }),
  );
  if (!data) return;
  companies.clear();
  for (const company of data.companies) if (company.latestInsight) companies.set(company.id, { ...company, history: [] });
  await loadHistories([...companies.keys()]);
  showHealth();
}

/** The health history of several companies in one request, one aliased `entityHealth` each. */
async function loadHistories(ids) {
  if (!ids.length) return;
  const variables = {};
  const fields = ids.map((id, index) => {
    variables[`e${index}`] = id;
    return `h${index}: entityHealth(entityId: $e${index}, last: ${HEALTH_PERIODS}) { periodEnd score }`;
  });
  const declarations = ids.map((_, index) => `$e${index}: ID!`).join(', ');
  const data = await guard(null, () => session.graphql(`query Health(${declarations}) { ${fields.join(' ')} }`, variables));
  if (!data) return;
  ids.forEach((id, index) => {
    const company = companies.get(id);
    if (company) company.history = data[`h${index}`];
  });
}

function showHealth() {
  // Worst first: what needs attention is at the top.
  const sorted = [...companies.values()].sort((a, b) => a.latestInsight.score - b.latestInsight.score || a.name.localeCompare(b.name));
  fill($('health-list'), $('health-empty'), sorted.map(healthItem));
}

function healthItem(company) {
  const insight = company.latestInsight;
  const { band, label } = healthBand(insight.score);
  const trend = insight.trend === null || insight.trend === undefined ? '' : ` (${insight.trend > 0 ? '+' : ''}${insight.trend})`;
  return el(
    'li',
    { class: 'item company', 'data-id': company.id },
    el(
      'div',
      { class: 'item-main' },
      el('h3', { class: 'item-title' }, company.name),
      el(
        'p',
        { class: 'meta' },
        el('span', { class: 'visually-hidden' }, 'Health score '),
        el('span', { class: `score ${band}` }, String(insight.score)),
        el('span', { class: 'visually-hidden' }, ' of 100,'),
        ` ${label} · `,
        el('span', { class: `direction ${insight.direction}` }, `${TREND_ARROWS[insight.direction] ?? ''} ${TREND_WORDS[insight.direction] ?? insight.direction}${trend}`),
        ' · week to ',
        time(insight.periodEnd, true),
      ),
      el('p', { class: 'summary' }, insight.summary),
    ),
    el(
      'figure',
      { class: 'trend-figure' },
      trendChart(company.history, company.name),
      el('figcaption', {}, `Health, last ${company.history.length} week${company.history.length === 1 ? '' : 's'}`),
    ),
  );
}

/** Insights pushed since the panel was last drawn, by company. */
const pendingInsights = new Map();

const applyInsightsSoon = debounce(async () => {
  const insights = [...pendingInsights.values()];
  pendingInsights.clear();
  for (const insight of insights) {
    let company = companies.get(insight.entityId);
    if (!company) {
      const data = await guard(null, () => session.graphql('query Company($id: ID!) { company(id: $id) { id name domain } }', { id: insight.entityId }));
      if (!data) continue;
      company = { ...data.company, latestInsight: null, history: [] };
      companies.set(company.id, company);
    }
    // A re-run of an older week may arrive late: the newest period stays the latest.
    if (!company.latestInsight || new Date(company.latestInsight.periodEnd) <= new Date(insight.periodEnd)) company.latestInsight = insight;
  }
  await loadHistories(insights.map((insight) => insight.entityId).filter((id) => companies.has(id)));
  showHealth();
}, 300);

function addInsight(insight) {
  const pending = pendingInsights.get(insight.entityId);
  if (!pending || new Date(pending.periodEnd) <= new Date(insight.periodEnd)) pendingInsights.set(insight.entityId, insight);
  applyInsightsSoon();
}

// ---- search --------------------------------------------------------------------------------------------------------

const TYPE_LABELS = { email: 'Email', card: 'Card', company: 'Company', record: 'Record', activity: 'Activity' };

$('search-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const q = $('search-q').value.trim();
  const status = $('search-status');
  if (!q) {
    status.textContent = 'Type something to search for.';
    $('search-q').focus();
    return;
  }
  status.textContent = 'Searching…';
  const data = await guard('search-status', () =>
    session.graphql('query Search($q: String!) { unifiedSearch(q: $q, limit: 10) { degraded hits { type id title snippet score } } }', { q }),
  );
  if (!data) return;
  const { hits, degraded } = data.unifiedSearch;
  status.textContent = `${hits.length} result${hits.length === 1 ? '' : 's'} for “${q}”${degraded ? ' (keyword matches only: semantic search is unavailable)' : ''}.`;
  fill(
    $('search-results'),
    null,
    hits.map((hit) =>
      el(
        'li',
        { class: 'item hit', 'data-type': hit.type },
        el(
          'div',
          { class: 'item-main' },
          el('p', { class: 'item-title' }, el('span', { class: `tag type-${hit.type}` }, TYPE_LABELS[hit.type] ?? hit.type), ' ', hit.title),
          el('p', { class: 'meta' }, snippet(hit.snippet)),
        ),
      ),
    ),
  );
});

// ---- live updates --------------------------------------------------------------------------------------------------

const CONNECTION_TEXT = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline: retrying' };

function setConnection(state) {
  const badge = $('connection');
  if (badge.dataset.state === state) return;
  badge.dataset.state = state;
  $('connection-text').textContent = CONNECTION_TEXT[state];
}

/**
 * One graphql-ws client and the dashboard's subscriptions. The server closes the socket (4403, or 4401) when
 * the access token expires; the client then reconnects, and `connectionParams` hands it a refreshed token.
 * Anything graphql-ws gives up on (a fatal close code, a failed refresh) restarts the client after a pause.
 */
class Live {
  constructor() {
    this.client = null;
    this.stops = [];
    this.restartTimer = null;
    this.stopped = false;
  }

  start() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    setConnection('connecting');
    this.client = window.graphqlWs.createClient({
      url,
      lazy: false,
      retryAttempts: Infinity,
      // The first retry is quick (a token expiry is expected), later ones back off up to 15 s.
      retryWait: (retries) => sleep(Math.min(15_000, 250 * 2 ** retries) + Math.random() * 250),
      shouldRetry: () => true,
      onNonLazyError: () => this.restartSoon(),
      connectionParams: async () => ({ authorization: `Bearer ${await session.accessToken()}` }),
      on: {
        connected: () => {
          setConnection('live');
          reloadAll();
        },
        closed: (event) => {
          if (this.stopped) return;
          if (event?.code === 4401 || event?.code === 4403) session.markStale();
          setConnection('reconnecting');
        },
      },
    });
    if (isAdmin()) this.subscribe(`subscription { opsStatsChanged { ${OPS_FIELDS} } }`, ({ opsStatsChanged }) => {
      if (showStats(opsStatsChanged)) loadDeadLettersSoon();
    });
    this.subscribe(`subscription { cardCreated { ${CARD_FIELDS} } }`, ({ cardCreated }) => addCard(cardCreated));
    if (readsInsights()) this.subscribe(`subscription { insightSynthesized { ${INSIGHT_FIELDS} } }`, ({ insightSynthesized }) => addInsight(insightSynthesized));
  }

  subscribe(query, onData) {
    this.stops.push(
      this.client.subscribe(
        { query },
        {
          next: (message) => {
            if (message.data) onData(message.data);
          },
          error: () => this.restartSoon(),
          complete: () => this.restartSoon(),
        },
      ),
    );
  }

  restartSoon() {
    if (this.stopped || this.restartTimer || !session.signedIn) return;
    setConnection('offline');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopped || !session.signedIn) return;
      this.close();
      this.start();
    }, 3_000);
  }

  close() {
    for (const stop of this.stops.splice(0)) stop();
    this.client?.dispose();
    this.client = null;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.close();
  }
}

// ---- helpers -------------------------------------------------------------------------------------------------------

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function debounce(fn, ms) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

/** Sets an element's text only when it changes, so live regions announce changes and nothing else. */
function setText(id, value) {
  const node = $(id);
  if (node.textContent !== String(value)) node.textContent = String(value);
}

/** Runs a call; on failure says so in the status element (if any) and answers null. */
async function guard(statusId, call, what = 'load') {
  try {
    return await call();
  } catch (error) {
    if (!session.signedIn) return null;
    const message = error instanceof ApiError && error.code === 'FORBIDDEN' ? 'Your role cannot see this.' : `Could not ${what}: ${error.message}`;
    if (statusId) $(statusId).textContent = message;
    else console.warn(message);
    return null;
  }
}

// ---- start ---------------------------------------------------------------------------------------------------------

if (await session.resume()) showDashboard();
// A refresh token that no longer works has already said so in the login form.
else showLogin($('login-error').textContent || undefined);
