import { randomUUID } from 'node:crypto';
import type {
  ComponentKey,
  EntitySignals,
  InsightFacts,
  InsightSnippet,
  ScoreComponent,
  TrendDirection,
} from '../../src/insights/insight-facts';

/**
 * Insight facts for tests of what reads them (summary writers, storage, API), consistent by construction:
 * components from healths, the score from their points, trend and direction from the previous score.
 * The weights and wordings are this factory's, not the real score's.
 */

export const FACTS_WEIGHTS: Record<ComponentKey, number> = { sentiment: 0.25, complaints: 0.25, supply: 0.2, backlog: 0.15, syncs: 0.15 };

export const FACTS_LABELS: Record<ComponentKey, string> = {
  sentiment: 'sentiment',
  complaints: 'complaints',
  supply: 'stock-outs and backorders',
  backlog: 'open cards',
  syncs: 'failed syncs',
};

const DETAILS: Record<ComponentKey, string> = {
  sentiment: 'mean −0.4, was 0.3',
  complaints: '50 % of 8 emails',
  supply: '4 mentions, 0 the week before',
  backlog: '5 open, 6.2 days old on average',
  syncs: '0 dead-lettered jobs',
};

const DAY_MS = 24 * 60 * 60 * 1000;

export interface InsightFactsOverrides {
  /** `Acme Ltd` by default. */
  name?: string;
  /** From the name's first word by default: `acme.example`. */
  domain?: string | null;
  /** Health of each component, 0 … 1; a component not given is healthy (1). */
  health?: Partial<Record<ComponentKey, number>>;
  details?: Partial<Record<ComponentKey, string>>;
  /** null (the default) for an entity without activity in the previous period, which then has no previous signals either. */
  previousScore?: number | null;
  /** 7 by default. */
  periodDays?: number;
  /** End of the period, exclusive; 2026-11-23T00:00Z by default. */
  end?: Date;
  signals?: Partial<EntitySignals>;
  previousSignals?: Partial<EntitySignals> | null;
  /** Two texts naming the company by default. */
  snippets?: InsightSnippet[];
}

export function signalsFactory(overrides: Partial<EntitySignals> = {}): EntitySignals {
  return {
    eventsByKind: { 'email.received': 8, 'card.created': 3 },
    emails: 8,
    categoryMix: { complaint: 4, order: 3, other: 1 },
    meanSentiment: -0.4,
    complaintShare: 0.5,
    stockOutMentions: { emails: 3, records: 1, total: 4 },
    openCards: 5,
    openCardMeanAgeDays: 6.2,
    deadLetters: 0,
    ...overrides,
  };
}

export function snippetFactory(text: string, overrides: Partial<Omit<InsightSnippet, 'text'>> = {}): InsightSnippet {
  return { kind: 'email', at: '2026-11-18T09:12:00.000Z', text, ...overrides };
}

export function insightFactsFactory(overrides: InsightFactsOverrides = {}): InsightFacts {
  const name = overrides.name ?? 'Acme Ltd';
  const end = overrides.end ?? new Date('2026-11-23T00:00:00.000Z');
  const start = new Date(end.getTime() - (overrides.periodDays ?? 7) * DAY_MS);
  const components = (Object.keys(FACTS_WEIGHTS) as ComponentKey[])
    .map((key): ScoreComponent => {
      const weight = FACTS_WEIGHTS[key];
      const health = overrides.health?.[key] ?? 1;
      const detail = overrides.details?.[key] ?? DETAILS[key];
      return { key, label: FACTS_LABELS[key], weight, health, points: weight * health * 100, lost: weight * (1 - health) * 100, detail };
    })
    .sort((a, b) => b.lost - a.lost);
  const score = Math.round(components.reduce((sum, component) => sum + component.points, 0));
  const previousScore = overrides.previousScore === undefined ? null : overrides.previousScore;
  const trend = previousScore === null ? null : score - previousScore;
  return {
    entity: { type: 'company', id: randomUUID(), name, domain: overrides.domain === undefined ? `${name.toLowerCase().split(/\W+/)[0]}.example` : overrides.domain },
    period: { start, end },
    score,
    previousScore,
    trend,
    direction: directionOf(trend),
    components,
    signals: signalsFactory(overrides.signals),
    previousSignals:
      previousScore === null || overrides.previousSignals === null
        ? null
        : signalsFactory({ meanSentiment: 0.3, complaintShare: 0.1, stockOutMentions: { emails: 0, records: 0, total: 0 }, ...overrides.previousSignals }),
    snippets: overrides.snippets ?? [
      snippetFactory(`${name}: order 1182 is backordered again, the blue chairs are out of stock.`),
      snippetFactory(`Second complaint this month from ${name} about late deliveries.`, { at: '2026-11-19T14:30:00.000Z' }),
    ],
  };
}

function directionOf(trend: number | null): TrendDirection {
  if (trend === null) return 'new';
  return trend > 0 ? 'improving' : trend < 0 ? 'declining' : 'stable';
}
