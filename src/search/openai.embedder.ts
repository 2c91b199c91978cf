import { postJson } from '../platform/http/post-json';
import { EmbedderError, type Embedder, type EmbedderIdentity } from './embedder';
import { embedInChunks, malformedAnswer } from './remote-embedding';

/** Where and what `OpenAIEmbedder` asks; from OPENAI_BASE_URL, OPENAI_API_KEY, PEBBLE_EMBED_MODEL and EMBED_TIMEOUT_MS. */
export interface OpenAIEmbedderSettings {
  /** `https://api.openai.com` by default; any server speaking the embeddings API. */
  baseUrl?: string;
  apiKey: string;
  /** e.g. `text-embedding-3-small`. */
  model: string;
  /** Per request (one chunk of texts), reading the answer included. */
  timeoutMs: number;
}

interface EmbeddingsResponse {
  data?: { index?: unknown; embedding?: unknown }[];
}

/**
 * Embeds through `/v1/embeddings`, in chunks (see `embedInChunks`), as floats rather than base64 so that
 * the answer is checked as numbers. Unreachable, slow or failing servers throw EmbedderError (see
 * `postJson` for which are retryable), as does a malformed answer.
 */
export class OpenAIEmbedder implements Embedder {
  readonly identity: EmbedderIdentity;
  private readonly url: string;

  constructor(private readonly settings: OpenAIEmbedderSettings) {
    this.identity = { provider: 'openai', model: settings.model };
    // Accept a base URL given with or without the `/v1` that OpenAI's SDKs include in theirs.
    const base = (settings.baseUrl ?? 'https://api.openai.com').replace(/\/+$/, '').replace(/\/v1$/, '');
    this.url = `${base}/v1/embeddings`;
  }

  embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const { model, timeoutMs, apiKey } = this.settings;
    return embedInChunks(this.identity, texts, async (input) => {
      const options = { provider: 'openai', timeoutMs, signal, headers: { authorization: `Bearer ${apiKey}` }, error: EmbedderError };
      const response = (await postJson(this.url, { model, input, encoding_format: 'float' }, options)) as EmbeddingsResponse | undefined;
      return this.inInputOrder(response?.data);
    });
  }

  /** The API numbers each embedding with the `index` of its input; nothing promises they come in that order. */
  private inInputOrder(data: EmbeddingsResponse['data']): unknown[] | undefined {
    if (!Array.isArray(data)) return undefined;
    const ordered = new Array<unknown>(data.length);
    const seen = new Set<number>();
    for (const item of data) {
      const index = item?.index;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= data.length || seen.has(index)) {
        throw malformedAnswer(this.identity, `the indexes of the ${data.length} embeddings are not 0 to ${data.length - 1}, each once`);
      }
      seen.add(index);
      ordered[index] = item.embedding;
    }
    return ordered;
  }
}
