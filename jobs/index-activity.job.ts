import type PgBoss from 'pg-boss';
import { z } from 'zod';
import { parseJobPayload, PermanentJobError } from '../src/pipeline/pipeline.errors';
import { EmbedderError } from '../src/search/embedder';
import { parseRefKey, type SearchRef } from '../src/search/search-ref';
import { failJob } from './job-failure';
import type { JobContext, JobDefinition } from './registry';

const QUEUE = 'index_activity';

const payloadSchema = z.object({
  tenantId: z.uuid(),
  correlationId: z.string().min(1).max(200),
  refs: z.array(z.string().max(100)).min(1).max(1000),
});

interface IndexJob {
  job: PgBoss.Job<unknown>;
  refs: SearchRef[];
}

/**
 * `index_activity`: the jobs of one fetch are indexed per tenant in one pass (one embedding batch, one upsert).
 * When that pass fails, each job is indexed alone, so only a job that fails on its own is retried; a Chroma
 * outage fails them all, and pg-boss retries them with backoff while their documents wait in Postgres.
 */
export const indexActivityJob: JobDefinition<'index_activity'> = {
  options: { includeMetadata: true },
  async handle(jobs, context) {
    const byTenant = new Map<string, IndexJob[]>();
    for (const job of jobs) {
      try {
        const { tenantId, refs } = parseIndexJob(job.data);
        byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), { job, refs }]);
      } catch (error) {
        await failJob(QUEUE, job, error as Error, false, context);
      }
    }
    await Promise.all([...byTenant].map(([tenantId, group]) => indexTenant(tenantId, group, context)));
  },
};

async function indexTenant(tenantId: string, group: IndexJob[], context: JobContext): Promise<void> {
  const { indexer } = context.services;
  try {
    const outcome = await indexer.index(tenantId, group.flatMap((item) => item.refs));
    context.logger.debug({ tenant_id: tenantId, jobs: group.length, ...outcome }, 'indexed');
    return;
  } catch (error) {
    if (group.length === 1) return failJob(QUEUE, group[0]!.job, error as Error, isRetryable(error as Error), context);
    context.logger.warn({ tenant_id: tenantId, jobs: group.length, err: error }, 'indexing batch failed; indexing its jobs one by one');
  }
  for (const { job, refs } of group) {
    try {
      await indexer.index(tenantId, refs);
    } catch (error) {
      await failJob(QUEUE, job, error as Error, isRetryable(error as Error), context);
    }
  }
}

function parseIndexJob(data: unknown): { tenantId: string; refs: SearchRef[] } {
  const payload = parseJobPayload(QUEUE, payloadSchema, data);
  const refs = payload.refs.map((key) => parseRefKey(key));
  const bad = payload.refs.filter((_, index) => refs[index] === null);
  if (bad.length > 0) throw new PermanentJobError(`Malformed ${QUEUE} payload: refs must be <type>:<uuid>, got ${bad.slice(0, 3).join(', ')}`);
  return { tenantId: payload.tenantId, refs: refs as SearchRef[] };
}

/** Outages of Chroma, the embedder or Postgres are worth waiting for; a remote embedder refusing the text is not. */
function isRetryable(error: Error): boolean {
  if (error instanceof EmbedderError) return error.retryable;
  return true;
}
