import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '../logging/logger';

export interface ChromaServer {
  readonly url: string;
  stop(): Promise<void>;
}

const HEARTBEAT = '/api/v2/heartbeat';

/** Uses CHROMA_URL when set; otherwise runs the `chromadb` package's own server under PEBBLE_HOME/chroma. */
export async function resolveChroma(chromaUrl: string | undefined, home: string, port: number, logger: Logger): Promise<ChromaServer> {
  if (chromaUrl) {
    await waitForHeartbeat(chromaUrl, 10_000);
    return { url: chromaUrl, stop: async () => {} };
  }
  const path = resolve(home, 'chroma');
  mkdirSync(path, { recursive: true });
  const cli = chromaCli();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [cli, 'run', '--path', path, '--host', '127.0.0.1', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  logger.info({ path, url }, 'starting Chroma');
  const exit = exited(child);
  exit.catch(() => {}); // only matters while starting; a later exit is stop() or a crash logged by the caller
  try {
    await Promise.race([waitForHeartbeat(url, 30_000), exit]);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`Chroma did not start on ${url}: ${(error as Error).message}\n${output.trim()}`);
  }
  return { url, stop: () => stopChild(child) };
}

/**
 * For one-off commands: the Chroma at `url` when it answers (a running `pebble dev`, or CHROMA_URL);
 * otherwise, without CHROMA_URL, one started under PEBBLE_HOME for the command's duration.
 */
export async function connectChroma(chromaUrl: string | undefined, home: string, port: number, logger: Logger): Promise<ChromaServer> {
  const url = chromaUrl ?? `http://127.0.0.1:${port}`;
  try {
    await waitForHeartbeat(url, chromaUrl ? 10_000 : 500);
    return { url, stop: async () => {} };
  } catch (error) {
    if (chromaUrl) throw new Error(`Chroma at CHROMA_URL=${chromaUrl} is not reachable: ${(error as Error).message}`);
    return resolveChroma(undefined, home, port, logger);
  }
}

async function waitForHeartbeat(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(new URL(HEARTBEAT, url), { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`no heartbeat within ${timeoutMs} ms (${last})`);
}

function exited(child: ChildProcess): Promise<never> {
  return new Promise((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`process exited (${signal ?? code})`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** The `chroma` bin of the chromadb package (its `exports` do not expose the file, so walk up to the root). */
function chromaCli(): string {
  let dir = dirname(require.resolve('chromadb'));
  while (!dir.endsWith(`${'node_modules'}/chromadb`) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'cli.mjs');
}
