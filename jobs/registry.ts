import type PgBoss from 'pg-boss';
import type { Logger } from '../src/platform/logging/logger';
import type { JobName, JobPayloads } from '../src/platform/queue/jobs';
import type { Services } from '../src/services';

export interface JobDefinition<Name extends JobName> {
  /** pg-boss delivers at least once: a handler must change nothing when it runs a second time. */
  handle(jobs: PgBoss.Job<JobPayloads[Name]>[], services: Services): Promise<void>;
  options?: PgBoss.WorkOptions;
}

/** One handler per queue in `JobPayloads`; a queue without a handler does not compile. */
export const JOBS = {} satisfies { [Name in JobName]: JobDefinition<Name> };

export async function startWorkers(boss: PgBoss, services: Services, logger: Logger): Promise<void> {
  for (const [name, definition] of Object.entries(JOBS) as [JobName, JobDefinition<JobName>][]) {
    await boss.work<JobPayloads[JobName]>(name, definition.options ?? {}, (jobs) => definition.handle(jobs, services));
    logger.info({ queue: name }, 'worker listening');
  }
}
