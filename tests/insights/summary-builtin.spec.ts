import { BuiltinSummaryWriter, TEMPLATE_VERSION } from '../../src/insights/llm/builtin.summary';
import { insightFactsFactory } from './facts';

/** A week of stock-outs and complaints: 58/100, down from 82. */
const declining = () => insightFactsFactory({ name: 'Acme Ltd', health: { supply: 0, complaints: 0.5, sentiment: 0.62 }, previousScore: 82 });

describe(BuiltinSummaryWriter.name, () => {
  const writer = new BuiltinSummaryWriter();
  const textOf = async (facts: Parameters<BuiltinSummaryWriter['summarize']>[0]) => (await writer.summarize(facts)).text;

  it('states the score, the change against the week before and the strongest drivers with their numbers', async () => {
    const facts = declining();
    expect(facts.score).toBe(58);

    expect(await textOf(facts)).toBe(
      "Acme Ltd's health is 58/100, down 24 from 82 the week before. Strongest drivers: stock-outs and backorders " +
        '(4 mentions, 0 the week before); complaints (50 % of 8 emails); sentiment (mean −0.4, was 0.3).',
    );
  });

  it('is stored as the builtin template, with no fallback reason', async () => {
    const summary = await writer.summarize(declining());

    expect(summary).toEqual({ text: expect.any(String), provider: 'builtin', model: TEMPLATE_VERSION, promptVersion: TEMPLATE_VERSION, durationMs: expect.any(Number) });
    expect(summary).not.toHaveProperty('fallbackReason');
  });

  it('writes the same text for the same facts', async () => {
    const facts = declining();

    const texts = [await textOf(facts), await textOf(structuredClone(facts)), await textOf(facts)];

    expect(new Set(texts).size).toBe(1);
  });

  it('names stock-outs first when supply lost the most points', async () => {
    const text = await textOf(insightFactsFactory({ health: { supply: 0.1, sentiment: 0.8 }, previousScore: 90 }));

    expect(text).toContain('stock-out');
    expect(text.indexOf('stock-outs and backorders')).toBeLessThan(text.indexOf('sentiment ('));
  });

  it('orders the drivers by points lost even when the components come in another order', async () => {
    const facts = declining();
    const reordered = { ...facts, components: [...facts.components].reverse() };

    expect(await textOf(reordered)).toBe(await textOf(facts));
  });

  it('names at most three drivers, and only those that lost points', async () => {
    const four = await textOf(insightFactsFactory({ health: { supply: 0, complaints: 0.3, sentiment: 0.5, backlog: 0.6 }, previousScore: 40 }));
    const one = await textOf(insightFactsFactory({ health: { complaints: 0.5 }, previousScore: 90 }));

    expect(four).toMatch(/Strongest drivers: stock-outs and backorders \(.*\); complaints \(.*\); sentiment \(.*\)\.$/);
    expect(four).not.toContain('open cards');
    expect(one).toMatch(/Strongest driver: complaints \(50 % of 8 emails\)\.$/);
    for (const label of ['stock-outs', 'sentiment', 'open cards', 'failed syncs']) expect(one).not.toContain(label);
  });

  it('says it is the first score when the entity had no activity the period before', async () => {
    const text = await textOf(insightFactsFactory({ health: { supply: 0, complaints: 0.5, sentiment: 0.62 }, previousScore: null }));

    expect(text).toMatch(/^Acme Ltd's health is 58\/100, its first score: there was no activity in the week before\. Strongest drivers: /);
    expect(text).not.toMatch(/\b(up|down|unchanged)\b/);
  });

  it.each([
    { previousScore: 48, words: 'up 10 from 48 the week before' },
    { previousScore: 58, words: 'unchanged from the week before' },
  ])('says "$words" when the score was $previousScore', async ({ previousScore, words }) => {
    const facts = insightFactsFactory({ health: { supply: 0, complaints: 0.5, sentiment: 0.62 }, previousScore });

    expect(await textOf(facts)).toMatch(new RegExp(`^Acme Ltd's health is 58/100, ${words}\\. `));
  });

  it.each([
    { periodDays: 14, words: 'the previous 14 days' },
    { periodDays: 30, words: 'the previous 30 days' },
    { periodDays: 1, words: 'the day before' },
  ])('calls a $periodDays-day period before "$words"', async ({ periodDays, words }) => {
    const facts = insightFactsFactory({ health: { supply: 0.5 }, previousScore: 95, periodDays });

    expect(await textOf(facts)).toContain(`down 5 from 95 ${words}.`);
  });

  it('writes a short positive sentence for a healthy entity, naming no driver', async () => {
    const text = await textOf(insightFactsFactory({ name: 'Globex', previousScore: 96 }));

    expect(text).toBe("Globex's health is 100/100, up 4 from 96 the week before. Nothing is pulling it down: every signal is healthy.");
  });

  it('does not name a driver that lost less than half a point', async () => {
    const text = await textOf(insightFactsFactory({ health: { syncs: 0.99 }, previousScore: 100 }));

    expect(text).not.toContain('failed syncs');
    expect(text).toContain('every signal is healthy');
  });

  it('throws the caller’s abort reason', async () => {
    const controller = new AbortController();
    const reason = new Error('worker shutting down');
    controller.abort(reason);

    await expect(writer.summarize(declining(), controller.signal)).rejects.toBe(reason);
  });
});
