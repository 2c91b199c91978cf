import PgBoss from 'pg-boss';
import type { Logger } from '../logging/logger';
import { DEFAULT_QUEUE_SETTINGS, queueDefinitions, type JobName, type QueueSettings } from './jobs';

export const BOSS_SCHEMA = 'pgboss';

export interface BossOptions {
  connectionString: string;
  logger: Logger;
  /** Only `pebble migrate` (owner role) installs or upgrades the pg-boss schema. */
  install?: boolean;
  /** Maintenance and cron run only in processes that work queues; an api process just checks and reads. */
  worker?: boolean;
  poolSize?: number;
  /** How often a worker process expires stuck jobs (e.g. of a killed worker) and archives old ones. */
  maintenanceSeconds?: number;
}

export async function startBoss({ connectionString, logger, install = false, worker = true, poolSize = 4, maintenanceSeconds = 30 }: BossOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString,
    schema: BOSS_SCHEMA,
    max: worker ? poolSize : 1,
    migrate: install,
    supervise: !install && worker,
    schedule: !install && worker,
    maintenanceIntervalSeconds: maintenanceSeconds,
    application_name: install ? 'pebble-migrate' : 'pebble',
  });
  boss.on('error', (error) => logger.error({ err: error }, 'pg-boss error'));
  await boss.start();
  return boss;
}

/** Creates or updates every queue of the registry (idempotent); queues are tables, so only the owner creates them. */
export async function createQueues(boss: PgBoss, settings: QueueSettings): Promise<void> {
  for (const [name, options] of Object.entries(queueDefinitions(settings)) as [JobName, PgBoss.Queue][]) {
    if (await boss.getQueue(name)) await boss.updateQueue(name, { ...options, name });
    else await boss.createQueue(name, { ...options, name });
  }
}

/** Fails fast when the database lacks a queue this build needs: jobs sent to it would vanish. */
export async function assertQueuesExist(boss: PgBoss): Promise<void> {
  const existing = new Set((await boss.getQueues()).map((queue) => queue.name));
  const missing = Object.keys(queueDefinitions(DEFAULT_QUEUE_SETTINGS)).filter((name) => !existing.has(name));
  if (missing.length > 0) throw new Error(`Queues missing: ${missing.join(', ')}. Run \`pebble migrate\` first.`);
}
