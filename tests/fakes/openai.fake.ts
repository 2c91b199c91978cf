import { FAKE_ANSWER, fakeEmbedding, startFakeServer, type FakeServer, type HttpAnswer, type TransportBehaviour } from './fake-server';

export { FAKE_ANSWER, fakeEmbedding };

/**
 * What the fake OpenAI does with the next request:
 * - `{ answer }`: `/v1/chat/completions` answers 200 with `choices[0].message.content` = JSON.stringify(answer);
 * - `{ content, finishReason? }`: `/v1/chat/completions` answers 200 with this exact content (null, '', 'not json'…);
 * - `{ refusal }`: `/v1/chat/completions` answers 200 with `content: null` and this `refusal`, as a safety
 *   refusal under Structured Outputs;
 * - `{ data }`: `/v1/embeddings` answers 200 with this exact `data` (reordered, too few, strings…);
 * - `{ raw }`: 200 with this exact body text, e.g. a number JSON.stringify cannot write (`1e999`);
 * - `{ status, message? }`: that HTTP status with OpenAI's error body `{"error": {message, type, param, code}}`;
 * - `{ hang: true }`: never answers; `{ reset: true }`: drops the connection.
 * A behaviour meant for the other endpoint gets that endpoint's normal answer: FAKE_ANSWER from chat
 * completions, `fakeEmbedding(text)` per input from embeddings.
 */
export type OpenAIBehaviour =
  | { answer: unknown }
  | { content: string | null; finishReason?: string }
  | { refusal: string }
  | { data: unknown }
  | { raw: string }
  | { status: number; message?: string }
  | TransportBehaviour;

export interface ChatCompletionRequest {
  model: string;
  messages: { role: string; content: string }[];
  temperature?: number;
  response_format?: { type: string; json_schema?: { name: string; strict?: boolean; schema: unknown } };
}

/** The body of `POST /v1/embeddings`, as OpenAI documents it. */
export interface EmbeddingsRequest {
  model: string;
  input: string | string[];
  encoding_format?: string;
}

/** A recorded body: chat completion requests have the chat fields, embeddings requests the embeddings ones. */
export type OpenAIRequest = ChatCompletionRequest & Partial<EmbeddingsRequest>;

export type FakeOpenAI = FakeServer<OpenAIBehaviour, OpenAIRequest>;

/** The real API's own limit on texts per embeddings request. */
const MAX_INPUTS = 2048;

/**
 * A local HTTP server speaking OpenAI's chat completions and embeddings APIs. Answers normally until
 * `respondWith` says otherwise; records every request. Like the real one, it answers 401 to a request
 * without `Authorization: Bearer …`, whatever the behaviour, 404 to other paths, and 400 to an embeddings
 * request with an empty or blank input or more than 2048 of them.
 */
export function startFakeOpenAI(): Promise<FakeOpenAI> {
  let counter = 0;
  return startFakeServer<OpenAIBehaviour, OpenAIRequest>({ answer: FAKE_ANSWER }, (request, behaviour): HttpAnswer => {
    const embeddings = request.path === '/v1/embeddings';
    if (request.method !== 'POST' || (request.path !== '/v1/chat/completions' && !embeddings)) {
      return error(404, `Invalid URL (${request.method} ${request.path})`, 'invalid_request_error', null);
    }
    if (!/^Bearer \S+$/.test(request.headers.authorization ?? '')) {
      return error(401, "You didn't provide an API key.", 'invalid_request_error', null);
    }
    if (request.body === undefined) return error(400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null);
    if (embeddings) {
      const invalid = invalidEmbeddingsRequest(request.body);
      if (invalid) return error(400, invalid, 'invalid_request_error', null);
    }
    if ('status' in behaviour) return defaultError(behaviour.status, behaviour.message, request.body.model);
    if ('raw' in behaviour) return { status: 200, text: behaviour.raw };
    return { status: 200, json: embeddings ? embeddingsAnswer(request.body, behaviour) : chatAnswer(request.body, behaviour, `chatcmpl-fake${++counter}`) };
  });
}

type Answerable = Exclude<OpenAIBehaviour, TransportBehaviour | { status: number } | { raw: string }>;

function chatAnswer(body: OpenAIRequest, behaviour: Answerable, id: string): unknown {
  const message =
    'refusal' in behaviour
      ? { role: 'assistant', content: null, refusal: behaviour.refusal, annotations: [] }
      : { role: 'assistant', content: 'content' in behaviour ? behaviour.content : JSON.stringify('answer' in behaviour ? behaviour.answer : FAKE_ANSWER), refusal: null, annotations: [] };
  const finishReason = 'finishReason' in behaviour && behaviour.finishReason ? behaviour.finishReason : 'stop';
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
    usage: { prompt_tokens: 180, completion_tokens: 32, total_tokens: 212 },
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
}

/** The real API's complaint, if it would have one: it refuses empty and blank inputs with this unhelpful message. */
function invalidEmbeddingsRequest({ model, input }: OpenAIRequest): string | undefined {
  if (!model) return 'you must provide a model parameter';
  const texts = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(texts) || texts.length === 0 || texts.some((text) => typeof text !== 'string' || text.trim() === '')) {
    return "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";
  }
  if (texts.length > MAX_INPUTS) return `'$.input' is too long. Maximum array size is ${MAX_INPUTS}.`;
  return undefined;
}

function embeddingsAnswer({ model, input }: OpenAIRequest, behaviour: Answerable): unknown {
  const texts = typeof input === 'string' ? [input] : (input ?? []);
  const data = 'data' in behaviour ? behaviour.data : texts.map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(text) }));
  const tokens = texts.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
  return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

function defaultError(status: number, message: string | undefined, model: string): HttpAnswer {
  if (status === 401) return error(401, message ?? 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
  if (status === 404) return error(404, message ?? `The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found');
  if (status === 429) return error(429, message ?? 'Rate limit reached for requests.', 'requests', 'rate_limit_exceeded');
  if (status >= 500) return error(status, message ?? 'The server had an error while processing your request.', 'server_error', null);
  return error(status, message ?? 'Invalid request.', 'invalid_request_error', null);
}

function error(status: number, message: string, type: string, code: string | null): HttpAnswer {
  return { status, json: { error: { message, type, param: null, code } } };
}
