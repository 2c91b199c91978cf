import { EmbedderError } from '../../src/search/embedder';
import { OllamaEmbedder } from '../../src/search/ollama.embedder';
import { BLANK_TEXT, MAX_TEXT_CHARS, TEXTS_PER_REQUEST } from '../../src/search/remote-embedding';
import { fakeEmbedding, startFakeOllama, type FakeOllama } from '../fakes/ollama.fake';
import { itSurvivesTransportFailures } from './remote-embedder-transport';

const MODEL = 'nomic-embed-text';
const TIMEOUT_MS = 300;
const TEXTS = ['Invoice INV-2024-0042 is overdue', 'Where is order SO-10023?', 'The pallets arrived damaged'];

/** `count` distinct texts, so a vector shows which text it belongs to. */
function manyTexts(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `email number ${i}`);
}

describe(OllamaEmbedder.name, () => {
  let ollama: FakeOllama;
  let embedder: OllamaEmbedder;

  beforeEach(async () => {
    ollama = await startFakeOllama();
    embedder = new OllamaEmbedder({ host: ollama.url, model: MODEL, timeoutMs: TIMEOUT_MS });
  });
  afterEach(() => ollama.close());

  it('is ollama with the configured model', () => {
    expect(embedder.identity).toEqual({ provider: 'ollama', model: MODEL });
  });

  it('answers the model’s vectors, one per text, in order', async () => {
    await expect(embedder.embed(TEXTS)).resolves.toEqual(TEXTS.map(fakeEmbedding));
  });

  it('asks /api/embed with the model, the texts as input and truncation on', async () => {
    await embedder.embed(TEXTS);

    expect(ollama.requests).toHaveLength(1);
    const [request] = ollama.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/api/embed' });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({ model: MODEL, input: TEXTS, truncate: true });
  });

  it(`sends at most ${TEXTS_PER_REQUEST} texts per request and keeps the order across them`, async () => {
    const texts = manyTexts(2 * TEXTS_PER_REQUEST + 5);

    const vectors = await embedder.embed(texts);

    expect(vectors).toEqual(texts.map(fakeEmbedding));
    expect(ollama.requests.map((request) => request.body.input)).toEqual([
      texts.slice(0, TEXTS_PER_REQUEST),
      texts.slice(TEXTS_PER_REQUEST, 2 * TEXTS_PER_REQUEST),
      texts.slice(2 * TEXTS_PER_REQUEST),
    ]);
  });

  it('sends the next request only once the previous one is answered', async () => {
    ollama.respondWith({ hang: true });

    await expect(embedder.embed(manyTexts(TEXTS_PER_REQUEST + 1))).rejects.toThrow('did not answer');

    expect(ollama.requests).toHaveLength(1);
  });

  it('sends nothing for no texts', async () => {
    await expect(embedder.embed([])).resolves.toEqual([]);
    expect(ollama.requests).toHaveLength(0);
  });

  it(`sends a blank text as "${BLANK_TEXT}" and cuts texts longer than ${MAX_TEXT_CHARS} characters`, async () => {
    await embedder.embed(['', '  \n', `${'a'.repeat(MAX_TEXT_CHARS)}THE END`]);

    expect(ollama.requests[0].body.input).toEqual([BLANK_TEXT, BLANK_TEXT, 'a'.repeat(MAX_TEXT_CHARS)]);
  });

  it.each([500, 503, 429])('throws a retryable EmbedderError on HTTP %d, with Ollama’s error message', async (status) => {
    ollama.respondWith({ status, error: 'server overloaded' });

    const error = await embedder.embed(TEXTS).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(EmbedderError);
    expect(error).toMatchObject({ retryable: true, message: `ollama answered HTTP ${status}: server overloaded` });
  });

  it.each([400, 404])('throws a permanent EmbedderError on HTTP %d', async (status) => {
    ollama.respondWith({ status });

    const error = await embedder.embed(TEXTS).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(EmbedderError);
    expect(error).toMatchObject({ retryable: false, message: expect.stringContaining(`HTTP ${status}`) });
  });

  it('names the missing model when Ollama answers 404', async () => {
    ollama.respondWith({ status: 404 });

    await expect(embedder.embed(TEXTS)).rejects.toThrow(`model "${MODEL}" not found`);
  });

  it('fails the whole call, with no vectors, when a later request fails', async () => {
    ollama.respondWith({ embeddings: manyTexts(TEXTS_PER_REQUEST).map(fakeEmbedding) }, { status: 500 });

    await expect(embedder.embed(manyTexts(TEXTS_PER_REQUEST + 1))).rejects.toMatchObject({ retryable: true });
    expect(ollama.requests).toHaveLength(2);
  });

  itSurvivesTransportFailures('ollama', TIMEOUT_MS, TEXTS, () => ({
    fake: ollama,
    embedder,
    withTimeout: (timeoutMs) => new OllamaEmbedder({ host: ollama.url, model: MODEL, timeoutMs }),
  }));

  describe('rejects a malformed answer with a permanent EmbedderError naming the model', () => {
    const good = TEXTS.map(fakeEmbedding);

    it.each([
      { problem: 'too few vectors', answer: { embeddings: good.slice(1) }, message: '2 embeddings for 3 texts' },
      { problem: 'too many vectors', answer: { embeddings: [...good, good[0]] }, message: '4 embeddings for 3 texts' },
      { problem: 'no embeddings', answer: { raw: '{"model": "nomic-embed-text"}' }, message: 'no list of embeddings' },
      { problem: 'not JSON', answer: { raw: 'Internal error' }, message: 'no list of embeddings' },
      { problem: 'a vector of strings', answer: { embeddings: [good[0], good[1].map(String), good[2]] }, message: 'embedding 1 has "' },
      { problem: 'a NaN, sent as null', answer: { embeddings: [good[0], good[1], [null, ...good[2].slice(1)]] }, message: 'embedding 2 has null at position 0' },
      { problem: 'an infinite number', answer: { raw: `{"embeddings": [${JSON.stringify(good[0])}, [1e999, 0.5], [0.1, 0.2]]}` }, message: 'embedding 1 has Infinity' },
      { problem: 'vectors of different lengths', answer: { embeddings: [good[0], good[1].slice(1), good[2]] }, message: 'embedding 1 has 7 dimensions, embedding 0 has 8' },
      { problem: 'an empty vector', answer: { embeddings: [good[0], [], good[2]] }, message: 'embedding 1 is not a list of numbers' },
      { problem: 'a vector of zeros', answer: { embeddings: [good[0], good[1].map(() => 0), good[2]] }, message: 'embedding 1 is all zeros' },
    ])('$problem', async ({ answer, message }) => {
      ollama.respondWith(answer);

      const error = await embedder.embed(TEXTS).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(EmbedderError);
      expect(error).toMatchObject({ retryable: false, message: expect.stringContaining(`ollama/${MODEL} sent a malformed answer: ${message}`) });
    });

    it('vectors shorter in a later request than in the first', async () => {
      const texts = manyTexts(TEXTS_PER_REQUEST + 2);
      ollama.respondWith({ embeddings: texts.slice(0, TEXTS_PER_REQUEST).map(fakeEmbedding) }, { embeddings: [[0.1, 0.2], [0.3, 0.4]] });

      await expect(embedder.embed(texts)).rejects.toThrow(`embedding ${TEXTS_PER_REQUEST} has 2 dimensions, embedding 0 has 8`);
    });
  });

  it('accepts a host with a trailing slash', async () => {
    const slashed = new OllamaEmbedder({ host: `${ollama.url}/`, model: MODEL, timeoutMs: TIMEOUT_MS });

    await slashed.embed(TEXTS);

    expect(ollama.requests[0].path).toBe('/api/embed');
  });
});
