import type PgBoss from 'pg-boss';
import type { JobDefinition } from './registry';

/**
 * `insights_dlq`: both insight queues dead-letter here. A tenant's job becomes a SyncError that
 * `replayDeadLetter` queues again (its run resumes where it stopped); the fan-out has no tenant to show a
 * SyncError to, so the dead-letter service logs it as an error instead.
 */
export const insightsDlqJob: JobDefinition<'insights_dlq'> = {
  options: { includeMetadata: true },
  async handle(jobs, { services }) {
    for (const job of jobs as PgBoss.JobWithMetadata<unknown>[]) {
      const forTenant = typeof job.data === 'object' && job.data !== null && 'tenantId' in job.data;
      await services.deadLetters.record({ queue: forTenant ? 'synthesize_tenant_insights' : 'synthesize_insights', data: job.data, output: job.output });
    }
  },
};
