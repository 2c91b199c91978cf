import { postJson } from '../../platform/http/post-json';
import type { InsightFacts } from '../insight-facts';
import type { InsightSummary, LlmProvider } from './llm-provider';
import { SUMMARY_SCHEMA, summaryMessages } from './prompt';
import { SummaryError, writeRemoteSummary } from './remote-summary';

export interface OpenAISummarySettings {
  /** `https://api.openai.com` by default; any server speaking the chat completions API. */
  baseUrl?: string;
  apiKey: string;
  model: string;
  /** For the whole summary, retries included (INSIGHTS_LLM_TIMEOUT_MS). */
  timeoutMs: number;
  /** Writes the summary when OpenAI's cannot be used; normally the builtin. */
  fallback: LlmProvider;
}

interface ChatCompletion {
  choices?: { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }[];
}

/**
 * Writes the summary through `/v1/chat/completions` with Structured Outputs (a strict `json_schema` response
 * format) and temperature 0. Failing servers are asked again with backoff within the timeout (see
 * `writeRemoteSummary`); when no usable answer comes, a refusal included, the fallback's summary is
 * answered, with the reason in `fallbackReason`.
 */
export class OpenAISummaryWriter implements LlmProvider {
  readonly name = 'openai';
  private readonly url: string;

  constructor(private readonly settings: OpenAISummarySettings) {
    // Accept a base URL given with or without the `/v1` that OpenAI's SDKs include in theirs.
    const base = (settings.baseUrl ?? 'https://api.openai.com').replace(/\/+$/, '').replace(/\/v1$/, '');
    this.url = `${base}/v1/chat/completions`;
  }

  summarize(facts: InsightFacts, signal?: AbortSignal): Promise<InsightSummary> {
    const { model, apiKey, timeoutMs, fallback } = this.settings;
    const request = {
      model,
      messages: summaryMessages(facts),
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'insight_summary', strict: true, schema: SUMMARY_SCHEMA } },
    };
    return writeRemoteSummary({ provider: 'openai', model, timeoutMs, fallback }, facts, signal, async (timeLeftMs) => {
      const options = { provider: 'openai', timeoutMs: timeLeftMs, signal, headers: { authorization: `Bearer ${apiKey}` }, error: SummaryError };
      const response = (await postJson(this.url, request, options)) as ChatCompletion | undefined;
      const choice = response?.choices?.[0];
      const refusal = typeof choice?.message?.refusal === 'string' && choice.message.refusal !== '' ? choice.message.refusal : undefined;
      const finish = typeof choice?.finish_reason === 'string' && choice.finish_reason !== 'stop' ? ` (finish_reason ${choice.finish_reason})` : undefined;
      return { content: choice?.message?.content, refusal, note: finish };
    });
  }
}
