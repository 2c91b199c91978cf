import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Company } from '../companies/company.entity';
import type { AuthContext } from '../platform/context/auth-context';
import { Database } from '../platform/db/database';
import { notFound } from '../platform/errors/pebble-error';
import type { JobWriter } from '../platform/queue/job-writer';
import { parseInput } from '../platform/validation/parse-input';
import type { TrendDirection } from './insight-facts';
import { periodEndingAt, startOfUtcDay } from './insight-period';
import { InsightSynthesis } from './insight-synthesis.entity';

/** Roles that read insights (the Manager Dashboard); integrations only feed data in. */
export const INSIGHT_READERS = ['admin', 'manager', 'member'];
/** Roles that may start a synthesis by hand. */
export const INSIGHT_WRITERS = ['admin', 'manager'];

const DAY_MS = 24 * 60 * 60 * 1000;

const listInput = z.object({
  entityId: z.uuid().nullish(),
  first: z.number().int().min(1).max(100).default(20),
  after: z.uuid().nullish(),
});
export type ListInsightsInput = z.input<typeof listInput>;

const historyInput = z.object({ entityId: z.uuid(), last: z.number().int().min(1).max(260).default(52) });
export type HealthHistoryInput = z.input<typeof historyInput>;

const requestInput = z.object({
  entityId: z.uuid().nullish(),
  periodEnd: z.coerce
    .date({ message: 'must be an ISO 8601 date-time' })
    .min(new Date('2000-01-01T00:00:00Z'), 'must be in the year 2000 or later')
    // Up to a day ahead, so "the start of tomorrow" can include today so far; later would describe the future.
    .refine((end) => end.getTime() <= Date.now() + DAY_MS, 'must not be more than a day in the future')
    .nullish(),
});
export type SynthesisRequestInput = z.input<typeof requestInput>;

/** A queued synthesis: the run to look for and the period it covers. */
export interface SynthesisRun {
  runId: string;
  periodStart: Date;
  periodEnd: Date;
}

/** One point of a company's health history. */
export interface HealthPoint {
  periodStart: Date;
  periodEnd: Date;
  score: number;
  trend: number | null;
  direction: TrendDirection;
}

/** US-BKP-008: the stored insights of the caller's tenant, and synthesis on request. */
export class InsightService {
  constructor(
    private readonly db: Database,
    private readonly jobs: JobWriter,
    private readonly periodDays: number,
  ) {}

  /** Newest period first; `after` is the id of the last insight of the previous page. */
  list(auth: AuthContext, input: ListInsightsInput): Promise<InsightSynthesis[]> {
    const { entityId, first, after } = parseInput(listInput, input);
    return this.db.withTenant(auth, async (em) => {
      const cursor = after ? await em.findOne(InsightSynthesis, { id: after }, { fields: ['periodEnd'] }) : null;
      if (after && !cursor) throw notFound('Insight', after);
      return em.find(
        InsightSynthesis,
        {
          ...(entityId ? { entityId } : {}),
          ...(cursor ? { $or: [{ periodEnd: { $lt: cursor.periodEnd } }, { periodEnd: cursor.periodEnd, id: { $lt: cursor.id } }] } : {}),
        },
        { orderBy: { periodEnd: 'desc', id: 'desc' }, limit: first },
      );
    });
  }

  get(auth: AuthContext, id: string): Promise<InsightSynthesis> {
    return this.db.withTenant(auth, async (em) => {
      const insight = z.uuid().safeParse(id).success ? await em.findOne(InsightSynthesis, { id }) : null;
      if (!insight) throw notFound('Insight', id);
      return insight;
    });
  }

  /** These insights of the caller's tenant, in the ids' order; ids it has no insight of are left out. */
  byIds(auth: AuthContext, ids: readonly string[]): Promise<InsightSynthesis[]> {
    return this.db.byIds(auth, InsightSynthesis, ids);
  }

  /**
   * Each company's newest insight (latest period end, then greatest id), or null before its first: one read
   * for all of them, answered in the ids' order.
   */
  async latestOf(auth: AuthContext, companyIds: readonly string[]): Promise<(InsightSynthesis | null)[]> {
    const wanted = [...new Set(companyIds)].filter((id) => z.uuid().safeParse(id).success);
    if (wanted.length === 0) return companyIds.map(() => null);
    const newest = await this.db.withTenant(auth, async (em) => {
      const query = em
        .createQueryBuilder(InsightSynthesis)
        .select('*')
        .distinctOn(['entityId'])
        .where({ entityId: { $in: wanted } })
        .orderBy({ entityId: 'asc', periodEnd: 'desc', id: 'desc' });
      // A query builder skips the ORM filters unless asked; the tenant filter belongs here as in `em.find`.
      await query.applyFilters();
      return query.getResultList();
    });
    const byCompany = new Map(newest.map((insight) => [insight.entityId, insight]));
    return companyIds.map((id) => byCompany.get(id) ?? null);
  }

  /** The last `last` scores of a company, oldest first: a chart's points. */
  history(auth: AuthContext, input: HealthHistoryInput): Promise<HealthPoint[]> {
    const { entityId, last } = parseInput(historyInput, input);
    return this.db.withTenant(auth, async (em) => {
      const newest = await em.find(
        InsightSynthesis,
        { entityId },
        { fields: ['periodStart', 'periodEnd', 'score', 'trend', 'direction'], orderBy: { periodEnd: 'desc', periodStart: 'desc' }, limit: last },
      );
      return newest.reverse().map(({ periodStart, periodEnd, score, trend, direction }) => ({ periodStart, periodEnd, score, trend, direction }));
    });
  }

  /**
   * Queues the caller's tenant's synthesis (one company, or every active one) as the scheduled run does, in
   * the transaction that checked the company. The period ends at `periodEnd`, by default at the start of
   * today (UTC) like the scheduled run, so both write the same row.
   */
  request(auth: AuthContext, input: SynthesisRequestInput): Promise<SynthesisRun> {
    const { entityId, periodEnd } = parseInput(requestInput, input);
    const period = periodEndingAt(periodEnd ?? startOfUtcDay(new Date()), this.periodDays);
    const runId = randomUUID();
    return this.db.withTenant(auth, async (em) => {
      if (entityId && !(await em.findOne(Company, { id: entityId }, { fields: ['id'] }))) throw notFound('Company', entityId);
      await this.jobs.insert(Database.runnerOf(em), [
        {
          id: runId,
          name: 'synthesize_tenant_insights',
          data: {
            tenantId: auth.tenantId,
            correlationId: auth.correlationId,
            runId,
            periodEnd: period.end.toISOString(),
            ...(entityId ? { entityId } : {}),
          },
        },
      ]);
      return { runId, periodStart: period.start, periodEnd: period.end };
    });
  }
}
