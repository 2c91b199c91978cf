import PgBoss from 'pg-boss';
import type { Logger } from '../logging/logger';
import { QUEUES, type JobName } from './jobs';

export const BOSS_SCHEMA = 'pgboss';

export interface BossOptions {
  connectionString: string;
  logger: Logger;
  /** Only `pebble migrate` (owner role) installs or upgrades the pg-boss schema. */
  install?: boolean;
  poolSize?: number;
}

export async function startBoss({ connectionString, logger, install = false, poolSize = 4 }: BossOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString,
    schema: BOSS_SCHEMA,
    max: poolSize,
    migrate: install,
    supervise: !install,
    schedule: !install,
    application_name: install ? 'pebble-migrate' : 'pebble',
  });
  boss.on('error', (error) => logger.error({ err: error }, 'pg-boss error'));
  await boss.start();
  return boss;
}

/** Creates every queue in `QUEUES` (idempotent); queues are tables, so only the owner creates them. */
export async function createQueues(boss: PgBoss): Promise<void> {
  for (const [name, options] of Object.entries(QUEUES) as [JobName, PgBoss.Queue][]) {
    if (await boss.getQueue(name)) await boss.updateQueue(name, { ...options, name });
    else await boss.createQueue(name, { ...options, name });
  }
}
