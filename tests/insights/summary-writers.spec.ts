import { performance } from 'node:perf_hooks';
import { BuiltinSummaryWriter } from '../../src/insights/llm/builtin.summary';
import { createLlmProvider, type LlmProviderSettings } from '../../src/insights/llm/create-llm-provider';
import type { InsightFacts } from '../../src/insights/insight-facts';
import type { InsightSummary, LlmProvider } from '../../src/insights/llm/llm-provider';
import { OllamaSummaryWriter } from '../../src/insights/llm/ollama.summary';
import { OpenAISummaryWriter } from '../../src/insights/llm/openai.summary';
import { SUMMARY_PROMPT_VERSION, SUMMARY_SCHEMA, summaryMessages } from '../../src/insights/llm/prompt';
import { FIRST_RETRY_DELAY_MS, MAX_ATTEMPTS } from '../../src/insights/llm/remote-summary';
import type { FakeServer, TransportBehaviour } from '../fakes/fake-server';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.fake';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.fake';
import { insightFactsFactory, snippetFactory } from './facts';

const OLLAMA_MODEL = 'llama3.2:3b';
const OPENAI_MODEL = 'gpt-4o-mini';
const API_KEY = 'sk-test-0123456789';
/** Room for every attempt and pause: 250 + 500 ms of backoff, and fast fakes. */
const TIMEOUT_MS = 3000;
const builtin = new BuiltinSummaryWriter();

const acme = insightFactsFactory({
  name: 'Acme Ltd',
  health: { supply: 0, complaints: 0.5, sentiment: 0.62 },
  previousScore: 82,
  snippets: [snippetFactory('Acme PO-5512: the blue chairs are out of stock again.'), snippetFactory('Acme asks for a credit note on INV-9917.')],
});
const MODEL_TEXT = "Acme Ltd's health fell to 58/100 from 82 as stock-outs (4 mentions) and complaints (half of 8 emails) piled up.";

/** The behaviours both fakes understand, to run the same specification against each. */
type CommonBehaviour = { answer: unknown } | { content: string } | { status: number } | TransportBehaviour;
type ChatFake = FakeServer<CommonBehaviour, { model: string; messages: { role: string; content: string }[] }>;

interface RemoteWriterCase {
  name: string;
  provider: 'ollama' | 'openai';
  model: string;
  start(): Promise<ChatFake>;
  writer(url: string, timeoutMs: number): LlmProvider;
}

const REMOTE_WRITERS: RemoteWriterCase[] = [
  {
    name: OllamaSummaryWriter.name,
    provider: 'ollama',
    model: OLLAMA_MODEL,
    start: startFakeOllama,
    writer: (host, timeoutMs) => new OllamaSummaryWriter({ host, model: OLLAMA_MODEL, timeoutMs, fallback: builtin }),
  },
  {
    name: OpenAISummaryWriter.name,
    provider: 'openai',
    model: OPENAI_MODEL,
    start: startFakeOpenAI,
    writer: (baseUrl, timeoutMs) => new OpenAISummaryWriter({ baseUrl, apiKey: API_KEY, model: OPENAI_MODEL, timeoutMs, fallback: builtin }),
  },
];

/** The builtin summary of `facts` with `reason`, as a writer stores it after falling back. */
async function builtinFallback(facts: InsightFacts, reason: string | RegExp): Promise<InsightSummary> {
  const { durationMs: _, ...summary } = await builtin.summarize(facts);
  return { ...summary, fallbackReason: typeof reason === 'string' ? reason : expect.stringMatching(reason), durationMs: expect.any(Number) };
}

async function timed<T>(work: Promise<T>): Promise<{ result: T; elapsed: number }> {
  const started = performance.now();
  const result = await work;
  return { result, elapsed: performance.now() - started };
}

describe.each(REMOTE_WRITERS)('$name', ({ provider, model, start, writer: makeWriter }) => {
  let fake: ChatFake;
  let writer: LlmProvider;
  const who = `${provider} ${model}`;

  beforeEach(async () => {
    fake = await start();
    writer = makeWriter(fake.url, TIMEOUT_MS);
  });
  afterEach(() => fake.close());

  it('stores the model’s summary as it wrote it, with provider, model and prompt version', async () => {
    fake.respondWith({ answer: { summary: MODEL_TEXT } });

    const summary = await writer.summarize(acme);

    expect(summary).toEqual({ text: MODEL_TEXT, provider, model, promptVersion: SUMMARY_PROMPT_VERSION, durationMs: expect.any(Number) });
    expect(summary).not.toHaveProperty('fallbackReason');
    expect(fake.requests).toHaveLength(1);
  });

  it('prompts with the entity’s own facts and snippets and nothing of another entity', async () => {
    const globex = insightFactsFactory({
      name: 'Globex Corp',
      health: { backlog: 0.1 },
      details: { backlog: '17 open, 41.5 days old on average' },
      previousScore: 99,
      snippets: [snippetFactory('Globex PO-0042 still waiting for sign-off from Hank Scorpio.')],
    });
    fake.respondWith({ answer: { summary: 'A summary.' } });

    await writer.summarize(globex);
    await writer.summarize(acme);

    const [system, user] = fake.requests[1].body.messages;
    expect(fake.requests[1].body.messages).toEqual(summaryMessages(acme));
    for (const fact of ['Acme Ltd', 'acme.example', '58/100', '82/100', 'stock-outs and backorders', 'Acme PO-5512', 'INV-9917']) {
      expect(user.content).toContain(fact);
    }
    for (const other of ['Globex', 'globex.example', '17 open', '41.5 days', 'PO-0042', 'Hank Scorpio', '99/100']) {
      expect(`${system.content}\n${user.content}`).not.toContain(other);
    }
  });

  it.each([
    { problem: 'not JSON', content: 'Acme Ltd is struggling with stock.', reason: /: answer is not JSON: Acme Ltd is struggling with stock\.$/ },
    { problem: 'empty', content: '', reason: /: empty answer$/ },
    { problem: 'JSON without a summary', content: JSON.stringify({ text: MODEL_TEXT }), reason: /: answer does not match the schema \(summary: / },
    { problem: 'markdown', content: JSON.stringify({ summary: `## Acme\n${MODEL_TEXT}` }), reason: /not markdown/ },
    {
      problem: 'a summary stating another score',
      content: JSON.stringify({ summary: "Acme Ltd's health is 64/100, down from 82." }),
      reason: /: the summary states a score of 64\/100, the facts 58\/100$/,
    },
  ])('falls back to the builtin summary at once, saying why, when the answer is $problem', async ({ content, reason }) => {
    fake.respondWith({ content });

    const summary = await writer.summarize(acme);

    expect(summary).toEqual(await builtinFallback(acme, reason));
    expect(summary.fallbackReason).toMatch(new RegExp(`^${who}: `));
    expect(fake.requests).toHaveLength(1);
  });

  it.each<{ failure: string; first: CommonBehaviour }>([
    { failure: 'HTTP 500', first: { status: 500 } },
    { failure: 'HTTP 429', first: { status: 429 } },
    { failure: 'a dropped connection', first: { reset: true } },
  ])('asks again after $failure and keeps the model’s summary, counting the pause in durationMs', async ({ first }) => {
    fake.respondWith(first, { answer: { summary: MODEL_TEXT } });

    const summary = await writer.summarize(acme);

    expect(summary).toMatchObject({ text: MODEL_TEXT, provider, model });
    expect(summary).not.toHaveProperty('fallbackReason');
    expect(fake.requests).toHaveLength(2);
    expect(summary.durationMs).toBeGreaterThanOrEqual(FIRST_RETRY_DELAY_MS);
  });

  it(`falls back after ${MAX_ATTEMPTS} attempts with exponential pauses when every one fails with HTTP 500`, async () => {
    fake.respondWith({ status: 500 });

    const { result: summary, elapsed } = await timed(writer.summarize(acme));

    expect(summary).toEqual(await builtinFallback(acme, new RegExp(`^${who}: ${provider} answered HTTP 500: .+ \\(after ${MAX_ATTEMPTS} attempts\\)$`)));
    expect(fake.requests).toHaveLength(MAX_ATTEMPTS);
    expect(elapsed).toBeGreaterThanOrEqual(FIRST_RETRY_DELAY_MS * 3 - 20);
    expect(summary.durationMs).toBeGreaterThanOrEqual(FIRST_RETRY_DELAY_MS * 3 - 20);
  });

  it('stops retrying when the timeout leaves no room for the next pause', async () => {
    const hurried = makeWriter(fake.url, 400);
    fake.respondWith({ status: 503 });

    const { result: summary, elapsed } = await timed(hurried.summarize(acme));

    expect(summary).toEqual(await builtinFallback(acme, /answered HTTP 503: .+ \(after 2 attempts within the 400 ms timeout\)$/));
    expect(fake.requests).toHaveLength(2);
    expect(elapsed).toBeLessThan(400);
  });

  it.each([400, 401, 404])('falls back at once, without retrying, on HTTP %d', async (status) => {
    fake.respondWith({ status });

    const { result: summary, elapsed } = await timed(writer.summarize(acme));

    expect(summary).toEqual(await builtinFallback(acme, new RegExp(`^${who}: ${provider} answered HTTP ${status}: `)));
    expect(fake.requests).toHaveLength(1);
    expect(elapsed).toBeLessThan(FIRST_RETRY_DELAY_MS);
  });

  it('falls back within the timeout when the model does not answer', async () => {
    const hurried = makeWriter(fake.url, 300);
    fake.respondWith({ hang: true });

    const { result: summary, elapsed } = await timed(hurried.summarize(acme));

    expect(summary).toEqual(await builtinFallback(acme, `${who}: ${provider} did not answer within 300 ms`));
    expect(fake.requests).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(300 + 500);
    expect(summary.durationMs).toBeGreaterThanOrEqual(280);
  });

  it('bounds retries and pauses together by the timeout', async () => {
    const hurried = makeWriter(fake.url, 600);
    fake.respondWith({ status: 502 }, { hang: true });

    const { result: summary, elapsed } = await timed(hurried.summarize(acme));

    expect(summary).toEqual(await builtinFallback(acme, new RegExp(`^${who}: ${provider} did not answer within \\d+ ms \\(after 2 attempts within the 600 ms timeout\\)$`)));
    expect(fake.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(580);
    expect(elapsed).toBeLessThan(600 + 500);
  });

  it('falls back, naming the address, when nothing listens there', async () => {
    await fake.close();

    const summary = await writer.summarize(acme);

    expect(summary).toEqual(await builtinFallback(acme, new RegExp(`^${who}: ${provider} is unreachable at .*ECONNREFUSED.* \\(after ${MAX_ATTEMPTS} attempts\\)$`)));
  });

  it('rejects with the caller’s abort reason as soon as the caller aborts a request', async () => {
    const patient = makeWriter(fake.url, 10_000);
    fake.respondWith({ hang: true });
    const controller = new AbortController();
    const reason = new Error('worker shutting down');
    setTimeout(() => controller.abort(reason), 50);

    const { result, elapsed } = await timed(patient.summarize(acme, controller.signal).catch((error: unknown) => error));

    expect(result).toBe(reason);
    expect(elapsed).toBeLessThan(1000);
  });

  it('rejects with the caller’s abort reason when the caller aborts during a pause between attempts', async () => {
    fake.respondWith({ status: 500 });
    const controller = new AbortController();
    const reason = new Error('worker shutting down');
    setTimeout(() => controller.abort(reason), 100);

    const { result, elapsed } = await timed(writer.summarize(acme, controller.signal).catch((error: unknown) => error));

    expect(result).toBe(reason);
    expect(fake.requests).toHaveLength(1);
    expect(elapsed).toBeLessThan(FIRST_RETRY_DELAY_MS);
  });
});

describe(OllamaSummaryWriter.name, () => {
  let ollama: FakeOllama;
  let writer: OllamaSummaryWriter;

  beforeEach(async () => {
    ollama = await startFakeOllama();
    writer = new OllamaSummaryWriter({ host: `${ollama.url}/`, model: OLLAMA_MODEL, timeoutMs: TIMEOUT_MS, fallback: builtin });
  });
  afterEach(() => ollama.close());

  it('asks /api/chat once, non-streaming, with the summary schema as format and temperature 0', async () => {
    ollama.respondWith({ answer: { summary: MODEL_TEXT } });

    await writer.summarize(acme);

    expect(ollama.requests).toHaveLength(1);
    const [request] = ollama.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/api/chat' });
    expect(request.body).toEqual({ model: OLLAMA_MODEL, messages: summaryMessages(acme), stream: false, format: SUMMARY_SCHEMA, options: { temperature: 0 } });
  });

  it('says when the answer was cut off at the token limit', async () => {
    ollama.respondWith({ content: '{"summary": "Acme Ltd', doneReason: 'length' });

    const { provider, fallbackReason } = await writer.summarize(acme);

    expect(provider).toBe('builtin');
    expect(fallbackReason).toMatch(/^ollama llama3\.2:3b: answer is not JSON: .* \(cut off at the token limit\)$/);
  });
});

describe(OpenAISummaryWriter.name, () => {
  let openai: FakeOpenAI;
  let writer: OpenAISummaryWriter;

  beforeEach(async () => {
    openai = await startFakeOpenAI();
    writer = new OpenAISummaryWriter({ baseUrl: `${openai.url}/v1`, apiKey: API_KEY, model: OPENAI_MODEL, timeoutMs: TIMEOUT_MS, fallback: builtin });
  });
  afterEach(() => openai.close());

  it('asks /v1/chat/completions with the key, a strict JSON schema response format and temperature 0', async () => {
    openai.respondWith({ answer: { summary: MODEL_TEXT } });

    await writer.summarize(acme);

    expect(openai.requests).toHaveLength(1);
    const [request] = openai.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.body).toEqual({
      model: OPENAI_MODEL,
      messages: summaryMessages(acme),
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'insight_summary', strict: true, schema: SUMMARY_SCHEMA } },
    });
  });

  it('falls back at once to the builtin summary, quoting the refusal, when the model refuses', async () => {
    openai.respondWith({ refusal: "I'm sorry, I can't help with that." });

    const summary = await writer.summarize(acme);

    expect(summary).toEqual(await builtinFallback(acme, `openai ${OPENAI_MODEL} refused: I'm sorry, I can't help with that.`));
    expect(openai.requests).toHaveLength(1);
  });

  it('falls back when the content is null, naming the finish reason', async () => {
    openai.respondWith({ content: null, finishReason: 'content_filter' });

    const { provider, fallbackReason } = await writer.summarize(acme);

    expect(provider).toBe('builtin');
    expect(fallbackReason).toBe(`openai ${OPENAI_MODEL}: empty answer (finish_reason content_filter)`);
  });
});

describe(createLlmProvider.name, () => {
  it('creates the builtin writer, which needs no other setting', async () => {
    const provider = createLlmProvider({ provider: 'builtin', timeoutMs: 1000 });

    expect(provider).toBeInstanceOf(BuiltinSummaryWriter);
    expect(await provider.summarize(acme)).toMatchObject({ provider: 'builtin', text: expect.stringContaining('58/100') });
  });

  it('creates an Ollama writer that asks the configured host for the configured model, falling back to the builtin', async () => {
    const ollama = await startFakeOllama();
    try {
      const provider = createLlmProvider({ provider: 'ollama', ollamaHost: ollama.url, model: 'qwen2.5:7b', timeoutMs: 1000 });
      ollama.respondWith({ answer: { summary: MODEL_TEXT } }, { content: 'nonsense' });

      expect(provider).toBeInstanceOf(OllamaSummaryWriter);
      expect(await provider.summarize(acme)).toMatchObject({ provider: 'ollama', model: 'qwen2.5:7b', text: MODEL_TEXT });
      expect(await provider.summarize(acme)).toMatchObject({ provider: 'builtin', text: (await builtin.summarize(acme)).text, fallbackReason: expect.any(String) });
      expect(ollama.requests.map((request) => request.body.model)).toEqual(['qwen2.5:7b', 'qwen2.5:7b']);
    } finally {
      await ollama.close();
    }
  });

  it('creates an OpenAI writer that calls the configured base URL with the key, falling back to the builtin', async () => {
    const openai = await startFakeOpenAI();
    try {
      const provider = createLlmProvider({ provider: 'openai', openaiBaseUrl: openai.url, openaiApiKey: 'sk-abc', model: 'gpt-4o-mini', timeoutMs: 1000 });
      openai.respondWith({ answer: { summary: MODEL_TEXT } }, { refusal: 'no' });

      expect(provider).toBeInstanceOf(OpenAISummaryWriter);
      expect(await provider.summarize(acme)).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', text: MODEL_TEXT });
      expect(await provider.summarize(acme)).toMatchObject({ provider: 'builtin', fallbackReason: expect.stringContaining('refused') });
      expect(openai.requests[0].headers.authorization).toBe('Bearer sk-abc');
    } finally {
      await openai.close();
    }
  });

  it('defaults the OpenAI base URL to api.openai.com', () => {
    expect(createLlmProvider({ provider: 'openai', openaiApiKey: 'sk-abc', model: 'gpt-4o-mini', timeoutMs: 1000 })).toBeInstanceOf(OpenAISummaryWriter);
  });

  it.each<{ settings: LlmProviderSettings; message: RegExp }>([
    { settings: { provider: 'ollama', model: 'llama3.2', timeoutMs: 1000 }, message: /^The ollama summary writer needs OLLAMA_HOST to be set$/ },
    { settings: { provider: 'ollama', ollamaHost: 'http://127.0.0.1:11434', timeoutMs: 1000 }, message: /^The ollama summary writer needs PEBBLE_LLM_MODEL to be set$/ },
    { settings: { provider: 'ollama', ollamaHost: '  ', timeoutMs: 1000 }, message: /needs OLLAMA_HOST and PEBBLE_LLM_MODEL/ },
    { settings: { provider: 'openai', model: 'gpt-4o-mini', timeoutMs: 1000 }, message: /^The openai summary writer needs OPENAI_API_KEY to be set$/ },
    { settings: { provider: 'openai', openaiApiKey: 'sk-abc', timeoutMs: 1000 }, message: /^The openai summary writer needs PEBBLE_LLM_MODEL to be set$/ },
  ])('refuses $settings.provider without its settings, naming what is missing', ({ settings, message }) => {
    expect(() => createLlmProvider(settings)).toThrow(message);
  });

  it.each([
    { settings: { provider: 'ollama', ollamaHost: 'localhost:11434', model: 'llama3.2', timeoutMs: 1000 } as const, variable: 'OLLAMA_HOST' },
    { settings: { provider: 'openai', openaiBaseUrl: 'api.openai.com', openaiApiKey: 'sk', model: 'm', timeoutMs: 1000 } as const, variable: 'OPENAI_BASE_URL' },
  ])('refuses a $variable that is not an http(s) URL', ({ settings, variable }) => {
    expect(() => createLlmProvider(settings)).toThrow(`${variable} must be an http(s) URL`);
  });

  it('refuses an unknown provider', () => {
    expect(() => createLlmProvider({ provider: 'gemini' as 'builtin', timeoutMs: 1000 })).toThrow(/Unknown insights LLM provider "gemini"/);
  });
});
