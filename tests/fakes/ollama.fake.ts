import { FAKE_ANSWER, startFakeServer, type FakeServer, type HttpAnswer, type TransportBehaviour } from './fake-server';

export { FAKE_ANSWER };

/**
 * What the fake Ollama does with a request to `POST /api/chat`:
 * - `{ answer }`: 200 with `message.content` = JSON.stringify(answer), as a model constrained by `format` does;
 * - `{ content, doneReason? }`: 200 with this exact `message.content` ('' for an empty answer, 'not json'…);
 * - `{ status, error? }`: that HTTP status with Ollama's error body `{"error": …}` (404 says the model is missing);
 * - `{ hang: true }`: never answers; `{ reset: true }`: drops the connection.
 */
export type OllamaBehaviour =
  | { answer: unknown }
  | { content: string; doneReason?: string }
  | { status: number; error?: string }
  | TransportBehaviour;

export interface OllamaChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  stream?: boolean;
  format?: unknown;
  options?: { temperature?: number } & Record<string, unknown>;
}

export type FakeOllama = FakeServer<OllamaBehaviour, OllamaChatRequest>;

/**
 * A local HTTP server speaking Ollama's non-streaming `/api/chat`. Answers `{ answer: FAKE_ANSWER }` until
 * `respondWith` says otherwise; records every request. Other paths get Ollama's plain `404 page not found`,
 * and a request without `stream: false` a 400 (the real server would stream NDJSON).
 */
export function startFakeOllama(): Promise<FakeOllama> {
  return startFakeServer<OllamaBehaviour, OllamaChatRequest>({ answer: FAKE_ANSWER }, (request, behaviour): HttpAnswer => {
    if (request.method !== 'POST' || request.path !== '/api/chat') return { status: 404, text: '404 page not found' };
    if (request.body === undefined) return { status: 400, json: { error: 'invalid character in request body' } };
    if (request.body.stream !== false) return { status: 400, json: { error: 'this fake only answers stream: false' } };
    if ('status' in behaviour) {
      return { status: behaviour.status, json: { error: behaviour.error ?? defaultError(behaviour.status, request.body.model) } };
    }
    const content = 'answer' in behaviour ? JSON.stringify(behaviour.answer) : behaviour.content;
    const doneReason = 'doneReason' in behaviour && behaviour.doneReason ? behaviour.doneReason : 'stop';
    return {
      status: 200,
      json: {
        model: request.body.model,
        created_at: new Date().toISOString(),
        message: { role: 'assistant', content },
        done_reason: doneReason,
        done: true,
        total_duration: 412_000_000,
        load_duration: 21_000_000,
        prompt_eval_count: 180,
        prompt_eval_duration: 150_000_000,
        eval_count: 32,
        eval_duration: 240_000_000,
      },
    };
  });
}

function defaultError(status: number, model: string): string {
  if (status === 404) return `model "${model}" not found, try pulling it first`;
  if (status === 429) return 'server busy, please try again. maximum pending requests exceeded';
  if (status >= 500) return 'llama runner process has terminated: exit status 2';
  return `fake ollama error ${status}`;
}
