import type PgBoss from 'pg-boss';
import type { JobDefinition } from './registry';

/** `email_dlq`: an email that failed every attempt becomes a SyncError (US-BKP-005). */
export const emailDlqJob: JobDefinition<'email_dlq'> = {
  options: { includeMetadata: true },
  async handle(jobs, { services }) {
    for (const job of jobs as PgBoss.JobWithMetadata<unknown>[]) {
      await services.deadLetters.record({ queue: 'email_processing', data: job.data, output: job.output });
    }
  },
};
