import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveChroma, type ChromaServer } from '../../src/platform/chroma/chroma-server';
import { parseConfig } from '../../src/platform/config/config';
import { migrate } from '../../src/platform/db/migrate';
import { createLogger } from '../../src/platform/logging/logger';
import { adminQuery, freePort } from '../../src/platform/db/postgres';
import { locatePostgres } from '../../src/runtime';

/**
 * Migrates one template database per run; every test file then clones it (`CREATE DATABASE ... TEMPLATE`),
 * so files are isolated from each other at the cost of a file copy, not a migration.
 */
export default async function globalSetup(): Promise<void> {
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', 'pebble-test');
  const config = parseConfig({ ...process.env, NODE_ENV: 'test', PEBBLE_HOME: process.env.PEBBLE_HOME ?? '.pebble/test' });
  const postgres = await locatePostgres(config, logger);
  const template = `pebble_test_${process.pid}`;
  const templateUrl = new URL(postgres.ownerUrl);
  templateUrl.pathname = `/${template}`;
  await dropDatabase(postgres.ownerUrl, template);
  await createDatabase(postgres.ownerUrl, template);
  await migrate(templateUrl.toString(), undefined, logger);
  // MikroORM keeps entity metadata on globalThis; objects made in this realm break the test realm's Maps.
  delete (globalThis as Record<string, unknown>)['mikro-orm-metadata'];
  process.env.PEBBLE_TEST_OWNER_URL = postgres.ownerUrl;
  process.env.PEBBLE_TEST_TEMPLATE = template;
  (globalThis as { __pebblePostgres?: typeof postgres }).__pebblePostgres = postgres;

  // One Chroma server for the run, on a free port, with its data in a directory removed afterwards.
  const chromaHome = mkdtempSync(join(tmpdir(), 'pebble-test-chroma-'));
  const chroma = await resolveChroma(process.env.CHROMA_URL, chromaHome, await freePort(), logger);
  process.env.PEBBLE_TEST_CHROMA_URL = chroma.url;
  Object.assign(globalThis as object, { __pebbleChroma: chroma, __pebbleChromaHome: chromaHome });
}

export { adminQuery, freePort };

export type { ChromaServer };

function createDatabase(ownerUrl: string, name: string): Promise<void> {
  return adminQuery(ownerUrl, `create database "${name}"`);
}

export function dropDatabase(ownerUrl: string, name: string): Promise<void> {
  return adminQuery(ownerUrl, `drop database if exists "${name}" with (force)`);
}
