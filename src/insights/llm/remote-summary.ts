import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InsightFacts } from '../insight-facts';
import type { InsightSummary, LlmProvider } from './llm-provider';
import { SUMMARY_PROMPT_VERSION, parseSummary } from './prompt';

/**
 * What the Ollama and OpenAI summary writers share: retries with backoff within one timeout, validation of
 * the answer, and the fallback that keeps an insight from being lost to a provider's trouble.
 */

/** Attempts per summary, and the pause before the second one, doubled before each next. */
export const MAX_ATTEMPTS = 3;
export const FIRST_RETRY_DELAY_MS = 250;

/** A failed request to a summary model. It never leaves the writers: they retry or fall back. */
export class SummaryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SummaryError';
  }
}

export interface RemoteSummarySettings {
  provider: 'ollama' | 'openai';
  model: string;
  /** For the whole summary: every attempt and the pauses between them (INSIGHTS_LLM_TIMEOUT_MS). */
  timeoutMs: number;
  /** Writes the summary when the model's cannot be used; normally the builtin. */
  fallback: LlmProvider;
}

/** What the model answered: content to validate or a refusal; `note` hints why content may be unusable. */
export interface ModelReply {
  content: unknown;
  refusal?: string;
  /** E.g. ` (cut off at the token limit)`, appended to the fallback reason. */
  note?: string;
}

/**
 * The summary `ask` gets from the model, or the fallback's with `fallbackReason` naming provider, model and
 * problem. `ask` sends one request, which must not outlast the milliseconds it is given, and throws
 * SummaryError as `postJson` does. Never throws for the provider's trouble, as the insight job must not be
 * lost to it; only the caller's abort is thrown, as its reason.
 */
export async function writeRemoteSummary(
  settings: RemoteSummarySettings,
  facts: InsightFacts,
  signal: AbortSignal | undefined,
  ask: (timeoutMs: number) => Promise<ModelReply>,
): Promise<InsightSummary> {
  const started = performance.now();
  const { provider, model, fallback } = settings;
  const durationMs = () => Math.round(performance.now() - started);
  const fallBack = async (reason: string): Promise<InsightSummary> => ({
    ...(await fallback.summarize(facts, signal)),
    fallbackReason: reason,
    durationMs: durationMs(),
  });

  const outcome = await askWithRetries(settings, signal, ask);
  if ('failure' in outcome) return fallBack(`${provider} ${model}: ${outcome.failure}`);
  const { refusal, content, note } = outcome.reply;
  if (refusal) return fallBack(`${provider} ${model} refused: ${refusal}`);
  const parsed = parseSummary(content, facts);
  if ('problem' in parsed) return fallBack(`${provider} ${model}: ${parsed.problem}${note ?? ''}`);
  return { text: parsed.summary, provider, model, promptVersion: SUMMARY_PROMPT_VERSION, durationMs: durationMs() };
}

/**
 * `ask`'s reply, asking again after a retryable failure (timeout, network, HTTP 408, 429, 5xx) while attempts
 * and time are left, or why it failed. An unusable reply is not asked again: at temperature 0 the model
 * would most likely say the same.
 */
async function askWithRetries(
  { timeoutMs }: RemoteSummarySettings,
  signal: AbortSignal | undefined,
  ask: (timeoutMs: number) => Promise<ModelReply>,
): Promise<{ reply: ModelReply } | { failure: string }> {
  const deadline = performance.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return { reply: await ask(Math.ceil(deadline - performance.now())) };
    } catch (error) {
      if (signal?.aborted || !(error instanceof SummaryError)) throw error;
      const attempts = (note = '') => (attempt > 1 ? ` (after ${attempt} attempts${note})` : '');
      if (!error.retryable || attempt === MAX_ATTEMPTS) return { failure: `${error.message}${attempts()}` };
      const delay = FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1);
      // Also when the attempt itself ran out the clock: that leaves (next to) no time at all.
      if (delay >= deadline - performance.now()) return { failure: `${error.message}${attempts(` within the ${timeoutMs} ms timeout`)}` };
      await sleep(delay, undefined, { signal }).catch((sleepError: unknown) => {
        throw signal?.aborted ? signal.reason : sleepError;
      });
    }
  }
}
