import { performance } from 'node:perf_hooks';
import { BuiltinClassifier } from '../../src/classification/builtin.classifier';
import { ClassifierError, type ClassifierInput } from '../../src/classification/classifier';
import { ANSWER_SCHEMA } from '../../src/classification/llm-chat';
import { OpenAIClassifier } from '../../src/classification/openai.classifier';
import { FAKE_ANSWER, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.fake';

const MODEL = 'gpt-4o-mini';
const API_KEY = 'sk-test-0123456789';
const TIMEOUT_MS = 300;
const EMAIL: ClassifierInput = {
  subject: 'Broken on arrival',
  body: 'The chairs arrived broken for the second time. I want a full refund.',
  from: 'bob@customer.example',
};

describe(OpenAIClassifier.name, () => {
  let openai: FakeOpenAI;
  let classifier: OpenAIClassifier;
  const builtin = new BuiltinClassifier();

  beforeEach(async () => {
    openai = await startFakeOpenAI();
    classifier = new OpenAIClassifier({ baseUrl: openai.url, apiKey: API_KEY, model: MODEL, timeoutMs: TIMEOUT_MS, fallback: builtin });
  });
  afterEach(() => openai.close());

  it('answers the model’s classification, as provider openai with the configured model', async () => {
    openai.respondWith({ answer: { category: 'complaint', priority: 'urgent', sentiment: -0.8, confidence: 0.97 } });

    const classification = await classifier.classify(EMAIL);

    expect(classification).toEqual({ category: 'complaint', priority: 'urgent', sentiment: -0.8, confidence: 0.97, provider: 'openai', model: MODEL });
  });

  it('asks /v1/chat/completions with the key, a strict JSON schema response format and temperature 0', async () => {
    await classifier.classify(EMAIL);

    expect(openai.requests).toHaveLength(1);
    const [request] = openai.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.body).toEqual({
      model: MODEL,
      messages: [
        { role: 'system', content: expect.stringContaining('category') },
        { role: 'user', content: expect.stringContaining(`Subject: ${EMAIL.subject}`) },
      ],
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'email_classification', strict: true, schema: ANSWER_SCHEMA } },
    });
  });

  it('sends a schema strict mode accepts: every property required, no additional properties', () => {
    expect([...ANSWER_SCHEMA.required].sort()).toEqual(Object.keys(ANSWER_SCHEMA.properties).sort());
    expect(ANSWER_SCHEMA.additionalProperties).toBe(false);
  });

  it('accepts a base URL that already ends in /v1', async () => {
    const withV1 = new OpenAIClassifier({ baseUrl: `${openai.url}/v1/`, apiKey: API_KEY, model: MODEL, timeoutMs: TIMEOUT_MS, fallback: builtin });

    await withV1.classify(EMAIL);

    expect(openai.requests[0].path).toBe('/v1/chat/completions');
  });

  it('falls back to the builtin answer, quoting the refusal, when the model refuses', async () => {
    openai.respondWith({ refusal: "I'm sorry, I can't help with that." });

    const { fallbackReason, ...answer } = await classifier.classify(EMAIL);

    expect(answer).toEqual(await builtin.classify(EMAIL));
    expect(fallbackReason).toBe(`openai ${MODEL} refused: I'm sorry, I can't help with that.`);
  });

  it.each([
    { problem: 'not JSON', content: 'complaint', reason: /not JSON/ },
    { problem: 'empty', content: '', reason: /empty answer/ },
    { problem: 'null', content: null, reason: /empty answer/ },
    { problem: 'JSON with a confidence out of range', content: JSON.stringify({ ...FAKE_ANSWER, confidence: 7 }), reason: /schema.*confidence/ },
  ])('falls back to the builtin answer, saying why, when the content is $problem', async ({ content, reason }) => {
    openai.respondWith({ content });

    const { fallbackReason, ...answer } = await classifier.classify(EMAIL);

    expect(answer).toEqual(await builtin.classify(EMAIL));
    expect(fallbackReason).toMatch(reason);
  });

  it('names the finish reason when the answer was cut short', async () => {
    openai.respondWith({ content: '{"category": "compl', finishReason: 'length' });

    const { provider, fallbackReason } = await classifier.classify(EMAIL);

    expect(provider).toBe('builtin');
    expect(fallbackReason).toMatch(/finish_reason length/);
  });

  it.each([500, 502, 429])('throws a retryable ClassifierError on HTTP %d, with OpenAI’s error message', async (status) => {
    openai.respondWith({ status, message: 'Please try again later.' });

    const error = await classifier.classify(EMAIL).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ClassifierError);
    expect(error).toMatchObject({ retryable: true, message: `openai answered HTTP ${status}: Please try again later.` });
  });

  it.each([400, 401, 404])('throws a permanent ClassifierError on HTTP %d', async (status) => {
    openai.respondWith({ status });

    const error = await classifier.classify(EMAIL).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ClassifierError);
    expect(error).toMatchObject({ retryable: false, message: expect.stringContaining(`HTTP ${status}`) });
  });

  it('names the model when it does not exist', async () => {
    openai.respondWith({ status: 404 });

    await expect(classifier.classify(EMAIL)).rejects.toThrow(`The model \`${MODEL}\` does not exist`);
  });

  it(`throws a retryable ClassifierError when OpenAI does not answer within ${TIMEOUT_MS} ms`, async () => {
    openai.respondWith({ hang: true });
    const started = performance.now();

    const error = await classifier.classify(EMAIL).catch((e: unknown) => e);

    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(ClassifierError);
    expect(error).toMatchObject({ retryable: true, message: `openai did not answer within ${TIMEOUT_MS} ms` });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 700);
  });

  it('rejects with the caller’s abort reason as soon as the caller aborts, without waiting for the timeout', async () => {
    openai.respondWith({ hang: true });
    const slow = new OpenAIClassifier({ baseUrl: openai.url, apiKey: API_KEY, model: MODEL, timeoutMs: 10_000, fallback: builtin });
    const controller = new AbortController();
    const reason = new Error('worker shutting down');
    setTimeout(() => controller.abort(reason), 50);
    const started = performance.now();

    await expect(slow.classify(EMAIL, controller.signal)).rejects.toBe(reason);

    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('throws a retryable ClassifierError when the connection is refused or reset', async () => {
    openai.respondWith({ reset: true });
    const reset = await classifier.classify(EMAIL).catch((e: unknown) => e);
    await openai.close();
    const refused = await classifier.classify(EMAIL).catch((e: unknown) => e);

    for (const error of [reset, refused]) {
      expect(error).toBeInstanceOf(ClassifierError);
      expect(error).toMatchObject({ retryable: true });
    }
    expect((refused as Error).message).toContain('ECONNREFUSED');
  });
});
