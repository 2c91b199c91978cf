import { postJson } from '../platform/http/post-json';
import { EmbedderError, type Embedder, type EmbedderIdentity } from './embedder';
import { embedInChunks } from './remote-embedding';

/** Where and what `OllamaEmbedder` asks; from OLLAMA_HOST, PEBBLE_EMBED_MODEL and EMBED_TIMEOUT_MS. */
export interface OllamaEmbedderSettings {
  /** The server's base URL, e.g. `http://127.0.0.1:11434`. */
  host: string;
  /** An embedding model the server has pulled, e.g. `nomic-embed-text`. */
  model: string;
  /** Per request (one chunk of texts), reading the answer included. */
  timeoutMs: number;
}

interface OllamaEmbedResponse {
  embeddings?: unknown;
}

/**
 * Embeds with a local Ollama model through `/api/embed`, in chunks (see `embedInChunks`), letting Ollama
 * truncate a text longer than the model's context rather than fail it. Unreachable, slow or failing
 * servers throw EmbedderError (see `postJson` for which are retryable), as does a malformed answer.
 */
export class OllamaEmbedder implements Embedder {
  readonly identity: EmbedderIdentity;
  private readonly url: string;

  constructor(private readonly settings: OllamaEmbedderSettings) {
    this.identity = { provider: 'ollama', model: settings.model };
    this.url = `${settings.host.replace(/\/+$/, '')}/api/embed`;
  }

  embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const { model, timeoutMs } = this.settings;
    return embedInChunks(this.identity, texts, async (input) => {
      const options = { provider: 'ollama', timeoutMs, signal, error: EmbedderError };
      const response = (await postJson(this.url, { model, input, truncate: true }, options)) as OllamaEmbedResponse | undefined;
      return response?.embeddings;
    });
  }
}
