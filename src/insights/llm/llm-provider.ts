import type { InsightFacts } from '../insight-facts';

/** A summary of an insight as stored: the text and where it came from. */
export interface InsightSummary {
  text: string;
  /** `builtin`, `ollama` or `openai`: who wrote `text`. */
  provider: string;
  model: string;
  /** Version of the prompt or template that produced it, so summaries can be compared across changes. */
  promptVersion: string;
  /** Set when a remote model's answer was unusable (invalid, empty, refused, timed out) and the builtin text is stored: why. */
  fallbackReason?: string;
  /** Time spent producing it, fallback included. */
  durationMs: number;
}

/**
 * Writes the summary of an insight from its facts alone. Outside systems sit behind this; `builtin` is a
 * deterministic template and the default. The facts' numbers are final: a provider words them, it never
 * computes or changes them.
 */
export interface LlmProvider {
  readonly name: string;
  summarize(facts: InsightFacts, signal?: AbortSignal): Promise<InsightSummary>;
}
