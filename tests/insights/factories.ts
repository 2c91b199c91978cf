import { randomUUID } from 'node:crypto';
import type { Company } from '../../src/companies/company.entity';
import type { EntitySignals, ScoreComponent } from '../../src/insights/insight-facts';
import type { SynthesisOutcome } from '../../src/insights/insight-synthesizer';
import type { AuthContext } from '../../src/platform/context/auth-context';
import type { Services } from '../../src/services';
import type { Caller } from '../factories';
import { emailFactory, ingest, type EmailSubmissionBody } from '../ingestion/factories';
import type { TestEnv } from '../setup/test-env';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * An hour from now: a period ending then holds everything a test file writes. Not midnight, which a suite
 * running at 23:59 UTC would cross, leaving its last rows in the next period.
 */
export function periodEndAfterNow(): Date {
  return new Date(Math.ceil(Date.now() / 1000) * 1000 + 60 * 60 * 1000);
}

export function daysBefore(date: Date, days: number): Date {
  return new Date(date.getTime() - days * DAY_MS);
}

/** A company of the caller's tenant with a domain unique to this call (`<slug>-<id>.example`). */
export function companyFactory(env: TestEnv, auth: AuthContext, overrides: Partial<{ name: string; domain: string }> = {}): Promise<Company> {
  const id = randomUUID().slice(0, 8);
  return env.services.companies.create(auth, { name: overrides.name ?? `Acme ${id}`, domain: overrides.domain ?? `acme-${id}.example` });
}

/**
 * Ingests an email and runs the pipeline on it right here, as a worker would: returns its tracking id. The
 * builtin classifier decides category and sentiment from the text.
 */
export async function processedEmail(env: TestEnv, caller: Caller, body: EmailSubmissionBody, services: Services = env.services): Promise<string> {
  const emailId = await queuedEmail(env, caller, body);
  await services.pipeline.process({ tenantId: caller.tenant.id, emailId, correlationId: `test-${randomUUID()}` });
  return emailId;
}

/** Ingests an email and leaves it queued: its id. */
export async function queuedEmail(env: TestEnv, caller: Caller, body: EmailSubmissionBody): Promise<string> {
  const response = await ingest(env, caller.access, emailFactory(body));
  expect(response.statusCode).toBe(202);
  return response.json().tracking_id as string;
}

/**
 * Moves everything the tenant has written so far `days` into the past, as if it had happened then: event
 * times, email receipt, card creation and record writes, which is what the aggregation reads.
 */
export async function shiftTenantBack(env: TestEnv, tenantId: string, days: number): Promise<void> {
  const interval = `${days} days`;
  await env.ownerDb.query('update activity_events set occurred_at = occurred_at - ?::interval where tenant_id = ?', [interval, tenantId]);
  await env.ownerDb.query('update emails set received_at = received_at - ?::interval, created_at = created_at - ?::interval where tenant_id = ?', [interval, interval, tenantId]);
  await env.ownerDb.query('update cards set created_at = created_at - ?::interval where tenant_id = ?', [interval, tenantId]);
  await env.ownerDb.query('update business_records set created_at = created_at - ?::interval, updated_at = updated_at - ?::interval where tenant_id = ?', [
    interval,
    interval,
    tenantId,
  ]);
}

/** Runs one tenant's synthesis in-process (no queue), under a new run id unless one is given. */
export function synthesize(
  env: TestEnv,
  tenantId: string,
  periodEnd: Date,
  options: { entityId?: string; runId?: string; services?: Services } = {},
): Promise<SynthesisOutcome> {
  return (options.services ?? env.services).synthesizer.synthesizeTenant(tenantId, {
    periodEnd,
    entityId: options.entityId,
    runId: options.runId ?? randomUUID(),
    correlationId: `test-${randomUUID()}`,
  });
}

/**
 * Stores an insight row as the owner, with no synthesis behind it: for reads that need exact periods (two
 * insights of one company, ties) without the activity a real synthesis would need. Its id.
 */
export async function storedInsight(
  env: TestEnv,
  tenantId: string,
  entityId: string,
  period: { periodEnd: Date; periodStart?: Date; score?: number; id?: string },
): Promise<string> {
  const id = period.id ?? randomUUID();
  await env.ownerDb.query(
    `insert into insight_syntheses (id, tenant_id, source_system, correlation_id, entity_type, entity_id, period_start, period_end, score,
       direction, components, signals, summary, provider, model, prompt_version, timings, run_id)
     values (?, ?, 'insights', 'test', 'company', ?, ?, ?, ?, 'new', '[]', '{}', 'Stored by a test.', 'builtin', 'builtin', 'test', ?, ?)`,
    [
      id,
      tenantId,
      entityId,
      period.periodStart ?? daysBefore(period.periodEnd, 7),
      period.periodEnd,
      period.score ?? 50,
      JSON.stringify({ aggregateMs: 0, llmMs: 0, totalMs: 0 }),
      randomUUID(),
    ],
  );
  return id;
}

/** A row of `insight_syntheses`, seen by the owner (all tenants). */
export interface InsightRow {
  id: string;
  tenant_id: string;
  source_system: string;
  correlation_id: string;
  entity_type: string;
  entity_id: string;
  period_start: Date;
  period_end: Date;
  score: number;
  previous_score: number | null;
  trend: number | null;
  direction: string;
  components: ScoreComponent[];
  signals: EntitySignals;
  previous_signals: EntitySignals | null;
  summary: string;
  provider: string;
  model: string;
  prompt_version: string;
  fallback_reason: string | null;
  timings: { aggregateMs: number; llmMs: number; totalMs: number };
  run_id: string;
  created_at: Date;
  updated_at: Date;
}

/** The tenant's insights, oldest period first. */
export async function insightRows(env: TestEnv, tenantId: string): Promise<InsightRow[]> {
  const rows = await env.ownerDb.query<InsightRow>('select * from insight_syntheses where tenant_id = ? order by period_end, entity_id', [tenantId]);
  return rows.map(withDates);
}

/** The tenant's insight of one company and period. */
export async function insightOf(env: TestEnv, tenantId: string, entityId: string, periodEnd: Date): Promise<InsightRow> {
  const rows = await env.ownerDb.query<InsightRow>('select * from insight_syntheses where tenant_id = ? and entity_id = ? and period_end = ?', [tenantId, entityId, periodEnd]);
  expect(rows).toHaveLength(1);
  return withDates(rows[0]);
}

/** Raw queries answer timestamps as Postgres prints them; the tests compare instants (to the millisecond). */
function withDates(row: InsightRow): InsightRow {
  const date = (value: Date | string) => new Date(value);
  return { ...row, period_start: date(row.period_start), period_end: date(row.period_end), created_at: date(row.created_at), updated_at: date(row.updated_at) };
}

/** The tenant's `insight.synthesized` events, oldest first. */
export function insightEvents(env: TestEnv, tenantId: string): Promise<{ id: string; entity_type: string; entity_id: string; source_system: string; payload: Record<string, unknown> }[]> {
  return env.ownerDb.query(`select * from activity_events where tenant_id = ? and kind = 'insight.synthesized' order by occurred_at, id`, [tenantId]);
}

/** POSTs a GraphQL operation with the caller's token; the parsed answer. */
export async function graphql(env: TestEnv, token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await env.api.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: { query, variables },
  });
  return response.json() as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}
