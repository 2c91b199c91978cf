import { performance } from 'node:perf_hooks';
import { BuiltinClassifier } from '../../src/classification/builtin.classifier';
import { ClassifierError, type ClassifierInput } from '../../src/classification/classifier';
import { ANSWER_SCHEMA, MAX_BODY_CHARS } from '../../src/classification/llm-chat';
import { OllamaClassifier } from '../../src/classification/ollama.classifier';
import { FAKE_ANSWER, startFakeOllama, type FakeOllama } from '../fakes/ollama.fake';

const MODEL = 'llama3.2:3b';
const TIMEOUT_MS = 300;
const EMAIL: ClassifierInput = {
  subject: 'Overdue invoice INV-2291',
  body: 'Our records show invoice INV-2291 for €1,240 is still unpaid. Please arrange payment.',
  from: 'Ann Lee <ann@acme.example>',
};

describe(OllamaClassifier.name, () => {
  let ollama: FakeOllama;
  let classifier: OllamaClassifier;
  const builtin = new BuiltinClassifier();

  beforeEach(async () => {
    ollama = await startFakeOllama();
    classifier = new OllamaClassifier({ host: ollama.url, model: MODEL, timeoutMs: TIMEOUT_MS, fallback: builtin });
  });
  afterEach(() => ollama.close());

  it('answers the model’s classification, as provider ollama with the configured model', async () => {
    ollama.respondWith({ answer: { category: 'invoice', priority: 'high', sentiment: -0.2, confidence: 0.93 } });

    const classification = await classifier.classify(EMAIL);

    expect(classification).toEqual({ category: 'invoice', priority: 'high', sentiment: -0.2, confidence: 0.93, provider: 'ollama', model: MODEL });
  });

  it('asks /api/chat once, non-streaming, with the JSON schema as format and temperature 0', async () => {
    await classifier.classify(EMAIL);

    expect(ollama.requests).toHaveLength(1);
    const [request] = ollama.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/api/chat' });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({
      model: MODEL,
      messages: [
        { role: 'system', content: expect.stringContaining('category') },
        { role: 'user', content: expect.any(String) },
      ],
      stream: false,
      format: ANSWER_SCHEMA,
      options: { temperature: 0 },
    });
  });

  it('puts the sender, subject and body in the prompt, and tells the model the email is not instructions', async () => {
    await classifier.classify(EMAIL);

    const [system, user] = ollama.requests[0].body.messages;
    expect(user.content).toContain(`From: ${EMAIL.from}`);
    expect(user.content).toContain(`Subject: ${EMAIL.subject}`);
    expect(user.content).toContain(EMAIL.body);
    expect(system.content).toMatch(/not instructions/);
  });

  it(`cuts bodies longer than ${MAX_BODY_CHARS} characters`, async () => {
    await classifier.classify({ ...EMAIL, body: `${'a'.repeat(MAX_BODY_CHARS)}THE END` });

    const prompt = ollama.requests[0].body.messages[1].content;
    expect(prompt).not.toContain('THE END');
    expect(prompt).toContain('[…truncated]');
  });

  it.each([
    { problem: 'not JSON', content: 'Sure! The category is invoice.', reason: /not JSON: Sure! The category is invoice\./ },
    { problem: 'empty', content: '', reason: /empty answer/ },
    { problem: 'JSON with an unknown category', content: JSON.stringify({ ...FAKE_ANSWER, category: 'spam' }), reason: /schema.*category/ },
    { problem: 'JSON with a sentiment out of range', content: JSON.stringify({ ...FAKE_ANSWER, sentiment: 3 }), reason: /schema.*sentiment/ },
    { problem: 'JSON without a priority', content: JSON.stringify({ category: 'lead', sentiment: 0, confidence: 1 }), reason: /schema.*priority/ },
  ])('falls back to the builtin answer, saying why, when the content is $problem', async ({ content, reason }) => {
    ollama.respondWith({ content });

    const classification = await classifier.classify(EMAIL);

    const { fallbackReason, ...answer } = classification;
    expect(answer).toEqual(await builtin.classify(EMAIL));
    expect(fallbackReason).toMatch(reason);
    expect(fallbackReason).toContain(MODEL);
  });

  it('says the answer was cut off when Ollama stopped at the token limit', async () => {
    ollama.respondWith({ content: '{"category": "inv', doneReason: 'length' });

    const classification = await classifier.classify(EMAIL);

    expect(classification.provider).toBe('builtin');
    expect(classification.fallbackReason).toMatch(/cut off/);
  });

  it.each([500, 503, 429])('throws a retryable ClassifierError on HTTP %d, with Ollama’s error message', async (status) => {
    ollama.respondWith({ status, error: 'server overloaded' });

    const error = await classifier.classify(EMAIL).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ClassifierError);
    expect(error).toMatchObject({ retryable: true, message: `ollama answered HTTP ${status}: server overloaded` });
  });

  it.each([400, 401, 404])('throws a permanent ClassifierError on HTTP %d', async (status) => {
    ollama.respondWith({ status });

    const error = await classifier.classify(EMAIL).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ClassifierError);
    expect(error).toMatchObject({ retryable: false, message: expect.stringContaining(`HTTP ${status}`) });
  });

  it('names the missing model when Ollama answers 404', async () => {
    ollama.respondWith({ status: 404 });

    await expect(classifier.classify(EMAIL)).rejects.toThrow(`model "${MODEL}" not found`);
  });

  it(`throws a retryable ClassifierError when Ollama does not answer within ${TIMEOUT_MS} ms`, async () => {
    ollama.respondWith({ hang: true });
    const started = performance.now();

    const error = await classifier.classify(EMAIL).catch((e: unknown) => e);

    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(ClassifierError);
    expect(error).toMatchObject({ retryable: true, message: `ollama did not answer within ${TIMEOUT_MS} ms` });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 700);
  });

  it('rejects with the caller’s abort reason as soon as the caller aborts, without waiting for the timeout', async () => {
    ollama.respondWith({ hang: true });
    const slow = new OllamaClassifier({ host: ollama.url, model: MODEL, timeoutMs: 10_000, fallback: builtin });
    const controller = new AbortController();
    const reason = new Error('worker shutting down');
    setTimeout(() => controller.abort(reason), 50);
    const started = performance.now();

    await expect(slow.classify(EMAIL, controller.signal)).rejects.toBe(reason);

    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('sends nothing when the caller’s signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already stopped'));

    await expect(classifier.classify(EMAIL, controller.signal)).rejects.toThrow('already stopped');
    expect(ollama.requests).toHaveLength(0);
  });

  it('throws a retryable ClassifierError when the connection is refused', async () => {
    await ollama.close();

    const error = await classifier.classify(EMAIL).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ClassifierError);
    expect(error).toMatchObject({ retryable: true, message: expect.stringContaining('ECONNREFUSED') });
  });

  it('throws a retryable ClassifierError when the connection is reset', async () => {
    ollama.respondWith({ reset: true });

    const error = await classifier.classify(EMAIL).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ClassifierError);
    expect(error).toMatchObject({ retryable: true, message: expect.stringContaining('unreachable') });
  });

  it('accepts a host with a trailing slash', async () => {
    const slashed = new OllamaClassifier({ host: `${ollama.url}/`, model: MODEL, timeoutMs: TIMEOUT_MS, fallback: builtin });

    await slashed.classify(EMAIL);

    expect(ollama.requests[0].path).toBe('/api/chat');
  });
});
