/**
 * Closed-loop HTTP load from a worker thread: N clients, each sending its next request as soon as the last
 * answer is read, for a fixed time. Unlike autocannon it reads every answer, so the bench can check what
 * came back (search answers not `degraded` and with hits, Chroma answers with neighbours), and the load
 * generator still does not share the event loop of the server in the main thread.
 */
import { Agent, request } from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** How to read an answer: a unified search answer, a Chroma query answer, or not at all. */
export type AnswerCheck = 'search' | 'chroma' | 'none';

export interface LoadOptions {
  origin: string;
  /** Taken in turn by whichever client is free next. */
  requests: LoadRequest[];
  connections: number;
  seconds: number;
  check: AnswerCheck;
  /** Requests sent one at a time before the clock starts, so caches and lazily loaded indexes are warm. */
  warmup?: number;
}

export interface LoadResult {
  /** Latency of every answered request in ms, sorted. */
  latencies: number[];
  seconds: number;
  /** Transport errors and non-2xx answers. */
  errors: number;
  /** Answers marked `degraded` (search only). */
  degraded: number;
  /** Answers without a single hit or neighbour. */
  empty: number;
  /** The requests behind the longest latencies, slowest first, each path once. */
  slowest: { path: string; ms: number }[];
}

/** Requests named in `slowest`. */
const SLOWEST = 8;

/** Runs the load in a worker thread and resolves with what it measured. */
export function runHttpLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: options });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`load worker exited with ${code}`)));
  });
}

/** Several runs of one load as if they were one: every latency, the time of all, the slowest of any. */
export function combineLoads(results: LoadResult[]): LoadResult {
  const longest = new Map<string, number>();
  for (const { path, ms } of results.flatMap((result) => result.slowest)) longest.set(path, Math.max(ms, longest.get(path) ?? 0));
  const sum = (field: 'seconds' | 'errors' | 'degraded' | 'empty') => results.reduce((total, result) => total + result[field], 0);
  return {
    latencies: results.flatMap((result) => result.latencies).sort((a, b) => a - b),
    seconds: sum('seconds'),
    errors: sum('errors'),
    degraded: sum('degraded'),
    empty: sum('empty'),
    slowest: [...longest].sort(([, a], [, b]) => b - a).slice(0, SLOWEST).map(([path, ms]) => ({ path, ms })),
  };
}

/** The value at quantile `q` (0–1) of sorted values, by nearest rank. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}


async function load({ origin, requests, connections, seconds, check, warmup = 0 }: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const url = new URL(origin);
  const send = (item: LoadRequest) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const outgoing = request(
        { agent, host: url.hostname, port: url.port, method: item.method, path: item.path, headers: { ...item.headers, ...(item.body ? { 'content-length': Buffer.byteLength(item.body) } : {}) } },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
          incoming.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(item.body);
    });

  for (let i = 0; i < warmup; i++) await send(requests[i % requests.length]!).catch(() => undefined);

  const result: LoadResult = { latencies: [], seconds, errors: 0, degraded: 0, empty: 0, slowest: [] };
  const longest = new Map<string, number>();
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const client = async () => {
    while (performance.now() < deadline) {
      const item = requests[next++ % requests.length]!;
      const sent = performance.now();
      try {
        const { status, body } = await send(item);
        const ms = performance.now() - sent;
        result.latencies.push(ms);
        longest.set(item.path, Math.max(ms, longest.get(item.path) ?? 0));
        if (status < 200 || status >= 300) {
          result.errors++;
          continue;
        }
        if (check === 'search') {
          const answer = JSON.parse(body) as { degraded: boolean; hits: unknown[] };
          if (answer.degraded) result.degraded++;
          if (answer.hits.length === 0) result.empty++;
        } else if (check === 'chroma') {
          const answer = JSON.parse(body) as { ids: string[][] };
          if ((answer.ids[0] ?? []).length === 0) result.empty++;
        }
      } catch {
        result.errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, client));
  result.seconds = (performance.now() - started) / 1000;
  result.latencies.sort((a, b) => a - b);
  result.slowest = [...longest].sort(([, a], [, b]) => b - a).slice(0, SLOWEST).map(([path, ms]) => ({ path, ms }));
  agent.destroy();
  return result;
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  load(workerData as LoadOptions).then(
    (result) => port.postMessage(result),
    (error: unknown) => {
      throw error;
    },
  );
}
