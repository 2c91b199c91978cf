import type { ComponentKey, EntitySignals, ScoreComponent, TrendDirection } from './insight-facts';

/** Each signal's share of the score; they add up to 1, so a fully healthy entity scores 100. */
export const WEIGHTS: Readonly<Record<ComponentKey, number>> = { sentiment: 0.3, complaints: 0.25, supply: 0.2, backlog: 0.15, syncs: 0.1 };

/** Stock-out or backorder mentions in a period at which supply health reaches 0. */
export const STOCK_OUT_SATURATION = 5;
/** Age (days) from which an open card counts in full towards the backlog. */
export const BACKLOG_AGE_DAYS = 7;
/** Aged open cards at which backlog health reaches 0. */
export const BACKLOG_SATURATION = 5;
/** Dead-lettered jobs in a period at which sync health reaches 0. */
export const DEAD_LETTER_SATURATION = 3;
/**
 * A change of this many points or less is `stable`: scores are rounded, and one email more or less moves a
 * mean or a share by a point or two; a real movement (a complaint week, a dead letter) moves it by 3 or more.
 */
export const STABLE_BAND = 2;

const LABELS: Readonly<Record<ComponentKey, string>> = {
  sentiment: 'customer sentiment',
  complaints: 'complaints',
  supply: 'stock-outs and backorders',
  backlog: 'open card backlog',
  syncs: 'sync failures',
};

export interface HealthScore {
  /** 0 … 100: the components' points summed and rounded. */
  score: number;
  /** Every component, strongest driver (most points lost) first. */
  components: ScoreComponent[];
}

/**
 * The health score of one period's signals: deterministic, no model involved. `previous` only adds the
 * period before's numbers to each component's `detail`; it never changes the score.
 *
 * Without emails, sentiment counts as neutral (0, health 0.5) and the complaint share as 0: silence is
 * neither praise nor complaint, and a quiet account should not outscore one that writes kindly.
 */
export function healthScore(signals: EntitySignals, previous: EntitySignals | null = null): HealthScore {
  const sentiment = clamp(signals.meanSentiment ?? 0, -1, 1);
  const agedBacklog = signals.openCards * Math.min(1, (signals.openCardMeanAgeDays ?? 0) / BACKLOG_AGE_DAYS);
  const health: Record<ComponentKey, number> = {
    sentiment: (sentiment + 1) / 2,
    complaints: 1 - clamp(signals.complaintShare ?? 0, 0, 1),
    supply: 1 - Math.min(1, signals.stockOutMentions.total / STOCK_OUT_SATURATION),
    backlog: 1 - Math.min(1, agedBacklog / BACKLOG_SATURATION),
    syncs: 1 - Math.min(1, signals.deadLetters / DEAD_LETTER_SATURATION),
  };
  const components = (Object.keys(WEIGHTS) as ComponentKey[]).map((key): ScoreComponent => {
    const weight = WEIGHTS[key];
    const componentHealth = round(health[key], 3);
    const points = round(weight * componentHealth * 100, 2);
    return { key, label: LABELS[key], weight, health: componentHealth, points, lost: round(weight * 100 - points, 2), detail: detail(key, signals, previous) };
  });
  // Ties keep the order of WEIGHTS (heaviest first), so the order is deterministic.
  components.sort((a, b) => b.lost - a.lost);
  return { score: Math.round(components.reduce((sum, component) => sum + component.points, 0)), components };
}

/** `score − previousScore` and its direction; `new` when there is nothing to compare with. */
export function trendOf(score: number, previousScore: number | null): { trend: number | null; direction: TrendDirection } {
  if (previousScore === null) return { trend: null, direction: 'new' };
  const trend = score - previousScore;
  return { trend, direction: trend > STABLE_BAND ? 'improving' : trend < -STABLE_BAND ? 'declining' : 'stable' };
}

function detail(key: ComponentKey, now: EntitySignals, before: EntitySignals | null): string {
  const then = (text: string) => (before ? `; ${text} in the previous period` : '');
  switch (key) {
    case 'sentiment':
      return (
        (now.emails === 0 ? 'no emails, counted as neutral' : `mean ${now.meanSentiment!.toFixed(2)} over ${plural(now.emails, 'email')}`) +
        then(before?.meanSentiment == null ? 'no emails' : before.meanSentiment.toFixed(2))
      );
    case 'complaints':
      return (
        (now.emails === 0 ? 'no emails' : `${now.categoryMix.complaint ?? 0} of ${plural(now.emails, 'email')} (${percent(now.complaintShare)})`) +
        then(before?.complaintShare == null ? 'no emails' : percent(before.complaintShare))
      );
    case 'supply': {
      const { emails, records, total } = now.stockOutMentions;
      return `${plural(total, 'mention')}: ${emails} in emails, ${records} in order records` + then(String(before?.stockOutMentions.total ?? 0));
    }
    case 'backlog':
      return (
        (now.openCards === 0 ? 'no open cards' : `${plural(now.openCards, 'open card')}, ${(now.openCardMeanAgeDays ?? 0).toFixed(1)} days old on average`) +
        then(`${before?.openCards ?? 0} open`)
      );
    case 'syncs':
      return plural(now.deadLetters, 'dead-lettered job') + then(String(before?.deadLetters ?? 0));
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function percent(share: number | null): string {
  return `${Math.round((share ?? 0) * 100)}%`;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
