import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import type { Logger } from '../logging/logger';
import { BOSS_SCHEMA, createQueues, startBoss } from '../queue/boss';
import { DEFAULT_QUEUE_SETTINGS, type QueueSettings } from '../queue/jobs';
import { ormConfig } from './orm.config';

export const APP_ROLE = 'pebble_app';

/**
 * Brings a database to the current schema as its owner: MikroORM migrations, the pg-boss schema and
 * queues, and the `pebble_app` login role the api and worker use (no superuser, no BYPASSRLS, owns nothing).
 */
export async function migrate(
  ownerUrl: string,
  appPassword: string | undefined,
  logger: Logger,
  queues: QueueSettings = DEFAULT_QUEUE_SETTINGS,
): Promise<void> {
  const orm = await MikroORM.init(ormConfig({ clientUrl: ownerUrl, poolSize: 1 }));
  try {
    const applied = await orm.getMigrator().up();
    logger.info({ applied: applied.map((m) => m.name) }, applied.length ? 'applied migrations' : 'schema is up to date');
  } finally {
    await orm.close(true);
  }
  const boss = await startBoss({ connectionString: ownerUrl, logger, install: true, poolSize: 1 });
  try {
    await createQueues(boss, queues);
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
  await grantAppRole(ownerUrl, appPassword);
}

async function grantAppRole(ownerUrl: string, appPassword: string | undefined): Promise<void> {
  const client = new Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    // Roles are cluster-wide; several databases (tests, dev) share one role, so create it at most once.
    await client.query(`
      do $$ begin
        if not exists (select from pg_roles where rolname = '${APP_ROLE}') then
          create role ${APP_ROLE} login nosuperuser nobypassrls nocreatedb nocreaterole noinherit;
        end if;
      exception when duplicate_object then null;
      end $$`);
    await client.query(`alter role ${APP_ROLE} login nosuperuser nobypassrls nocreatedb nocreaterole`);
    if (appPassword) {
      const { rows } = await client.query<{ sql: string }>(`select format('alter role ${APP_ROLE} password %L', $1::text) as sql`, [appPassword]);
      await client.query(rows[0].sql);
    }
    const { rows } = await client.query<{ db: string }>('select current_database() as db');
    const database = `"${rows[0].db.replace(/"/g, '""')}"`;
    await client.query(`
      grant connect on database ${database} to ${APP_ROLE};
      grant usage on schema public, ${BOSS_SCHEMA} to ${APP_ROLE};
      grant select, insert, update, delete on all tables in schema public to ${APP_ROLE};
      revoke insert, update, delete on tenants from ${APP_ROLE};
      revoke all on mikro_orm_migrations from ${APP_ROLE};
      grant usage, select on all sequences in schema public to ${APP_ROLE};
      grant execute on function auth_find_user(text) to ${APP_ROLE};
      grant execute on function search_keyword_hits(uuid, text, text[], integer, text[], integer) to ${APP_ROLE};
      grant execute on function search_common_words(integer) to ${APP_ROLE};
      grant execute on function search_snippets(uuid, text, text[], uuid[], integer) to ${APP_ROLE};
      grant execute on function prune_expired(integer, integer, integer, integer, integer) to ${APP_ROLE};
      grant select, insert, update, delete on all tables in schema ${BOSS_SCHEMA} to ${APP_ROLE};
      grant execute on all functions in schema ${BOSS_SCHEMA} to ${APP_ROLE};
      alter default privileges in schema ${BOSS_SCHEMA} grant select, insert, update, delete on tables to ${APP_ROLE};
    `);
  } finally {
    await client.end();
  }
}

/** The app role's URL: APP_DATABASE_URL when given, else the owner URL with the role swapped in. */
export function appDatabaseUrl(ownerUrl: string, appUrl: string | undefined, appPassword: string | undefined): string {
  if (appUrl) return appUrl;
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = appPassword ? encodeURIComponent(appPassword) : '';
  return url.toString();
}
