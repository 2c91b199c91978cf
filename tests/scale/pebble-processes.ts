import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '../setup/worker';

const ROOT = path.resolve(__dirname, '../..');
/** Lines of a child's output shown when it exits too early. */
const SHOWN_LINES = 100;

/** Pebble compiled from the current sources into a scratch directory inside the checkout (so node_modules resolve). */
export interface PebbleBuild {
  readonly dir: string;
  remove(): void;
}

export async function buildPebble(prefix: string): Promise<PebbleBuild> {
  mkdirSync(path.join(ROOT, '.pebble'), { recursive: true });
  const dir = mkdtempSync(path.join(ROOT, '.pebble', prefix));
  await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', dir], { cwd: ROOT });
  // What `npm run build` copies beside the compiled api: the dashboard is read at start-up.
  cpSync(path.join(ROOT, 'src/dashboard/public'), path.join(dir, 'src/dashboard/public'), { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One `pebble serve` or `pebble worker` child process, its output kept for when a test fails. */
export interface PebbleProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Every line the process wrote (pino JSON at the configured level, and anything on stderr). */
  readonly output: string[];
  kill(): Promise<void>;
}

export function startPebble(build: PebbleBuild, name: string, command: 'serve' | 'worker', env: Record<string, string | undefined>): PebbleProcess {
  const child = spawn(process.execPath, [path.join(build.dir, 'src/main.js'), command], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PEBBLE_HOME: path.join(build.dir, 'home'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const lines = () => {
    let partial = '';
    return (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop()!;
      output.push(...parts.filter(Boolean));
    };
  };
  child.stdout!.on('data', lines());
  child.stderr!.on('data', lines());
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    child,
    output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Waits until `probe` holds, failing early (with the process's output) if the process exits first. */
export async function ready(pebble: PebbleProcess, what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  await eventually(
    `${pebble.name}: ${what}`,
    async () => {
      const { child, name, output } = pebble;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before ${what}:\n${output.slice(-SHOWN_LINES).join('\n')}`);
      }
      return probe().catch(() => false);
    },
    timeoutMs,
  );
}

/** `GET /readyz` answers 200: the api listens and reaches Postgres. */
export function apiReady(pebble: PebbleProcess, origin: string): Promise<void> {
  return ready(pebble, 'GET /readyz = 200', async () => (await fetch(`${origin}/readyz`)).status === 200);
}
