import type PgBoss from 'pg-boss';
import type { Logger } from '../src/platform/logging/logger';
import type { JobName, JobPayloads } from '../src/platform/queue/jobs';
import type { Services } from '../src/services';
import { emailDlqJob } from './email-dlq.job';
import { indexActivityJob } from './index-activity.job';
import { indexDlqJob } from './index-dlq.job';
import { insightsDlqJob } from './insights-dlq.job';
import { processEmailJob } from './process-email.job';
import { pruneExpiredJob, SCHEDULED_PRUNE } from './prune-expired.job';
import { SCHEDULED_RUN, synthesizeInsightsJob } from './synthesize-insights.job';
import { synthesizeTenantInsightsJob } from './synthesize-tenant-insights.job';

export interface JobContext {
  services: Services;
  boss: PgBoss;
  logger: Logger;
}

export interface JobDefinition<Name extends JobName> {
  /**
   * pg-boss delivers at least once: a handler must change nothing when it runs a second time. A handler
   * that settles its jobs itself (complete / fail) returns normally; pg-boss then completes whatever is
   * still active.
   */
  handle(jobs: PgBoss.Job<JobPayloads[Name]>[], context: JobContext): Promise<void>;
  options?: PgBoss.WorkOptions & { includeMetadata?: boolean };
}

/** One handler per queue in `JobPayloads`; a queue without one does not compile. */
export const JOBS = {
  email_processing: processEmailJob,
  email_dlq: emailDlqJob,
  index_activity: indexActivityJob,
  index_dlq: indexDlqJob,
  synthesize_insights: synthesizeInsightsJob,
  synthesize_tenant_insights: synthesizeTenantInsightsJob,
  insights_dlq: insightsDlqJob,
  prune_expired: pruneExpiredJob,
} satisfies { [Name in JobName]: JobDefinition<Name> };

export interface WorkerOptions {
  /** Jobs fetched and handled together per queue. */
  batchSize: number;
  /** The queues to serve (WORKER_QUEUES); every queue when not given. */
  queues?: readonly JobName[];
  /** When the insight run is due (INSIGHTS_CRON in INSIGHTS_TIMEZONE); a worker started without it schedules nothing. */
  insightsSchedule?: { cron: string; timezone: string };
  /** When expired rows are pruned (PRUNE_CRON, in UTC); a worker started without it schedules nothing. */
  pruneSchedule?: { cron: string };
}

export async function startWorkers(boss: PgBoss, services: Services, logger: Logger, { batchSize, queues, insightsSchedule, pruneSchedule }: WorkerOptions): Promise<JobName[]> {
  const context: JobContext = { services, boss, logger };
  const served = (Object.keys(JOBS) as JobName[]).filter((name) => !queues || queues.includes(name));
  for (const name of served) {
    const definition = JOBS[name] as JobDefinition<JobName>;
    const options = { batchSize, pollingIntervalSeconds: 0.5, ...definition.options } as PgBoss.WorkOptions;
    let workerId = '';
    workerId = await boss.work<JobPayloads[JobName]>(name, options, async (jobs) => {
      await definition.handle(jobs, context);
      // pg-boss waits out the polling interval after every fetch; a full batch means more is waiting, so fetch again now.
      if (jobs.length >= (options.batchSize ?? batchSize)) boss.notifyWorker(workerId);
    });
    logger.info({ queue: name, batchSize: options.batchSize }, 'worker listening');
  }
  if (insightsSchedule) {
    // pg-boss keeps one row per schedule name (an upsert), so every worker registering it leaves one schedule.
    await boss.schedule('synthesize_insights', insightsSchedule.cron, SCHEDULED_RUN satisfies JobPayloads['synthesize_insights'], { tz: insightsSchedule.timezone });
    logger.info({ queue: 'synthesize_insights', cron: insightsSchedule.cron, timezone: insightsSchedule.timezone }, 'insight run scheduled');
  }
  if (pruneSchedule) {
    // UTC: the prune's windows are measured from now(), so only its load cares about the hour, and UTC has no
    // daylight-saving day on which a 02:xx schedule runs twice or not at all.
    await boss.schedule('prune_expired', pruneSchedule.cron, SCHEDULED_PRUNE, { tz: 'UTC' });
    logger.info({ queue: 'prune_expired', cron: pruneSchedule.cron, timezone: 'UTC' }, 'expired-row prune scheduled');
  }
  return served;
}
