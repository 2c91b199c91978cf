import type PgBoss from 'pg-boss';
import { startWorkers } from '../jobs/registry';
import { buildApp, type PebbleApp } from './app';
import type { Config } from './platform/config/config';
import { loadLocalSecrets } from './platform/config/local-secrets';
import { resolveChroma, type ChromaServer } from './platform/chroma/chroma-server';
import { Database } from './platform/db/database';
import { appDatabaseUrl, migrate } from './platform/db/migrate';
import { resolvePostgres, type PostgresServer } from './platform/db/postgres';
import type { Logger } from './platform/logging/logger';
import { assertQueuesExist, startBoss } from './platform/queue/boss';
import type { QueueSettings } from './platform/queue/jobs';
import { seedDemo } from './tenancy/demo-seed';
import { createServices, type Services } from './services';

export type ProcessRole = 'serve' | 'worker' | 'dev';

/** Secrets that production must set and development may generate once under PEBBLE_HOME. */
export function secretsFor(config: Config) {
  const local = config.NODE_ENV === 'production' ? null : loadLocalSecrets(config.PEBBLE_HOME);
  return {
    jwtSecret: config.JWT_SECRET ?? local!.jwtSecret,
    appDbPassword: config.PEBBLE_APP_PASSWORD ?? local?.appDbPassword,
    embeddedPostgresPassword: local?.embeddedPostgresPassword ?? '',
  };
}

export function queueSettings(config: Config): QueueSettings {
  return {
    emailRetryDelaySeconds: config.EMAIL_RETRY_DELAY_SECONDS,
    emailExpireSeconds: config.EMAIL_JOB_EXPIRE_SECONDS,
    indexRetryLimit: config.INDEX_RETRY_LIMIT,
    indexRetryDelaySeconds: config.INDEX_RETRY_DELAY_SECONDS,
    indexExpireSeconds: config.INDEX_JOB_EXPIRE_SECONDS,
    insightsExpireSeconds: config.INSIGHTS_JOB_EXPIRE_SECONDS,
  };
}

/** Vectors of another embedder cannot be searched with the configured one; say so at start-up (Chroma may still be starting, so never fail). */
function warnAboutStaleVectors(services: Services, logger: Logger): void {
  services.indexer.staleTenants().then(
    (stale) => {
      if (stale.size === 0) return;
      logger.error(
        { tenants: stale.size, stored: [...new Set(stale.values())], configured: services.indexer.embedderDescription },
        'the search index was built by another embedder: semantic search is degraded for these tenants until `pebble reindex` runs',
      );
    },
    (error) => logger.warn({ err: error }, 'could not check the search index embedder (Chroma unreachable?)'),
  );
}

export function locatePostgres(config: Config, logger: Logger): Promise<PostgresServer> {
  return resolvePostgres({
    databaseUrl: config.DATABASE_URL,
    home: config.PEBBLE_HOME,
    embeddedPassword: secretsFor(config).embeddedPostgresPassword,
    logger,
  });
}

/**
 * Starts one Pebble process. `dev` also brings up Postgres (local or embedded), migrations, Chroma and the
 * demo tenant. Returns a stop function that shuts everything down in reverse order.
 */
export async function startProcess(role: ProcessRole, config: Config, logger: Logger): Promise<() => Promise<void>> {
  const secrets = secretsFor(config);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) {
      try {
        await step();
      } catch (error) {
        logger.error({ err: error }, 'error during shutdown');
      }
    }
  };
  try {
    const postgres = await locatePostgres(config, logger);
    stops.push(() => postgres.stop());
    if (role === 'dev') {
      await migrate(postgres.ownerUrl, secrets.appDbPassword, logger, queueSettings(config));
      const chroma: ChromaServer = await resolveChroma(config.CHROMA_URL, config.PEBBLE_HOME, config.CHROMA_PORT, logger);
      stops.push(() => chroma.stop());
      await seedDemo(postgres.ownerUrl, config.PEBBLE_DEMO_PASSWORD, logger);
    }
    const appUrl = appDatabaseUrl(postgres.ownerUrl, config.APP_DATABASE_URL, secrets.appDbPassword);
    // The plain pool carries the ingestion group commit and, in workers, the pipeline's transactions.
    const db = await Database.connect(appUrl, config.DB_POOL_SIZE, role === 'serve' ? config.INGEST_BATCH_CONCURRENCY : Math.max(config.INGEST_BATCH_CONCURRENCY, config.DB_POOL_SIZE));
    stops.push(() => db.close());
    const services = createServices(config, secrets.jwtSecret, db, logger);
    stops.push(() => services.close());

    const boss: PgBoss = await startBoss({ connectionString: appUrl, logger, worker: role !== 'serve', maintenanceSeconds: config.QUEUE_MAINTENANCE_SECONDS });
    stops.push(() => boss.stop({ graceful: true, wait: true, timeout: 20_000 }));
    await assertQueuesExist(boss);
    warnAboutStaleVectors(services, logger);
    if (role !== 'serve') {
      const queues = await startWorkers(boss, services, logger, {
        batchSize: config.WORKER_BATCH_SIZE,
        queues: config.WORKER_QUEUES,
        insightsSchedule: { cron: config.INSIGHTS_CRON, timezone: config.INSIGHTS_TIMEZONE },
        pruneSchedule: { cron: config.PRUNE_CRON },
      });
      logger.info({ queues }, 'Pebble worker running');
    }
    if (role !== 'worker') {
      const api: PebbleApp = await buildApp({ config, logger, db, services });
      await api.app.listen({ host: config.HOST, port: config.PORT });
      stops.push(() => api.close());
      logger.info({ url: `http://127.0.0.1:${config.PORT}`, graphql: '/graphql', rest: '/api/v1/' }, 'Pebble api listening');
    }
    return stop;
  } catch (error) {
    await stop();
    throw error;
  }
}
