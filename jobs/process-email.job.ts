import type PgBoss from 'pg-boss';
import { ClassifierError } from '../src/classification/classifier';
import { parseEmailJob, type EmailJobPayload } from '../src/pipeline/email-pipeline.service';
import { PermanentJobError } from '../src/pipeline/pipeline.errors';
import { isDatabaseUnavailable } from '../src/platform/db/unavailable';
import { failJob } from './job-failure';
import type { JobContext, JobDefinition } from './registry';

const QUEUE = 'email_processing';

/**
 * `email_processing`: each job of a fetch is processed on its own, concurrently, so one failure never fails
 * its neighbours: a failed job is failed here (for a retry, or straight to the dead-letter queue when no retry
 * can help), and pg-boss completes the rest when the handler returns.
 */
export const processEmailJob: JobDefinition<'email_processing'> = {
  options: { includeMetadata: true },
  async handle(jobs, context) {
    const byTenant = new Map<string, { job: PgBoss.Job<unknown>; payload: EmailJobPayload }[]>();
    for (const job of jobs) {
      try {
        const payload = parseEmailJob(job.data);
        byTenant.set(payload.tenantId, [...(byTenant.get(payload.tenantId) ?? []), { job, payload }]);
      } catch (error) {
        await fail(job, error as Error, context);
      }
    }
    // Success needs no call here: pg-boss completes every job of the fetch that is still active.
    await Promise.all([...byTenant].map(([tenantId, group]) => processTenant(tenantId, group, context)));
  },
};

/** One tenant's jobs together; when their shared transaction fails, each job alone, so only the culprit fails. */
async function processTenant(tenantId: string, group: { job: PgBoss.Job<unknown>; payload: EmailJobPayload }[], context: JobContext): Promise<void> {
  let results: Map<EmailJobPayload, unknown> | null = null;
  try {
    results = await context.services.pipeline.processBatch(tenantId, group.map(({ payload }) => payload));
  } catch (error) {
    context.logger.warn({ tenant_id: tenantId, jobs: group.length, err: error }, 'batch failed; processing its emails one by one');
  }
  await Promise.all(
    group.map(async ({ job, payload }) => {
      try {
        const outcome = results ? results.get(payload) : await context.services.pipeline.process(payload);
        if (outcome instanceof Error) throw outcome;
      } catch (error) {
        await fail(job, error as Error, context);
      }
    }),
  );
}

async function fail(job: PgBoss.Job<unknown>, error: Error, context: JobContext): Promise<void> {
  try {
    await context.services.pipeline.recordFailure(parseEmailJob(job.data), error);
  } catch {
    // A malformed payload has no email to count the failure on; the dead-letter record still gets it.
  }
  await failJob(QUEUE, job, error, isRetryable(error), context);
}

function isRetryable(error: Error): boolean {
  if (error instanceof PermanentJobError) return false;
  if (error instanceof ClassifierError) return error.retryable;
  if (isDatabaseUnavailable(error)) return true;
  // Unknown failures get the benefit of the doubt: 3 retries with backoff, then the dead-letter queue.
  return true;
}
