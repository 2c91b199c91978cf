import { performance } from 'node:perf_hooks';
import type { InsightFacts, ScoreComponent } from '../insight-facts';
import type { InsightSummary, LlmProvider } from './llm-provider';

/** The template's version, stored as both model and prompt version: a wording change makes a new one. */
export const TEMPLATE_VERSION = 'template-v1';

/** Drivers named at most: more reads as a list of everything rather than what matters. */
export const MAX_DRIVERS = 3;

/** A component losing less than this rounds to no point of a score that is rounded too: not worth naming. */
const MIN_LOST_POINTS = 0.5;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Writes the summary from a template, offline and deterministically: the same facts give the same text.
 * It states the score, the trend against the previous period and the strongest drivers with their numbers,
 * e.g. "Acme Ltd's health is 58/100, down 24 from 82 the week before. Strongest drivers: stock-outs and
 * backorders (4 mentions, 0 the week before); complaints (50 % of 8 emails)." It is the default provider
 * and what the remote ones store when their model's answer cannot be used.
 */
export class BuiltinSummaryWriter implements LlmProvider {
  readonly name = 'builtin';

  async summarize(facts: InsightFacts, signal?: AbortSignal): Promise<InsightSummary> {
    signal?.throwIfAborted();
    const started = performance.now();
    const text = summaryText(facts);
    return { text, provider: 'builtin', model: TEMPLATE_VERSION, promptVersion: TEMPLATE_VERSION, durationMs: Math.round(performance.now() - started) };
  }
}

/** The template's text for `facts`. */
export function summaryText(facts: InsightFacts): string {
  const name = facts.entity.name.trim() || facts.entity.domain || 'This company';
  const drivers = strongestDrivers(facts.components);
  const why =
    drivers.length === 0
      ? 'Nothing is pulling it down: every signal is healthy.'
      : `Strongest driver${drivers.length > 1 ? 's' : ''}: ${drivers.map(driverWords).join('; ')}.`;
  return `${name}'s health is ${facts.score}/100, ${trendWords(facts)}. ${why}`;
}

/** The components that cost points, most first; at most MAX_DRIVERS. */
export function strongestDrivers(components: readonly ScoreComponent[]): ScoreComponent[] {
  return components
    .filter((component) => component.lost >= MIN_LOST_POINTS)
    .sort((a, b) => b.lost - a.lost)
    .slice(0, MAX_DRIVERS);
}

/** `the week before` for a 7-day period, `the day before` for one day, `the previous N days` otherwise. */
export function previousPeriodWords(period: InsightFacts['period']): string {
  // Rounded: a week that crosses a daylight saving change is an hour short or long in UTC.
  const days = Math.round((period.end.getTime() - period.start.getTime()) / DAY_MS);
  if (days === 7) return 'the week before';
  if (days === 1) return 'the day before';
  return `the previous ${days} days`;
}

function trendWords(facts: InsightFacts): string {
  const before = previousPeriodWords(facts.period);
  if (facts.previousScore === null) return `its first score: there was no activity in ${before}`;
  const change = facts.trend ?? facts.score - facts.previousScore;
  if (change < 0) return `down ${-change} from ${facts.previousScore} ${before}`;
  if (change > 0) return `up ${change} from ${facts.previousScore} ${before}`;
  return `unchanged from ${before}`;
}

function driverWords(component: ScoreComponent): string {
  const detail = component.detail.trim().replace(/\.+$/, '');
  return detail === '' ? component.label : `${component.label} (${detail})`;
}
