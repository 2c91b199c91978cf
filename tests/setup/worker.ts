import type PgBoss from 'pg-boss';
import { startWorkers } from '../../jobs/registry';
import { createLogger } from '../../src/platform/logging/logger';
import { startBoss } from '../../src/platform/queue/boss';
import type { Services } from '../../src/services';
import type { TestEnv } from './test-env';

export interface TestWorker {
  readonly boss: PgBoss;
  stop(): Promise<void>;
}

/** A real pg-boss worker on the test database, as `pebble worker` runs it, with maintenance every second. */
export async function startTestWorker(env: TestEnv, services: Services = env.services): Promise<TestWorker> {
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'pebble-test-worker');
  const boss = await startBoss({ connectionString: env.appUrl, logger, worker: true, maintenanceSeconds: 1 });
  await startWorkers(boss, services, logger, { batchSize: 10 });
  return { boss, stop: () => boss.stop({ graceful: false, wait: true, close: true }) };
}

/** Polls `probe` until it returns something truthy; fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
