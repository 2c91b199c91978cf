import { z } from 'zod';
import type { JobPayloads } from '../src/platform/queue/jobs';
import { eachJob } from './job-failure';
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
  handle: (jobs, context) =>
    eachJob(QUEUE, jobs, payloadSchema, context, async ({ correlationId }, job) => {
      const started = Date.now();
      const pruned = await context.services.retention.pruneExpired();
      context.logger.info({ job_id: job.id, correlation_id: correlationId, ...pruned, ms: Date.now() - started }, 'expired rows pruned');
    }),
};
