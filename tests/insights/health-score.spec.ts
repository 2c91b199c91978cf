import { healthScore, STABLE_BAND, trendOf, WEIGHTS } from '../../src/insights/health-score';
import type { EntitySignals } from '../../src/insights/insight-facts';

/** A period without any trouble: kind emails, no complaints, nothing backordered, nothing open, no dead letters. */
function healthySignals(overrides: Partial<EntitySignals> = {}): EntitySignals {
  return {
    eventsByKind: { 'card.created': 4 },
    emails: 4,
    categoryMix: { order: 2, support: 2 },
    meanSentiment: 1,
    complaintShare: 0,
    stockOutMentions: { emails: 0, records: 0, total: 0 },
    openCards: 0,
    openCardMeanAgeDays: null,
    deadLetters: 0,
    ...overrides,
  };
}

/** The worked example of docs/INSIGHTS.md: a week of complaints about stock-outs. */
const COMPLAINT_WEEK = healthySignals({
  emails: 8,
  categoryMix: { complaint: 4, order: 3, other: 1 },
  meanSentiment: -0.4,
  complaintShare: 0.5,
  stockOutMentions: { emails: 3, records: 1, total: 4 },
  openCards: 5,
  openCardMeanAgeDays: 6.2,
});

/** The normal week before it. */
const NORMAL_WEEK = healthySignals({ emails: 5, meanSentiment: 0.4, openCards: 2, openCardMeanAgeDays: 2 });

describe('health score', () => {
  it('weighs its five components so that they add up to 1', () => {
    expect(Object.values(WEIGHTS).reduce((sum, weight) => sum + weight, 0)).toBeCloseTo(1, 10);
    expect(WEIGHTS).toEqual({ sentiment: 0.3, complaints: 0.25, supply: 0.2, backlog: 0.15, syncs: 0.1 });
  });

  it('gives a period without trouble 100, with no point lost anywhere', () => {
    const { score, components } = healthScore(healthySignals());

    expect(score).toBe(100);
    expect(components.map((component) => component.lost)).toEqual([0, 0, 0, 0, 0]);
    // Nothing lost: the components keep the order of their weights.
    expect(components.map((component) => component.key)).toEqual(['sentiment', 'complaints', 'supply', 'backlog', 'syncs']);
  });

  it('computes the worked example: 37, driven by sentiment, then stock-outs, then the backlog', () => {
    const { score, components } = healthScore(COMPLAINT_WEEK);

    expect(components.map(({ key, health, points, lost }) => ({ key, health, points, lost }))).toEqual([
      { key: 'sentiment', health: 0.3, points: 9, lost: 21 },
      { key: 'supply', health: 0.2, points: 4, lost: 16 },
      // 5 open cards, 6.2 days old on average: 5 × 6.2/7 = 4.43 aged cards of the 5 that empty the component.
      { key: 'backlog', health: 0.114, points: 1.71, lost: 13.29 },
      { key: 'complaints', health: 0.5, points: 12.5, lost: 12.5 },
      { key: 'syncs', health: 1, points: 10, lost: 0 },
    ]);
    expect(score).toBe(37);
  });

  it('is the rounded sum of its components\' points, each weight × health × 100', () => {
    for (const signals of [COMPLAINT_WEEK, NORMAL_WEEK, healthySignals({ meanSentiment: 0.13, deadLetters: 1 })]) {
      const { score, components } = healthScore(signals);
      expect(score).toBe(Math.round(components.reduce((sum, component) => sum + component.points, 0)));
      for (const component of components) {
        expect(component.points).toBeCloseTo(component.weight * component.health * 100, 2);
        expect(component.points + component.lost).toBeCloseTo(component.weight * 100, 2);
      }
    }
  });

  it('reads a period without emails as neutral sentiment and no complaints, so a quiet account scores 85', () => {
    const { score, components } = healthScore(healthySignals({ emails: 0, categoryMix: {}, meanSentiment: null, complaintShare: null }));

    expect(components.find((component) => component.key === 'sentiment')).toMatchObject({ health: 0.5, lost: 15, detail: 'no emails, counted as neutral' });
    expect(components.find((component) => component.key === 'complaints')).toMatchObject({ health: 1, lost: 0 });
    expect(score).toBe(85);
  });

  it('empties the supply component at 5 stock-out mentions and the sync component at 3 dead letters, and goes no lower', () => {
    const at = (signals: Partial<EntitySignals>) => Object.fromEntries(healthScore(healthySignals(signals)).components.map((c) => [c.key, c.health]));

    expect(at({ stockOutMentions: { emails: 2, records: 0, total: 2 } }).supply).toBe(0.6);
    expect(at({ stockOutMentions: { emails: 3, records: 2, total: 5 } }).supply).toBe(0);
    expect(at({ stockOutMentions: { emails: 40, records: 9, total: 49 } }).supply).toBe(0);
    expect(at({ deadLetters: 1 }).syncs).toBe(0.667);
    expect(at({ deadLetters: 3 }).syncs).toBe(0);
    expect(at({ deadLetters: 30 }).syncs).toBe(0);
  });

  it('counts young open cards only in part: 5 cards of 3.5 days weigh as much as 2.5 cards of a week', () => {
    const health = (openCards: number, openCardMeanAgeDays: number) =>
      healthScore(healthySignals({ openCards, openCardMeanAgeDays })).components.find((component) => component.key === 'backlog')!.health;

    expect(health(5, 3.5)).toBe(0.5);
    expect(health(5, 3.5)).toBe(health(2.5, 7));
    expect(health(1, 30)).toBe(0.8);
    expect(health(12, 30)).toBe(0);
  });

  it('keeps sentiment and shares in range whatever the input, so the score stays within 0-100', () => {
    expect(healthScore(healthySignals({ meanSentiment: 7 })).score).toBe(100);
    const worst = healthScore(
      healthySignals({ meanSentiment: -3, complaintShare: 2, stockOutMentions: { emails: 9, records: 9, total: 18 }, openCards: 50, openCardMeanAgeDays: 90, deadLetters: 9 }),
    );
    expect(worst.score).toBe(0);
    expect(worst.components.every((component) => component.health === 0)).toBe(true);
  });

  it('names the numbers behind each component, with the period before when there is one', () => {
    const details = Object.fromEntries(healthScore(COMPLAINT_WEEK, NORMAL_WEEK).components.map((c) => [c.key, c.detail]));

    expect(details).toEqual({
      sentiment: 'mean -0.40 over 8 emails; 0.40 in the previous period',
      complaints: '4 of 8 emails (50%); 0% in the previous period',
      supply: '4 mentions: 3 in emails, 1 in order records; 0 in the previous period',
      backlog: '5 open cards, 6.2 days old on average; 2 open in the previous period',
      syncs: '0 dead-lettered jobs; 0 in the previous period',
    });
    expect(healthScore(COMPLAINT_WEEK).components.find((c) => c.key === 'supply')!.detail).toBe('4 mentions: 3 in emails, 1 in order records');
  });

  it('never depends on the period before: it only adds words', () => {
    expect(healthScore(COMPLAINT_WEEK, NORMAL_WEEK).score).toBe(healthScore(COMPLAINT_WEEK).score);
  });
});

describe('trend', () => {
  it('compares the score with the previous one: 89 → 37 is a decline of 52', () => {
    expect(healthScore(NORMAL_WEEK).score).toBe(89);
    expect(trendOf(37, 89)).toEqual({ trend: -52, direction: 'declining' });
  });

  it(`calls a change of at most ${STABLE_BAND} points stable, and a larger one improving or declining`, () => {
    expect(trendOf(70, 70)).toEqual({ trend: 0, direction: 'stable' });
    expect(trendOf(72, 70)).toEqual({ trend: 2, direction: 'stable' });
    expect(trendOf(68, 70)).toEqual({ trend: -2, direction: 'stable' });
    expect(trendOf(73, 70)).toEqual({ trend: 3, direction: 'improving' });
    expect(trendOf(67, 70)).toEqual({ trend: -3, direction: 'declining' });
  });

  it('is new, without a number, when there was no activity in the period before', () => {
    expect(trendOf(55, null)).toEqual({ trend: null, direction: 'new' });
  });
});
