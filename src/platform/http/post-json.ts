/** A feature's error class for remote calls, such as ClassifierError or EmbedderError. */
export type RemoteCallError = new (message: string, retryable: boolean, options?: { cause?: unknown }) => Error;

export interface PostOptions {
  /** `ollama` or `openai`, for error messages. */
  provider: string;
  timeoutMs: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** What to throw: each feature keeps its own error class, so its jobs need not know about the others'. */
  error: RemoteCallError;
}

/**
 * POSTs JSON and answers the parsed response body (undefined when it is not JSON), or throws:
 * - the caller's own abort reason, untouched, when the caller's signal aborts;
 * - a retryable `options.error` on timeout, on a network failure (refused, reset, DNS) and on HTTP 408,
 *   429 and 5xx: the service may well answer later;
 * - a permanent `options.error` on any other HTTP error (400, 401, 403, 404 model not found…): a retry
 *   would get the same answer.
 */
export async function postJson(url: string, body: unknown, options: PostOptions): Promise<unknown> {
  const { provider, timeoutMs, signal, error: RemoteError } = options;
  signal?.throwIfAborted();
  const timeout = AbortSignal.timeout(timeoutMs);
  let status: number;
  let text: string;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (timeout.aborted) throw new RemoteError(`${provider} did not answer within ${timeoutMs} ms`, true, { cause: error });
    throw new RemoteError(`${provider} is unreachable at ${new URL(url).origin}: ${networkProblem(error)}`, true, { cause: error });
  }
  if (status < 200 || status > 299) {
    const retryable = status === 408 || status === 429 || status >= 500;
    throw new RemoteError(`${provider} answered HTTP ${status}: ${errorDetail(text)}`, retryable);
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Text for an error message: whitespace collapsed, cut at 200 characters. */
export function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function networkProblem(error: unknown): string {
  // undici's fetch rejects with TypeError('fetch failed'); the socket's error (ECONNREFUSED…) is its cause.
  // Duck-typed rather than instanceof: errors may come from another realm (jest's vm contexts do that).
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause ?? error;
  const code = (cause as { code?: unknown })?.code;
  const message = (cause as { message?: unknown })?.message;
  const text = typeof message === 'string' && message !== '' ? message : String(cause);
  return typeof code === 'string' && !text.includes(code) ? `${code} ${text}` : text;
}

/** Ollama answers `{"error": "…"}`, OpenAI `{"error": {"message": "…"}}`; anything else is shown cut short. */
function errorDetail(text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof error === 'string') return error;
    const message = (error as { message?: unknown } | undefined)?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: fall through
  }
  return excerpt(text) || '(empty body)';
}
