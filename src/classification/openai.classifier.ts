import { postJson } from '../platform/http/post-json';
import { ClassifierError, type Classification, type Classifier, type ClassifierInput } from './classifier';
import { ANSWER_SCHEMA, chatMessages, parseAnswer } from './llm-chat';

export interface OpenAISettings {
  /** `https://api.openai.com` by default; any server speaking the chat completions API. */
  baseUrl?: string;
  apiKey: string;
  model: string;
  /** Per request, reading the answer included. */
  timeoutMs: number;
  /** Answers when OpenAI's answer is unusable (refusal, not JSON, off-schema, empty); normally the builtin. */
  fallback: Classifier;
}

interface ChatCompletion {
  choices?: { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }[];
}

/**
 * Classifies through `/v1/chat/completions` with Structured Outputs (a strict `json_schema` response format)
 * and temperature 0. Unreachable, slow or failing servers throw ClassifierError (see `postJson` for which
 * are retryable); a refusal or unusable content falls back to `fallback`, with the reason in `fallbackReason`.
 */
export class OpenAIClassifier implements Classifier {
  readonly name = 'openai';
  private readonly url: string;

  constructor(private readonly settings: OpenAISettings) {
    // Accept a base URL given with or without the `/v1` that OpenAI's SDKs include in theirs.
    const base = (settings.baseUrl ?? 'https://api.openai.com').replace(/\/+$/, '').replace(/\/v1$/, '');
    this.url = `${base}/v1/chat/completions`;
  }

  async classify(input: ClassifierInput, signal?: AbortSignal): Promise<Classification> {
    const { model, timeoutMs, apiKey } = this.settings;
    const request = {
      model,
      messages: chatMessages(input),
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'email_classification', strict: true, schema: ANSWER_SCHEMA } },
    };
    const options = { provider: 'openai', timeoutMs, signal, headers: { authorization: `Bearer ${apiKey}` }, error: ClassifierError };
    const response = (await postJson(this.url, request, options)) as ChatCompletion | undefined;
    const choice = response?.choices?.[0];
    const refusal = choice?.message?.refusal;
    if (typeof refusal === 'string' && refusal !== '') return this.fallBack(input, signal, `openai ${model} refused: ${refusal}`);
    const parsed = parseAnswer(choice?.message?.content);
    if ('answer' in parsed) return { ...parsed.answer, provider: 'openai', model };
    const finish = typeof choice?.finish_reason === 'string' && choice.finish_reason !== 'stop' ? ` (finish_reason ${choice.finish_reason})` : '';
    return this.fallBack(input, signal, `openai ${model}: ${parsed.problem}${finish}`);
  }

  private async fallBack(input: ClassifierInput, signal: AbortSignal | undefined, reason: string): Promise<Classification> {
    return { ...(await this.settings.fallback.classify(input, signal)), fallbackReason: reason };
  }
}
