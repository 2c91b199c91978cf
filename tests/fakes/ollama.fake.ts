import { FAKE_ANSWER, fakeEmbedding, startFakeServer, type FakeServer, type HttpAnswer, type TransportBehaviour } from './fake-server';

export { FAKE_ANSWER, fakeEmbedding };

/**
 * What the fake Ollama does with the next request:
 * - `{ answer }`: `/api/chat` answers 200 with `message.content` = JSON.stringify(answer), as a model
 *   constrained by `format` does;
 * - `{ content, doneReason? }`: `/api/chat` answers 200 with this exact `message.content` ('' for an empty
 *   answer, 'not json'…);
 * - `{ embeddings }`: `/api/embed` answers 200 with this exact `embeddings` (too few, ragged, strings…);
 * - `{ raw }`: 200 with this exact body text, e.g. a number JSON.stringify cannot write (`1e999`);
 * - `{ status, error? }`: that HTTP status with Ollama's error body `{"error": …}` (404 says the model is missing);
 * - `{ hang: true }`: never answers; `{ reset: true }`: drops the connection.
 * A behaviour meant for the other endpoint gets that endpoint's normal answer: FAKE_ANSWER from
 * `/api/chat`, `fakeEmbedding(text)` per input from `/api/embed`.
 */
export type OllamaBehaviour =
  | { answer: unknown }
  | { content: string; doneReason?: string }
  | { embeddings: unknown }
  | { raw: string }
  | { status: number; error?: string }
  | TransportBehaviour;

export interface OllamaChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  stream?: boolean;
  format?: unknown;
  options?: { temperature?: number } & Record<string, unknown>;
}

/** The body of `POST /api/embed`, as Ollama documents it. */
export interface OllamaEmbedRequest {
  model: string;
  input: string | string[];
  truncate?: boolean;
}

/** A recorded body: `/api/chat` requests have the chat fields, `/api/embed` ones the embed fields. */
export type OllamaRequest = OllamaChatRequest & Partial<OllamaEmbedRequest>;

export type FakeOllama = FakeServer<OllamaBehaviour, OllamaRequest>;

/**
 * A local HTTP server speaking Ollama's non-streaming `/api/chat` and `/api/embed`. Answers normally until
 * `respondWith` says otherwise; records every request. Other paths get Ollama's plain `404 page not
 * found`, a chat request without `stream: false` a 400 (the real server would stream NDJSON), and an embed
 * request without a model or with an input that is not text or a list of texts a 400.
 */
export function startFakeOllama(): Promise<FakeOllama> {
  return startFakeServer<OllamaBehaviour, OllamaRequest>({ answer: FAKE_ANSWER }, (request, behaviour): HttpAnswer => {
    const route = request.method === 'POST' ? ROUTES[request.path] : undefined;
    if (!route) return { status: 404, text: '404 page not found' };
    if (request.body === undefined) return { status: 400, json: { error: 'invalid character in request body' } };
    const invalid = route.invalid(request.body);
    if (invalid) return { status: 400, json: { error: invalid } };
    if ('status' in behaviour) {
      return { status: behaviour.status, json: { error: behaviour.error ?? defaultError(behaviour.status, request.body.model) } };
    }
    if ('raw' in behaviour) return { status: 200, text: behaviour.raw };
    return { status: 200, json: route.answer(request.body, behaviour) };
  });
}

type Answerable = Exclude<OllamaBehaviour, TransportBehaviour | { status: number } | { raw: string }>;

interface Route {
  /** Why the real server would answer 400, if it would. */
  invalid(body: OllamaRequest): string | undefined;
  /** The 200 answer's body. */
  answer(body: OllamaRequest, behaviour: Answerable): unknown;
}

const ROUTES: Partial<Record<string, Route>> = {
  '/api/chat': {
    invalid: (body) => (body.stream === false ? undefined : 'this fake only answers stream: false'),
    answer: (body, behaviour) => ({
      model: body.model,
      created_at: new Date().toISOString(),
      message: { role: 'assistant', content: 'content' in behaviour ? behaviour.content : JSON.stringify('answer' in behaviour ? behaviour.answer : FAKE_ANSWER) },
      done_reason: 'doneReason' in behaviour && behaviour.doneReason ? behaviour.doneReason : 'stop',
      done: true,
      total_duration: 412_000_000,
      load_duration: 21_000_000,
      prompt_eval_count: 180,
      prompt_eval_duration: 150_000_000,
      eval_count: 32,
      eval_duration: 240_000_000,
    }),
  },
  '/api/embed': {
    invalid: ({ model, input }) => {
      if (!model) return 'model is required';
      const texts = typeof input === 'string' ? [input] : input;
      return Array.isArray(texts) && texts.every((text) => typeof text === 'string') ? undefined : 'invalid input type';
    },
    answer: ({ model, input }, behaviour) => {
      const texts = typeof input === 'string' ? [input] : (input ?? []);
      const embeddings = 'embeddings' in behaviour ? behaviour.embeddings : texts.map(fakeEmbedding);
      return { model, embeddings, total_duration: 14_000_000, load_duration: 1_000_000, prompt_eval_count: 12 * texts.length };
    },
  },
};

function defaultError(status: number, model: string): string {
  if (status === 404) return `model "${model}" not found, try pulling it first`;
  if (status === 429) return 'server busy, please try again. maximum pending requests exceeded';
  if (status >= 500) return 'llama runner process has terminated: exit status 2';
  return `fake ollama error ${status}`;
}
