import { postJson } from '../platform/http/post-json';
import { ClassifierError, type Classification, type Classifier, type ClassifierInput } from './classifier';
import { ANSWER_SCHEMA, chatMessages, parseAnswer } from './llm-chat';

export interface OllamaSettings {
  /** The server's base URL, e.g. `http://127.0.0.1:11434`. */
  host: string;
  model: string;
  /** Per request, reading the answer included. */
  timeoutMs: number;
  /** Answers when Ollama's answer is unusable (not JSON, off-schema, empty); normally the builtin. */
  fallback: Classifier;
}

interface OllamaChatResponse {
  message?: { content?: unknown };
  done_reason?: unknown;
}

/**
 * Classifies with a local Ollama model through `/api/chat`, non-streaming, with the answer constrained to a
 * JSON schema (`format`) and temperature 0 so the same email gets the same answer. Unreachable, slow or
 * failing servers throw ClassifierError (see `postJson` for which are retryable); a usable HTTP answer with
 * unusable content falls back to `fallback`, with the reason in `fallbackReason`.
 */
export class OllamaClassifier implements Classifier {
  readonly name = 'ollama';
  private readonly url: string;

  constructor(private readonly settings: OllamaSettings) {
    this.url = `${settings.host.replace(/\/+$/, '')}/api/chat`;
  }

  async classify(input: ClassifierInput, signal?: AbortSignal): Promise<Classification> {
    const { model, timeoutMs } = this.settings;
    const request = { model, messages: chatMessages(input), stream: false, format: ANSWER_SCHEMA, options: { temperature: 0 } };
    const options = { provider: 'ollama', timeoutMs, signal, error: ClassifierError };
    const response = (await postJson(this.url, request, options)) as OllamaChatResponse | undefined;
    const parsed = parseAnswer(response?.message?.content);
    if ('answer' in parsed) return { ...parsed.answer, provider: 'ollama', model };
    const cutOff = response?.done_reason === 'length' ? ' (cut off at the token limit)' : '';
    return this.fallBack(input, signal, `ollama ${model}: ${parsed.problem}${cutOff}`);
  }

  private async fallBack(input: ClassifierInput, signal: AbortSignal | undefined, reason: string): Promise<Classification> {
    return { ...(await this.settings.fallback.classify(input, signal)), fallbackReason: reason };
  }
}
