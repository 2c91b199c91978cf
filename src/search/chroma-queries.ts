import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ChromaClientError, ChromaConnectionError, ChromaNotFoundError, ChromaRateLimitError, ChromaServerError, type Collection, type Where } from 'chromadb';
import type { VectorHit } from './vector-index';

/** Most bytes of an answer read: 32 query vectors of 1,000 neighbours' ids and distances take about 2 MB. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

interface QueryAnswer {
  ids?: string[][];
  distances?: (number | null)[][] | null;
}

/**
 * Chroma's query endpoint over kept-alive connections: the one Chroma call a search makes. Through the generated
 * client each query went through fetch, web streams and a JSON replacer called for each of the query vector's
 * 1,024 numbers: a fifth of the api's busy main thread under search load (`npm run bench:search`). Everything else
 * stays with the client. Failures are the client's own error classes, so callers cannot tell the difference.
 * Idle connections do not keep the process alive (Node unrefs an agent's free sockets).
 */
export class ChromaQueries {
  private readonly agent: HttpAgent;
  private readonly send: (options: RequestOptions, answer: (response: IncomingMessage) => void) => ClientRequest;

  constructor(
    private readonly url: URL,
    /** Longest one request may take; it is then aborted and its connection closed. */
    private readonly timeoutMs: number,
  ) {
    const ssl = url.protocol === 'https:';
    this.agent = ssl ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.send = ssl ? httpsRequest : httpRequest;
  }

  /** The nearest `limit` vectors of each query vector, in one request. */
  async nearest(collection: Collection, vectors: number[][], limit: number, where?: Where): Promise<VectorHit[][]> {
    const path = ['api', 'v2', 'tenants', collection.tenant, 'databases', collection.database, 'collections', collection.id, 'query'];
    const body = JSON.stringify({ query_embeddings: vectors, n_results: limit, where, include: ['distances'] });
    const answer = await this.post(`/${path.map(encodeURIComponent).join('/')}`, body);
    return vectors.map((_, query) => {
      const distances = answer.distances?.[query] ?? [];
      return (answer.ids?.[query] ?? []).map((key, index) => ({ key, distance: distances[index] ?? 2 }));
    });
  }

  /** Sends once more when a kept-alive connection turns out closed by the server before it read the request. */
  private async post(path: string, body: string): Promise<QueryAnswer> {
    try {
      return await this.postOnce(path, body);
    } catch (error) {
      if (!(error instanceof StaleConnectionError)) throw error;
      return this.postOnce(path, body);
    }
  }

  private postOnce(path: string, body: string): Promise<QueryAnswer> {
    return new Promise((resolve, reject) => {
      const request = this.send(
        {
          host: this.url.hostname,
          port: this.url.port,
          path,
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          signal: AbortSignal.timeout(this.timeoutMs),
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) request.destroy(new ChromaServerError(`Chroma answered more than ${MAX_ANSWER_BYTES} bytes`));
            else chunks.push(chunk);
          });
          response.on('error', reject);
          response.on('end', () => {
            try {
              resolve(answerOf(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof ChromaServerError) reject(error);
        else if (request.reusedSocket && error.code === 'ECONNRESET') reject(new StaleConnectionError());
        else if (error.name === 'AbortError') reject(new ChromaConnectionError(`Chroma did not answer within ${this.timeoutMs} ms`));
        else reject(new ChromaConnectionError(`Failed to connect to Chroma: ${error.message}`, error));
      });
      request.end(body);
    });
  }
}

class StaleConnectionError extends Error {}

/** The answer, or the error the generated client throws for the same status. */
function answerOf(status: number, text: string): QueryAnswer {
  if (status >= 200 && status < 300) return JSON.parse(text) as QueryAnswer;
  const message = messageOf(text) ?? `HTTP ${status}`;
  if (status === 404) throw new ChromaNotFoundError(`The requested resource could not be found: ${message}`);
  if (status === 429) throw new ChromaRateLimitError('Rate limit exceeded');
  if (status >= 500) throw new ChromaServerError(message);
  throw new ChromaClientError(`Chroma refused the query: ${message}`);
}

function messageOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { message?: string; error?: string };
    return body.message ?? body.error;
  } catch {
    return text.slice(0, 200) || undefined;
  }
}
