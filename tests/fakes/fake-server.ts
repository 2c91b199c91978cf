import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest<Body> {
  method: string;
  /** Path and query, e.g. `/api/chat`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The request body parsed as JSON (undefined when it was not JSON); `raw` holds the text. */
  body: Body;
  raw: string;
}

/** Behaviours both fakes understand: stay silent until the client gives up, or drop the connection. */
export type TransportBehaviour = { hang: true } | { reset: true };

/** A valid classification, what both fakes answer until told otherwise. */
export const FAKE_ANSWER = { category: 'support', priority: 'normal', sentiment: 0.2, confidence: 0.9 } as const;

/** The length of every vector the fakes answer: small, as only order and identity matter to tests. */
export const FAKE_EMBEDDING_DIMENSION = 8;

/**
 * The vector both fakes answer for a text: derived from the text alone, so a test can tell which text a
 * vector belongs to and check the order. Components in -1…1.
 */
export function fakeEmbedding(text: string): number[] {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return Array.from({ length: FAKE_EMBEDDING_DIMENSION }, (_, i) => {
    hash = Math.imul(hash ^ (i + 1), 0x01000193);
    return ((hash >>> 8) % 2001) / 1000 - 1;
  });
}

export interface FakeServer<Behaviour, Body> {
  /** Base URL of the server, e.g. `http://127.0.0.1:40321`: pass it as the host / base URL. */
  readonly url: string;
  /** Every request received so far, in order, whatever it was answered. */
  readonly requests: RecordedRequest<Body>[];
  /**
   * Sets what the next requests get: the first behaviour answers the next request, the second the one after,
   * and the last one every request from then on. `respondWith({ status: 500 }, { answer })` fails once, then
   * answers.
   */
  respondWith(...behaviours: [Behaviour, ...Behaviour[]]): void;
  /** Stops the server, dropping open (hanging) connections; calling it again does nothing. */
  close(): Promise<void>;
}

export interface HttpAnswer {
  status: number;
  json?: unknown;
  text?: string;
}

/** The protocol-independent part of a fake: listening, recording, behaviour queue, hang and reset. */
export async function startFakeServer<Behaviour extends object, Body>(
  initial: Behaviour,
  answer: (request: RecordedRequest<Body>, behaviour: Exclude<Behaviour, TransportBehaviour>) => HttpAnswer,
): Promise<FakeServer<Behaviour, Body>> {
  const requests: RecordedRequest<Body>[] = [];
  let queue: Behaviour[] = [initial];
  let closing: Promise<void> | undefined;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Body;
      try {
        body = JSON.parse(raw) as Body;
      } catch {
        body = undefined as Body;
      }
      const request: RecordedRequest<Body> = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, raw };
      requests.push(request);
      const behaviour = queue.length > 1 ? queue.shift()! : queue[0];
      if ('hang' in behaviour) return;
      if ('reset' in behaviour) return void req.socket.destroy();
      const { status, json, text } = answer(request, behaviour as Exclude<Behaviour, TransportBehaviour>);
      const payload = json === undefined ? (text ?? '') : JSON.stringify(json);
      res.writeHead(status, { 'content-type': json === undefined ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8' });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith(...behaviours) {
      queue = [...behaviours];
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
