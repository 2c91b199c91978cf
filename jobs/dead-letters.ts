import type PgBoss from 'pg-boss';
import type { JobName } from '../src/platform/queue/jobs';
import type { JobDefinition } from './registry';

type DeadLetterQueue = 'email_dlq' | 'index_dlq';

/** A dead-letter queue's handler: every job that failed all attempts on `queue` becomes a SyncError (US-BKP-005). */
export function recordDeadLetters<Name extends DeadLetterQueue>(queue: JobName): JobDefinition<Name> {
  return {
    options: { includeMetadata: true },
    async handle(jobs, { services }) {
      for (const job of jobs as PgBoss.JobWithMetadata<unknown>[]) {
        await services.deadLetters.record({ queue, data: job.data, output: job.output });
      }
    },
  };
}
