import { z } from 'zod';
import { startOfUtcDay } from '../src/insights/insight-period';
import { eachJob } from './job-failure';
import type { JobDefinition } from './registry';

const QUEUE = 'synthesize_insights';

/** The schedule's payload: it has no tenant and no period, so each run gets its own from its job. */
export const SCHEDULED_RUN: { correlationId: string } = { correlationId: 'schedule:synthesize_insights' };

const payloadSchema = z.object({
  correlationId: z.string().min(1).max(200),
  periodEnd: z.iso.datetime({ offset: true }).optional(),
});

/**
 * `synthesize_insights`: the weekly fan-out (US-BKP-008). The run id is the job's id and the default period
 * ends at the start of the UTC day the job was queued, so a retry queues the very same tenant jobs, which the
 * synthesizer then finds already there.
 */
export const synthesizeInsightsJob: JobDefinition<'synthesize_insights'> = {
  options: { includeMetadata: true },
  handle: (jobs, context) =>
    eachJob(QUEUE, jobs, payloadSchema, context, async ({ correlationId, periodEnd }, job) => {
      const run = { runId: job.id, correlationId, periodEnd: periodEnd ? new Date(periodEnd) : startOfUtcDay(new Date(job.createdOn)) };
      const { queued, existing } = await context.services.synthesizer.fanOut(run);
      context.logger.info(
        { run_id: run.runId, period_end: run.periodEnd.toISOString(), queued, existing },
        existing > 0 ? 'insight run fanned out; tenants queued by an earlier attempt skipped' : 'insight run fanned out',
      );
    }),
};
