import { rmSync } from 'node:fs';
import type { ChromaServer } from '../../src/platform/chroma/chroma-server';
import type { PostgresServer } from '../../src/platform/db/postgres';
import { dropDatabase } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const { PEBBLE_TEST_OWNER_URL: ownerUrl, PEBBLE_TEST_TEMPLATE: template } = process.env;
  if (ownerUrl && template) await dropDatabase(ownerUrl, template);
  await (globalThis as { __pebblePostgres?: PostgresServer }).__pebblePostgres?.stop();
  const { __pebbleChroma: chroma, __pebbleChromaHome: chromaHome } = globalThis as { __pebbleChroma?: ChromaServer; __pebbleChromaHome?: string };
  await chroma?.stop();
  if (chromaHome) rmSync(chromaHome, { recursive: true, force: true });
}
