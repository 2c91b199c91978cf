import { EmbedderError } from '../../src/search/embedder';
import { OpenAIEmbedder } from '../../src/search/openai.embedder';
import { TEXTS_PER_REQUEST } from '../../src/search/remote-embedding';
import { fakeEmbedding, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.fake';
import { itSurvivesTransportFailures } from './remote-embedder-transport';

const MODEL = 'text-embedding-3-small';
const API_KEY = 'sk-test-0123456789';
const TIMEOUT_MS = 300;
const TEXTS = ['Invoice INV-2024-0042 is overdue', 'Where is order SO-10023?', 'The pallets arrived damaged'];

/** The embeddings API's `data` for `texts`, in the order of `indexes`. */
function data(texts: string[], indexes: number[]): unknown[] {
  return indexes.map((index) => ({ object: 'embedding', index, embedding: fakeEmbedding(texts[index]) }));
}

describe(OpenAIEmbedder.name, () => {
  let openai: FakeOpenAI;
  let embedder: OpenAIEmbedder;

  beforeEach(async () => {
    openai = await startFakeOpenAI();
    embedder = new OpenAIEmbedder({ baseUrl: openai.url, apiKey: API_KEY, model: MODEL, timeoutMs: TIMEOUT_MS });
  });
  afterEach(() => openai.close());

  it('is openai with the configured model', () => {
    expect(embedder.identity).toEqual({ provider: 'openai', model: MODEL });
  });

  it('answers the model’s vectors, one per text, in order', async () => {
    await expect(embedder.embed(TEXTS)).resolves.toEqual(TEXTS.map(fakeEmbedding));
  });

  it('asks /v1/embeddings with the key, the model, the texts as input and float encoding', async () => {
    await embedder.embed(TEXTS);

    expect(openai.requests).toHaveLength(1);
    const [request] = openai.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/embeddings' });
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({ model: MODEL, input: TEXTS, encoding_format: 'float' });
  });

  it('puts each vector at the index the API gives it, whatever the order of the answer', async () => {
    openai.respondWith({ data: data(TEXTS, [2, 0, 1]) });

    await expect(embedder.embed(TEXTS)).resolves.toEqual(TEXTS.map(fakeEmbedding));
  });

  it(`sends at most ${TEXTS_PER_REQUEST} texts per request and keeps the order across them`, async () => {
    const texts = Array.from({ length: TEXTS_PER_REQUEST + 3 }, (_, i) => `email number ${i}`);

    await expect(embedder.embed(texts)).resolves.toEqual(texts.map(fakeEmbedding));
    expect(openai.requests.map((request) => request.body.input)).toEqual([texts.slice(0, TEXTS_PER_REQUEST), texts.slice(TEXTS_PER_REQUEST)]);
  });

  it('embeds blank texts, which the API itself refuses', async () => {
    const vectors = await embedder.embed(['', ' \n ', 'Hello']);

    expect(vectors).toHaveLength(3);
    expect(openai.requests[0].body.input).not.toContain('');
  });

  it('accepts a base URL that already ends in /v1', async () => {
    const withV1 = new OpenAIEmbedder({ baseUrl: `${openai.url}/v1/`, apiKey: API_KEY, model: MODEL, timeoutMs: TIMEOUT_MS });

    await withV1.embed(TEXTS);

    expect(openai.requests[0].path).toBe('/v1/embeddings');
  });

  it.each([500, 502, 429])('throws a retryable EmbedderError on HTTP %d, with OpenAI’s error message', async (status) => {
    openai.respondWith({ status, message: 'Please try again later.' });

    const error = await embedder.embed(TEXTS).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(EmbedderError);
    expect(error).toMatchObject({ retryable: true, message: `openai answered HTTP ${status}: Please try again later.` });
  });

  it.each([400, 401, 404])('throws a permanent EmbedderError on HTTP %d', async (status) => {
    openai.respondWith({ status });

    const error = await embedder.embed(TEXTS).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(EmbedderError);
    expect(error).toMatchObject({ retryable: false, message: expect.stringContaining(`HTTP ${status}`) });
  });

  it('names the model when it does not exist', async () => {
    openai.respondWith({ status: 404 });

    await expect(embedder.embed(TEXTS)).rejects.toThrow(`The model \`${MODEL}\` does not exist`);
  });

  itSurvivesTransportFailures('openai', TIMEOUT_MS, TEXTS, () => ({
    fake: openai,
    embedder,
    withTimeout: (timeoutMs) => new OpenAIEmbedder({ baseUrl: openai.url, apiKey: API_KEY, model: MODEL, timeoutMs }),
  }));

  describe('rejects a malformed answer with a permanent EmbedderError naming the model', () => {
    it.each([
      { problem: 'too few vectors', answer: { data: data(TEXTS, [0, 1]) }, message: '2 embeddings for 3 texts' },
      { problem: 'no data', answer: { raw: '{"object": "list"}' }, message: 'no list of embeddings' },
      { problem: 'not JSON', answer: { raw: '<html>Bad gateway</html>' }, message: 'no list of embeddings' },
      { problem: 'an index twice', answer: { data: data(TEXTS, [0, 1, 1]) }, message: 'the indexes of the 3 embeddings are not 0 to 2, each once' },
      { problem: 'an index out of range', answer: { data: [...data(TEXTS, [0, 1]), { index: 3, embedding: fakeEmbedding(TEXTS[2]) }] }, message: 'the indexes of the 3 embeddings are not 0 to 2, each once' },
      { problem: 'no index', answer: { data: [{ embedding: fakeEmbedding(TEXTS[0]) }, ...data(TEXTS, [1, 2])] }, message: 'the indexes' },
      { problem: 'base64 instead of floats', answer: { data: [...data(TEXTS, [0, 1]), { object: 'embedding', index: 2, embedding: 'AAAAAA==' }] }, message: 'embedding 2 is not a list of numbers' },
      { problem: 'a NaN, sent as null', answer: { data: [...data(TEXTS, [0, 1]), { index: 2, embedding: [0.1, null] }] }, message: 'embedding 2 has null at position 1' },
      {
        problem: 'an infinite number',
        answer: { raw: `{"data": [{"index": 0, "embedding": [-1e999, 0.5]}, {"index": 1, "embedding": [0.1, 0.2]}, {"index": 2, "embedding": [0.3, 0.4]}]}` },
        message: 'embedding 0 has -Infinity at position 0',
      },
      { problem: 'vectors of different lengths', answer: { data: [...data(TEXTS, [0, 1]), { index: 2, embedding: [0.1, 0.2] }] }, message: 'embedding 2 has 2 dimensions, embedding 0 has 8' },
    ])('$problem', async ({ answer, message }) => {
      openai.respondWith(answer);

      const error = await embedder.embed(TEXTS).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(EmbedderError);
      expect(error).toMatchObject({ retryable: false, message: expect.stringContaining(`openai/${MODEL} sent a malformed answer: ${message}`) });
    });
  });
});
