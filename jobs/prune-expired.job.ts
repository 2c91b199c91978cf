import type PgBoss from 'pg-boss';
import { z } from 'zod';
import { parseJobPayload } from '../src/pipeline/pipeline.errors';
import type { JobPayloads } from '../src/platform/queue/jobs';
import { failJob } from './job-failure';
import type { JobDefinition } from './registry';

const QUEUE = 'prune_expired';

/** The schedule's payload; the prune acts for no tenant in particular. */
export const SCHEDULED_PRUNE: JobPayloads['prune_expired'] = { correlationId: 'schedule:prune_expired' };

const payloadSchema = z.object({ correlationId: z.string().min(1).max(200) });

/**
 * `prune_expired`: deletes rows past their window in every tenant (`RetentionService`). Running it twice
 * deletes nothing the first run left, so a retry or a second worker's copy is harmless.
 */
export const pruneExpiredJob: JobDefinition<'prune_expired'> = {
  options: { includeMetadata: true },
  async handle(jobs, context) {
    for (const job of jobs as PgBoss.JobWithMetadata<unknown>[]) {
      let correlationId: string;
      try {
        ({ correlationId } = parseJobPayload(QUEUE, payloadSchema, job.data));
      } catch (error) {
        await failJob(QUEUE, job, error as Error, false, context);
        continue;
      }
      const started = Date.now();
      try {
        const pruned = await context.services.retention.pruneExpired();
        context.logger.info({ job_id: job.id, correlation_id: correlationId, ...pruned, ms: Date.now() - started }, 'expired rows pruned');
      } catch (error) {
        await failJob(QUEUE, job, error as Error, true, context);
      }
    }
  },
};
