import 'reflect-metadata';
import { buildApp, type PebbleApp } from '../../src/app';
import { parseConfig, type Config } from '../../src/platform/config/config';
import { Database } from '../../src/platform/db/database';
import { appDatabaseUrl } from '../../src/platform/db/migrate';
import { createLogger } from '../../src/platform/logging/logger';
import { createServices, type Services } from '../../src/services';
import { adminQuery, dropDatabase } from './global-setup';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface TestEnv {
  readonly config: Config;
  /** Owner connection: factories only (tenants can only be created by the owner). */
  readonly ownerDb: Database;
  /** The `pebble_app` connection the api and worker use; every assertion about isolation goes through it. */
  readonly db: Database;
  readonly appUrl: string;
  readonly ownerUrl: string;
  readonly services: Services;
  readonly api: PebbleApp;
  close(): Promise<void>;
}

let counter = 0;

/** A fresh database cloned from the migrated template, with the app wired to it as `pebble_app`. */
export async function createTestEnv(overrides: Record<string, string> = {}): Promise<TestEnv> {
  const { PEBBLE_TEST_OWNER_URL, PEBBLE_TEST_TEMPLATE } = process.env;
  if (!PEBBLE_TEST_OWNER_URL || !PEBBLE_TEST_TEMPLATE) throw new Error('tests/setup/global-setup.ts did not run');
  const name = `${PEBBLE_TEST_TEMPLATE}_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;
  await adminQuery(PEBBLE_TEST_OWNER_URL, `create database "${name}" template "${PEBBLE_TEST_TEMPLATE}"`);
  const ownerUrl = new URL(PEBBLE_TEST_OWNER_URL);
  ownerUrl.pathname = `/${name}`;
  const config = parseConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    PEBBLE_HOME: '.pebble/test',
    CHROMA_URL: process.env.PEBBLE_TEST_CHROMA_URL,
    ...overrides,
  });
  const appUrl = appDatabaseUrl(ownerUrl.toString(), undefined, undefined);
  const logger = createLogger(config.LOG_LEVEL, 'pebble-test');
  const ownerDb = await Database.connect(ownerUrl.toString(), 2);
  const db = await Database.connect(appUrl, config.DB_POOL_SIZE, config.INGEST_BATCH_CONCURRENCY);
  const services = createServices(config, TEST_JWT_SECRET, db, logger);
  const api = await buildApp({ config, logger, db, services });
  await api.app.ready();
  return {
    config,
    ownerDb,
    db,
    appUrl,
    ownerUrl: ownerUrl.toString(),
    services,
    api,
    async close() {
      await api.close();
      await services.close();
      await db.close();
      await ownerDb.close();
      await dropDatabase(PEBBLE_TEST_OWNER_URL, name);
    },
  };
}
