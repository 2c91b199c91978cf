import { postJson } from '../../platform/http/post-json';
import type { InsightFacts } from '../insight-facts';
import type { InsightSummary, LlmProvider } from './llm-provider';
import { SUMMARY_SCHEMA, summaryMessages } from './prompt';
import { SummaryError, writeRemoteSummary } from './remote-summary';

export interface OllamaSummarySettings {
  /** The server's base URL, e.g. `http://127.0.0.1:11434`. */
  host: string;
  model: string;
  /** For the whole summary, retries included (INSIGHTS_LLM_TIMEOUT_MS). */
  timeoutMs: number;
  /** Writes the summary when Ollama's cannot be used; normally the builtin. */
  fallback: LlmProvider;
}

interface OllamaChatResponse {
  message?: { content?: unknown };
  done_reason?: unknown;
}

/**
 * Writes the summary with a local Ollama model through `/api/chat`, non-streaming, with the answer
 * constrained to a JSON schema (`format`) and temperature 0. Failing servers are asked again with backoff
 * within the timeout (see `writeRemoteSummary`); when no usable answer comes, the fallback's summary is
 * answered, with the reason in `fallbackReason`.
 */
export class OllamaSummaryWriter implements LlmProvider {
  readonly name = 'ollama';
  private readonly url: string;

  constructor(private readonly settings: OllamaSummarySettings) {
    this.url = `${settings.host.replace(/\/+$/, '')}/api/chat`;
  }

  summarize(facts: InsightFacts, signal?: AbortSignal): Promise<InsightSummary> {
    const { model, timeoutMs, fallback } = this.settings;
    const request = { model, messages: summaryMessages(facts), stream: false, format: SUMMARY_SCHEMA, options: { temperature: 0 } };
    return writeRemoteSummary({ provider: 'ollama', model, timeoutMs, fallback }, facts, signal, async (timeLeftMs) => {
      const options = { provider: 'ollama', timeoutMs: timeLeftMs, signal, error: SummaryError };
      const response = (await postJson(this.url, request, options)) as OllamaChatResponse | undefined;
      return { content: response?.message?.content, note: response?.done_reason === 'length' ? ' (cut off at the token limit)' : undefined };
    });
  }
}
