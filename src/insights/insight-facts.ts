/**
 * What an insight knows about one entity (a company) over one period: the signals, the deterministic health
 * score built from them, and a bounded set of example snippets. It is everything a summary may say; an LLM
 * sees this and nothing else, and never produces the number.
 */

/** Signals of one entity over one period, all computed from that tenant's own ActivityStream and rows. */
export interface EntitySignals {
  /** ActivityEvents about the entity or anything of it (its cards, emails, records, sync errors), by kind. */
  eventsByKind: Record<string, number>;
  /** Emails that reached its cards in the period (new cards and threaded replies). */
  emails: number;
  /** Those emails by classified category (`lead`, `support`, `order`, `invoice`, `complaint`, `other`). */
  categoryMix: Record<string, number>;
  /** Mean classified sentiment of those emails, -1 … 1; null without emails. */
  meanSentiment: number | null;
  /** Share of those emails classified `complaint`, 0 … 1; null without emails. */
  complaintShare: number | null;
  /** Mentions of stock-outs or backorders: in its emails' text, and in its ERP order records and their events. */
  stockOutMentions: { emails: number; records: number; total: number };
  /** Its cards not `done` or `archived` at the end of the period, and their mean age in days then. */
  openCards: number;
  openCardMeanAgeDays: number | null;
  /** Its jobs that were dead-lettered in the period (`sync.failed`). */
  deadLetters: number;
}

export type ComponentKey = 'sentiment' | 'complaints' | 'supply' | 'backlog' | 'syncs';

/** One term of the health score: `points` = weight × health × 100; `lost` = weight × (1 − health) × 100. */
export interface ScoreComponent {
  key: ComponentKey;
  /** Human wording, e.g. `stock-outs and backorders`. */
  label: string;
  weight: number;
  /** 0 (worst) … 1 (best). */
  health: number;
  points: number;
  lost: number;
  /** The numbers behind it, in words, e.g. `4 mentions (0 in the period before)`. */
  detail: string;
}

export type TrendDirection = 'improving' | 'declining' | 'stable' | 'new';

export interface InsightSnippet {
  kind: 'email' | 'record' | 'event';
  /** ISO 8601 time of the source. */
  at: string;
  /** A short excerpt (≤ 300 characters). */
  text: string;
}

export interface InsightFacts {
  entity: { type: 'company'; id: string; name: string; domain: string | null };
  period: { start: Date; end: Date };
  /** 0 … 100, from `components` (their `points` summed and rounded). */
  score: number;
  /** The previous period's score, computed the same way; null when the entity had no activity then. */
  previousScore: number | null;
  /** score − previousScore; null when there is no previous score. */
  trend: number | null;
  direction: TrendDirection;
  /** Every component, strongest driver (largest `lost`) first. */
  components: ScoreComponent[];
  signals: EntitySignals;
  previousSignals: EntitySignals | null;
  /** At most a handful of the period's own texts, for grounding a summary. */
  snippets: InsightSnippet[];
}
