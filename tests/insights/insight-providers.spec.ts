import { callerFactory, type Caller } from '../factories';
import { startFakeOllama, type FakeOllama, type OllamaBehaviour } from '../fakes/ollama.fake';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { eventually, startTestWorker, type TestWorker } from '../setup/worker';
import { companyFactory, graphql, periodEndAfterNow, processedEmail, type InsightRow } from './factories';

const SYNTHESIZE = `
  mutation Synthesize($entityId: ID, $periodEnd: DateTimeISO) {
    synthesizeInsights(entityId: $entityId, periodEnd: $periodEnd) { runId }
  }`;

describe('insight summaries from a remote model (US-BKP-008)', () => {
  let ollama: FakeOllama;
  let env: TestEnv;
  let worker: TestWorker;
  let manager: Caller;
  let companyId: string;
  const periodEnd = periodEndAfterNow();

  /** Synthesizes through the mutation and the real worker; the row the run wrote once its job completed. */
  async function synthesizeThroughWorker(caller: Caller, entityId: string): Promise<InsightRow> {
    const answer = await graphql(env, caller.access, SYNTHESIZE, { entityId, periodEnd: periodEnd.toISOString() });
    expect(answer.errors).toBeUndefined();
    const { runId } = answer.data!.synthesizeInsights as { runId: string };
    await eventually('the job to complete', () =>
      env.ownerDb
        .query<{ state: string }>(`select state from pgboss.job where name = 'synthesize_tenant_insights' and id = ?`, [runId])
        .then((rows) => rows[0]?.state === 'completed'),
    );
    const [row] = await env.ownerDb.query<InsightRow>('select * from insight_syntheses where run_id = ?', [runId]);
    return row;
  }

  beforeAll(async () => {
    ollama = await startFakeOllama();
    env = await createTestEnv({ INSIGHTS_LLM_PROVIDER: 'ollama', OLLAMA_HOST: ollama.url, PEBBLE_LLM_MODEL: 'llama3.1', INSIGHTS_LLM_TIMEOUT_MS: '600' });
    worker = await startTestWorker(env);
    manager = await callerFactory(env, 'manager');
    const integration = await callerFactory(env, 'integration', manager.tenant);
    const company = await companyFactory(env, manager.auth, { name: 'Remote Rugs' });
    companyId = company.id;
    await processedEmail(env, integration, { from: `ann@${company.domain}`, subject: 'Rugs backordered', body: 'Our rugs are backordered again. Very disappointing.' });
  });
  afterAll(async () => {
    await worker.stop();
    await env.close();
    await ollama.close();
  });

  it("stores the model's summary when its answer is valid", async () => {
    ollama.respondWith({ answer: { summary: 'Remote Rugs is unhappy: its rugs are backordered.' } });

    const row = await synthesizeThroughWorker(manager, companyId);

    expect(row).toMatchObject({
      summary: 'Remote Rugs is unhappy: its rugs are backordered.',
      provider: 'ollama',
      model: 'llama3.1',
      prompt_version: 'insight-summary-v1',
      fallback_reason: null,
    });
    const prompt = ollama.requests.at(-1)!.body.messages.map((message) => message.content).join('\n');
    expect(prompt).toContain(`Health score: ${row.score}/100`);
    expect(prompt).toContain('Rugs backordered');
  });

  it.each<[string, OllamaBehaviour, RegExp]>([
    ['an answer that is not JSON', { content: 'The company is doing fine.' }, /not JSON/],
    ['an empty answer', { content: '' }, /empty answer/],
    ['HTTP 500', { status: 500 }, /500/],
    ['no answer within INSIGHTS_LLM_TIMEOUT_MS', { hang: true }, /did not answer within 600 ms/],
  ])('stores the builtin summary with the reason after %s, and the job completes', async (_name, behaviour, reason) => {
    ollama.respondWith(behaviour);

    const row = await synthesizeThroughWorker(manager, companyId);

    expect(row).toMatchObject({ provider: 'builtin', prompt_version: 'template-v1' });
    expect(row.fallback_reason).toMatch(/^ollama llama3\.1: /);
    expect(row.fallback_reason).toMatch(reason);
    expect(row.summary).toContain(`Remote Rugs's health is ${row.score}/100`);
  });

  it("never shows a model one tenant's company or texts while it writes another's", async () => {
    ollama.respondWith({ answer: { summary: 'Steady.' } });
    const tenants = [
      { name: 'Zanzibar Traders', subject: 'Zanzibar pallet 991 arrived', body: 'Pallet 991 of cloves arrived in Zanzibar.' },
      { name: 'Kilimanjaro Supplies', subject: 'Kilimanjaro crate 557 is out of stock', body: 'Crate 557 of coffee is out of stock.' },
    ];
    const callers: Caller[] = [];
    const companies: string[] = [];
    for (const tenant of tenants) {
      const caller = await callerFactory(env, 'manager');
      const company = await companyFactory(env, caller.auth, { name: tenant.name });
      const integration = await callerFactory(env, 'integration', caller.tenant);
      await processedEmail(env, integration, { from: `ann@${company.domain}`, subject: tenant.subject, body: tenant.body });
      callers.push(caller);
      companies.push(company.id);
    }
    const seen = ollama.requests.length;

    await Promise.all(callers.map((caller, i) => synthesizeThroughWorker(caller, companies[i])));

    const prompts = ollama.requests.slice(seen).map((request) => JSON.stringify(request.body.messages));
    for (const [i, tenant] of tenants.entries()) {
      const theirs = tenants[1 - i];
      const own = prompts.filter((prompt) => prompt.includes(tenant.name));
      expect(own.length).toBeGreaterThan(0);
      for (const prompt of own) {
        expect(prompt).toContain(tenant.subject);
        for (const foreign of [theirs.name, theirs.subject, theirs.body.slice(0, 20)]) expect(prompt).not.toContain(foreign);
      }
    }
  });
});
