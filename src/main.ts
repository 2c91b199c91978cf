#!/usr/bin/env node
import 'reflect-metadata';
import { Command } from 'commander';
import { BlacklistService } from './ingestion/blacklist.service';
import { config, ConfigError, type Config } from './platform/config/config';
import { Database } from './platform/db/database';
import { migrate } from './platform/db/migrate';
import { PebbleError } from './platform/errors/pebble-error';
import { createLogger, type Logger } from './platform/logging/logger';
import { locatePostgres, queueSettings, secretsFor, startProcess, type ProcessRole } from './runtime';
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
