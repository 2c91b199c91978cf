import { FAKE_ANSWER, startFakeServer, type FakeServer, type HttpAnswer, type TransportBehaviour } from './fake-server';

export { FAKE_ANSWER };

/**
 * What the fake OpenAI does with a request to `POST /v1/chat/completions`:
 * - `{ answer }`: 200 with `choices[0].message.content` = JSON.stringify(answer);
 * - `{ content, finishReason? }`: 200 with this exact content (null, '', 'not json'…);
 * - `{ refusal }`: 200 with `content: null` and this `refusal`, as a safety refusal under Structured Outputs;
 * - `{ status, message? }`: that HTTP status with OpenAI's error body `{"error": {message, type, param, code}}`;
 * - `{ hang: true }`: never answers; `{ reset: true }`: drops the connection.
 */
export type OpenAIBehaviour =
  | { answer: unknown }
  | { content: string | null; finishReason?: string }
  | { refusal: string }
  | { status: number; message?: string }
  | TransportBehaviour;

export interface ChatCompletionRequest {
  model: string;
  messages: { role: string; content: string }[];
  temperature?: number;
  response_format?: { type: string; json_schema?: { name: string; strict?: boolean; schema: unknown } };
}

export type FakeOpenAI = FakeServer<OpenAIBehaviour, ChatCompletionRequest>;

/**
 * A local HTTP server speaking OpenAI's chat completions API. Answers `{ answer: FAKE_ANSWER }` until
 * `respondWith` says otherwise; records every request. Like the real one, it answers 401 to a request
 * without `Authorization: Bearer …`, whatever the behaviour, and 404 to other paths.
 */
export function startFakeOpenAI(): Promise<FakeOpenAI> {
  let counter = 0;
  return startFakeServer<OpenAIBehaviour, ChatCompletionRequest>({ answer: FAKE_ANSWER }, (request, behaviour): HttpAnswer => {
    if (request.method !== 'POST' || request.path !== '/v1/chat/completions') {
      return error(404, `Invalid URL (${request.method} ${request.path})`, 'invalid_request_error', null);
    }
    if (!/^Bearer \S+$/.test(request.headers.authorization ?? '')) {
      return error(401, "You didn't provide an API key.", 'invalid_request_error', null);
    }
    if (request.body === undefined) return error(400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null);
    if ('status' in behaviour) return defaultError(behaviour.status, behaviour.message, request.body.model);
    const message =
      'refusal' in behaviour
        ? { role: 'assistant', content: null, refusal: behaviour.refusal, annotations: [] }
        : { role: 'assistant', content: 'answer' in behaviour ? JSON.stringify(behaviour.answer) : behaviour.content, refusal: null, annotations: [] };
    const finishReason = 'finishReason' in behaviour && behaviour.finishReason ? behaviour.finishReason : 'stop';
    return {
      status: 200,
      json: {
        id: `chatcmpl-fake${++counter}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: request.body.model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
        usage: { prompt_tokens: 180, completion_tokens: 32, total_tokens: 212 },
        service_tier: 'default',
        system_fingerprint: 'fp_fake',
      },
    };
  });
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
