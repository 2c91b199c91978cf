/** Which model made a vector; vectors of different identities are not comparable. */
export interface EmbedderIdentity {
  /** `builtin`, `ollama` or `openai`. */
  provider: string;
  /** The model name, e.g. `pebble-hashing-v1`, `nomic-embed-text`, `text-embedding-3-small`. */
  model: string;
}

/** Turns texts into vectors for the semantic index. Outside systems sit behind this; `builtin` runs offline. */
export interface Embedder {
  readonly identity: EmbedderIdentity;
  /** One vector per text, in order, all of the same length. */
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

/** An embedding failure; `retryable` decides whether the indexing job is retried or dead-lettered at once. */
export class EmbedderError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EmbedderError';
  }
}

/** `provider/model`, as recorded with each Chroma collection and shown in logs. */
export function describeEmbedder({ provider, model }: EmbedderIdentity): string {
  return `${provider}/${model}`;
}
