import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { PoolClient } from 'pg';
import { Database } from '../platform/db/database';
import type { Logger } from '../platform/logging/logger';
import type { JobWriter, NewJob } from '../platform/queue/job-writer';
import type { IndexQueue } from '../search/index-queue';
import { healthScore, trendOf } from './health-score';
import { aggregateSignals, type EntityAggregate } from './insight-aggregator';
import type { InsightFacts } from './insight-facts';
import { periodEndingAt, type Period } from './insight-period';
import type { InsightTimings } from './insight-synthesis.entity';
import type { InsightSummary, LlmProvider } from './llm/llm-provider';

/** Postgres channel of stored insights; the payload names the tenant, so subscribers filter on it. */
export const INSIGHTS_CHANNEL = 'pebble_insights';

/** The Context Layer's `source_system` of what a synthesis writes. */
export const INSIGHTS_SOURCE = 'insights';

/** What `pg_notify(INSIGHTS_CHANNEL, …)` carries, as JSON. */
export interface InsightNotification {
  topic: 'insight';
  tenantId: string;
  entityId: string;
  insightId: string;
  score: number;
}

export interface SynthesisRequest {
  /** End of the period (exclusive); it starts INSIGHTS_PERIOD_DAYS before. */
  periodEnd: Date;
  /** Only this company, with activity or not; otherwise every company with activity in the period or the one before. */
  entityId?: string | null;
  runId: string;
  correlationId: string;
}

export interface SynthesisOutcome {
  period: Period;
  synthesized: number;
  /** Companies this run had already stored (a redelivered or replayed job). */
  skipped: number;
  /** Summaries where the configured model's answer was unusable and the builtin text was stored. */
  fallbacks: number;
}

export interface SynthesizerSettings {
  periodDays: number;
}

/**
 * US-BKP-008, one tenant's run: aggregates its ActivityStream per company in one read, has each summary
 * written outside any transaction (a slow model holds no connection), then stores each insight in its own
 * transaction with its `insight.synthesized` event, its index job and its NOTIFY.
 */
export class InsightSynthesizer {
  constructor(
    private readonly db: Database,
    private readonly llm: LlmProvider,
    private readonly jobs: JobWriter,
    private readonly indexQueue: IndexQueue,
    private readonly settings: SynthesizerSettings,
    private readonly logger: Logger,
  ) {}

  async synthesizeTenant(tenantId: string, request: SynthesisRequest): Promise<SynthesisOutcome> {
    const period = periodEndingAt(request.periodEnd, this.settings.periodDays);
    const started = performance.now();
    const { aggregates, done } = await this.db.transaction(async (client) => {
      // One snapshot for both statements, so signals and snippets describe the same moment.
      await client.query('set transaction isolation level repeatable read, read only');
      await Database.setTenant(client, tenantId);
      const found = await aggregateSignals(client, tenantId, period, request.entityId ?? null);
      const { rows } = await client.query<{ entity_id: string }>(
        'select entity_id from insight_syntheses where tenant_id = $1 and run_id = $2 and period_start = $3 and period_end = $4',
        [tenantId, request.runId, period.start, period.end],
      );
      return { aggregates: found, done: new Set(rows.map((row) => row.entity_id)) };
    });
    const aggregateMs = Math.round(performance.now() - started);

    const outcome: SynthesisOutcome = { period, synthesized: 0, skipped: 0, fallbacks: 0 };
    for (const aggregate of aggregates) {
      // At-least-once delivery: what this run already stored is not asked of the model again.
      if (done.has(aggregate.entity.id)) {
        outcome.skipped += 1;
        continue;
      }
      const summary = await this.synthesizeEntity(tenantId, request, period, aggregate, aggregateMs);
      outcome.synthesized += 1;
      if (summary.fallbackReason) outcome.fallbacks += 1;
    }
    this.logger.info(
      {
        tenant_id: tenantId,
        run_id: request.runId,
        period_end: period.end.toISOString(),
        aggregate_ms: aggregateMs,
        synthesized: outcome.synthesized,
        skipped: outcome.skipped,
        fallbacks: outcome.fallbacks,
      },
      outcome.skipped > 0 ? 'insights synthesized; companies stored earlier in this run skipped' : 'insights synthesized',
    );
    return outcome;
  }

  /**
   * Queues one `synthesize_tenant_insights` job per tenant in one transaction. Job ids derive from the run
   * and the tenant, so a fan-out job that runs twice queues each tenant once.
   */
  async fanOut(run: { runId: string; correlationId: string; periodEnd: Date }): Promise<{ queued: number; existing: number }> {
    return this.db.transaction(async (client) => {
      await client.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`pebble.insights.run:${run.runId}`]);
      const { rows: tenants } = await client.query<{ id: string }>('select id from tenants order by id');
      const jobs: NewJob<'synthesize_tenant_insights'>[] = tenants.map((tenant) => ({
        id: deterministicUuid('synthesize_tenant_insights', run.runId, tenant.id),
        name: 'synthesize_tenant_insights',
        data: { tenantId: tenant.id, correlationId: run.correlationId, runId: run.runId, periodEnd: run.periodEnd.toISOString() },
      }));
      const { rows: existing } = await client.query<{ id: string }>(
        `select id from pgboss.job where name = 'synthesize_tenant_insights' and id = any($1::uuid[])`,
        [jobs.map((job) => job.id)],
      );
      const queued = new Set(existing.map((row) => row.id));
      await this.jobs.insert(client, jobs.filter((job) => !queued.has(job.id)));
      return { queued: jobs.length - queued.size, existing: queued.size };
    });
  }

  private async synthesizeEntity(tenantId: string, request: SynthesisRequest, period: Period, aggregate: EntityAggregate, aggregateMs: number): Promise<InsightSummary> {
    const started = performance.now();
    const facts = factsOf(aggregate, period);
    const summary = await this.llm.summarize(facts);
    const llmMs = Math.round(performance.now() - started);
    const timings: InsightTimings = { aggregateMs, llmMs, totalMs: aggregateMs + Math.round(performance.now() - started) };
    await this.db.transaction(async (client) => {
      await Database.setTenant(client, tenantId);
      const insightId = await upsertInsight(client, tenantId, request, facts, summary, timings);
      const eventId = deterministicUuid('insight.synthesized', request.runId, facts.entity.id, period.start.toISOString(), period.end.toISOString());
      const { rowCount } = await client.query(
        `insert into activity_events (id, tenant_id, source_system, correlation_id, entity_type, entity_id, kind, payload)
         values ($1, $2, $3, $4, 'company', $5, 'insight.synthesized', $6)
         on conflict (id) do nothing`,
        [
          eventId,
          tenantId,
          INSIGHTS_SOURCE,
          request.correlationId,
          facts.entity.id,
          JSON.stringify({
            insightId,
            runId: request.runId,
            periodStart: period.start.toISOString(),
            periodEnd: period.end.toISOString(),
            score: facts.score,
            previousScore: facts.previousScore,
            trend: facts.trend,
            direction: facts.direction,
            provider: summary.provider,
            summary: summary.text,
          }),
        ],
      );
      if (rowCount) await this.indexQueue.queue(client, tenantId, request.correlationId, [{ type: 'activity', id: eventId }]);
      const notification: InsightNotification = { topic: 'insight', tenantId, entityId: facts.entity.id, insightId, score: facts.score };
      // Delivered on commit only: a listener never hears of an insight that rolled back.
      await client.query('select pg_notify($1, $2)', [INSIGHTS_CHANNEL, JSON.stringify(notification)]);
    });
    return summary;
  }
}

/** The facts of one company: its signals, the score and trend computed from them, and its snippets. */
export function factsOf(aggregate: EntityAggregate, period: Period): InsightFacts {
  const { score, components } = healthScore(aggregate.signals, aggregate.previousSignals);
  const previousScore = aggregate.previousSignals ? healthScore(aggregate.previousSignals).score : null;
  return {
    entity: aggregate.entity,
    period,
    score,
    previousScore,
    ...trendOf(score, previousScore),
    components,
    signals: aggregate.signals,
    previousSignals: aggregate.previousSignals,
    snippets: aggregate.snippets,
  };
}

/** Inserts the insight of (tenant, entity, period), or updates the one there; returns its id, which never changes. */
async function upsertInsight(client: PoolClient, tenantId: string, request: SynthesisRequest, facts: InsightFacts, summary: InsightSummary, timings: InsightTimings): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `insert into insight_syntheses as i (id, tenant_id, source_system, correlation_id, entity_type, entity_id, period_start, period_end,
       score, previous_score, trend, direction, components, signals, previous_signals, summary, provider, model, prompt_version,
       fallback_reason, timings, run_id)
     values (gen_random_uuid(), $1, $2, $3, 'company', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
     on conflict (tenant_id, entity_id, period_start, period_end) do update set
       correlation_id = excluded.correlation_id, score = excluded.score, previous_score = excluded.previous_score, trend = excluded.trend,
       direction = excluded.direction, components = excluded.components, signals = excluded.signals,
       previous_signals = excluded.previous_signals, summary = excluded.summary, provider = excluded.provider, model = excluded.model,
       prompt_version = excluded.prompt_version, fallback_reason = excluded.fallback_reason, timings = excluded.timings,
       run_id = excluded.run_id, updated_at = now()
     returning i.id`,
    [
      tenantId,
      INSIGHTS_SOURCE,
      request.correlationId,
      facts.entity.id,
      facts.period.start,
      facts.period.end,
      facts.score,
      facts.previousScore,
      facts.trend,
      facts.direction,
      JSON.stringify(facts.components),
      JSON.stringify(facts.signals),
      facts.previousSignals ? JSON.stringify(facts.previousSignals) : null,
      summary.text,
      summary.provider,
      summary.model,
      summary.promptVersion,
      summary.fallbackReason ?? null,
      JSON.stringify(timings),
      request.runId,
    ],
  );
  return rows[0].id;
}

/** A UUID (version 8, name-based) from its parts: the same parts always give the same id. */
export function deterministicUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\0')).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
