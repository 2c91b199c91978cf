#!/usr/bin/env node
import 'reflect-metadata';
import { Command } from 'commander';
import { BlacklistService } from './ingestion/blacklist.service';
import { RetentionService } from './ops/retention.service';
import { config, ConfigError, type Config } from './platform/config/config';
import { connectChroma } from './platform/chroma/chroma-server';
import { Database } from './platform/db/database';
import { appDatabaseUrl, migrate } from './platform/db/migrate';
import { PebbleError } from './platform/errors/pebble-error';
import { createLogger, type Logger } from './platform/logging/logger';
import { locatePostgres, queueSettings, secretsFor, startProcess, type ProcessRole } from './runtime';
import { Reindexer } from './search/reindexer';
import { createServices, retentionSettings } from './services';
import { TenantService } from './tenancy/tenant.service';

/** Runs a long-lived process until SIGINT/SIGTERM, then shuts it down cleanly (a second signal forces exit). */
async function run(role: ProcessRole, cfg: Config, logger: Logger): Promise<void> {
  const stop = await startProcess(role, cfg, logger);
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

/** Administrative commands act as the database owner and leave nothing running. */
async function withOwnerDb<T>(cfg: Config, logger: Logger, work: (db: Database) => Promise<T>): Promise<T> {
  const postgres = await locatePostgres(cfg, logger);
  try {
    await migrate(postgres.ownerUrl, secretsFor(cfg).appDbPassword, logger, queueSettings(cfg));
    const db = await Database.connect(postgres.ownerUrl, 1);
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  } finally {
    await postgres.stop();
  }
}

/** `pebble reindex`: as the app role (RLS applies), against the running Chroma or one started for the command. */
async function reindex(cfg: Config, logger: Logger, options: { tenant?: string; force?: boolean }): Promise<void> {
  await withOwnerDb(cfg, logger, async (ownerDb) => {
    const secrets = secretsFor(cfg);
    const tenantIds = options.tenant ? [(await new TenantService(ownerDb).findBySlug(options.tenant)).id] : undefined;
    const chroma = await connectChroma(cfg.CHROMA_URL, cfg.PEBBLE_HOME, cfg.CHROMA_PORT, logger);
    const db = await Database.connect(appDatabaseUrl(ownerDb.url, cfg.APP_DATABASE_URL, secrets.appDbPassword), 2, 2);
    try {
      const services = createServices({ ...cfg, CHROMA_URL: chroma.url }, secrets.jwtSecret, db, logger);
      process.stderr.write(`pebble reindex: embedder ${services.indexer.embedderDescription}, Chroma ${chroma.url}\n`);
      const report = await new Reindexer(db, services.indexer, logger).run({ tenantIds, force: options.force, onProgress: progressBar('reindex') });
      await services.close();
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } finally {
      await db.close();
      await chroma.stop();
    }
  });
}

/** A progress bar on a terminal; on a pipe or in a log, a line per tenth. */
function progressBar(label: string): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    const share = total === 0 ? 1 : done / total;
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = Math.round(share * width);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(1)}% ${done}/${total}${done === total ? '\n' : ''}`);
    } else if (Math.floor(share * 10) > lastTenth) {
      lastTenth = Math.floor(share * 10);
      process.stderr.write(`${label}: ${(share * 100).toFixed(0)}% (${done}/${total})\n`);
    }
  };
}

function program(cfg: Config, logger: Logger): Command {
  const cli = new Command('pebble').description('Pebble Orchestrator backend').showHelpAfterError();
  const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

  cli.command('serve').description('run the api (GraphQL, graphql-ws, REST shim)').action(() => run('serve', cfg, logger));
  cli.command('worker').description('run the job workers').action(() => run('worker', cfg, logger));
  cli
    .command('dev')
    .description('migrations, Chroma, demo tenant, api and worker in one process (npm start)')
    .action(() => run('dev', cfg, logger));
  cli
    .command('migrate')
    .description('apply migrations as the owner and (re)grant the pebble_app role')
    .action(() => withOwnerDb(cfg, logger, async () => undefined));

  cli
    .command('reindex')
    .description('rebuild the unified search index from Postgres; needed after changing the embedder')
    .option('--tenant <slug>', 'only this tenant')
    .option('--force', 're-embed every object, not only those missing or made by another embedder')
    .action((options: { tenant?: string; force?: boolean }) => reindex(cfg, logger, options));
  cli
    .command('prune')
    .description('delete expired Idempotency-Keys, refresh tokens, login-throttle rows and thread references now, as workers do at PRUNE_CRON')
    .action(() =>
      withOwnerDb(cfg, logger, async (db) => print(await new RetentionService(db, retentionSettings(cfg)).pruneExpired())),
    );

  const tenant = cli.command('tenant').description('manage tenants');
  tenant
    .command('create')
    .requiredOption('--slug <slug>', 'short unique handle')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--admin-email <email>', "the tenant's first admin")
    .requiredOption('--admin-password <password>', 'at least 8 characters')
    .action((options: { slug: string; name: string; adminEmail: string; adminPassword: string }) =>
      withOwnerDb(cfg, logger, async (db) => {
        const tenants = new TenantService(db);
        const created = await tenants.createTenant({ slug: options.slug, name: options.name });
        const admin = await tenants.createUser(TenantService.operatorAuth(created), {
          email: options.adminEmail,
          password: options.adminPassword,
          role: 'admin',
        });
        print({ tenant: { id: created.id, slug: created.slug }, admin: { id: admin.id, email: admin.email } });
      }),
    );

  cli
    .command('user')
    .description('manage users')
    .command('create')
    .requiredOption('--tenant <slug>', 'tenant slug')
    .requiredOption('--email <email>', 'login email')
    .requiredOption('--password <password>', 'at least 8 characters')
    .requiredOption('--role <role>', 'admin | manager | member | integration')
    .action((options: { tenant: string; email: string; password: string; role: string }) =>
      withOwnerDb(cfg, logger, async (db) => {
        const tenants = new TenantService(db);
        const owner = await tenants.findBySlug(options.tenant);
        const user = await tenants.createUser(TenantService.operatorAuth(owner), {
          email: options.email,
          password: options.password,
          role: options.role as never,
        });
        print({ id: user.id, email: user.email, role: user.role, tenant: owner.slug });
      }),
    );

  const blacklist = cli.command('blacklist').description('manage the global sender blacklist');
  blacklist
    .command('add <pattern>')
    .description('block bob@x.example, @x.example or *.x.example')
    .action((pattern: string) => withOwnerDb(cfg, logger, async (db) => print(await new BlacklistService(db).add(pattern))));
  blacklist
    .command('remove <pattern>')
    .action((pattern: string) => withOwnerDb(cfg, logger, (db) => new BlacklistService(db).remove(pattern)));
  blacklist
    .command('list')
    .action(() =>
      withOwnerDb(cfg, logger, async (db) => print((await new BlacklistService(db).list()).map(({ pattern, kind }) => ({ pattern, kind })))),
    );
  return cli;
}

async function main(): Promise<void> {
  let cfg: Config;
  try {
    cfg = config();
  } catch (error) {
    process.stderr.write(`${(error as ConfigError).message}\n`);
    process.exit(2);
  }
  const logger = createLogger(cfg.LOG_LEVEL);
  try {
    await program(cfg, logger).parseAsync(process.argv);
  } catch (error) {
    if (error instanceof PebbleError) {
      const fields = error.details.fields?.map((f) => `\n  - ${f.field}: ${f.message}`).join('') ?? '';
      process.stderr.write(`pebble: ${error.message}${fields}\n`);
    } else {
      logger.fatal({ err: error }, 'pebble failed');
    }
    process.exit(1);
  }
}

void main();
