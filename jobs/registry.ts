import type PgBoss from 'pg-boss';
import type { Logger } from '../src/platform/logging/logger';
import type { JobName, JobPayloads } from '../src/platform/queue/jobs';
import type { Services } from '../src/services';

export interface JobDefinition<Name extends JobName> {
  /** pg-boss delivers at least once: a handler must change nothing when it runs a second time. */
  handle(jobs: PgBoss.Job<JobPayloads[Name]>[], services: Services): Promise<void>;
  options?: PgBoss.WorkOptions;
}

/**
 * A queue this build fills but does not yet work: its jobs wait, untouched, for the release that handles
 * them. Saying so explicitly keeps the registry complete by construction.
 */
export interface NotYetHandled {
  readonly pending: string;
}

/** One entry per queue in `JobPayloads`; a queue without an entry does not compile. */
export const JOBS = {
  email_processing: { pending: 'classification and cards (US-BKP-004/006): jobs stay queued until then' },
  email_dlq: { pending: 'SyncError and replay (US-BKP-005)' },
} satisfies { [Name in JobName]: JobDefinition<Name> | NotYetHandled };

export async function startWorkers(boss: PgBoss, services: Services, logger: Logger): Promise<JobName[]> {
  const working: JobName[] = [];
  for (const [name, definition] of Object.entries(JOBS) as [JobName, JobDefinition<JobName> | NotYetHandled][]) {
    if ('pending' in definition) {
      logger.warn({ queue: name, reason: definition.pending }, 'queue has no worker in this build');
      continue;
    }
    await boss.work<JobPayloads[JobName]>(name, definition.options ?? {}, (jobs) => definition.handle(jobs, services));
    logger.info({ queue: name }, 'worker listening');
    working.push(name);
  }
  return working;
}
