import { BuiltinEmbedder } from '../../src/search/builtin.embedder';
import { createEmbedder, type EmbedderSettings } from '../../src/search/create-embedder';
import { OllamaEmbedder } from '../../src/search/ollama.embedder';
import { OpenAIEmbedder } from '../../src/search/openai.embedder';
import { fakeEmbedding, startFakeOllama } from '../fakes/ollama.fake';
import { startFakeOpenAI } from '../fakes/openai.fake';

const TEXTS = ['Could you resend invoice 4471?'];

describe(createEmbedder.name, () => {
  it('creates the builtin embedder, which needs no other setting and ignores PEBBLE_EMBED_MODEL', async () => {
    const embedder = createEmbedder({ provider: 'builtin', model: 'nomic-embed-text', timeoutMs: 1000 });

    expect(embedder).toBeInstanceOf(BuiltinEmbedder);
    expect(embedder.identity).toEqual({ provider: 'builtin', model: 'pebble-hashing-v1' });
    expect(await embedder.embed(TEXTS)).toHaveLength(1);
  });

  it('creates an Ollama embedder that asks the configured host for the configured model', async () => {
    const ollama = await startFakeOllama();
    try {
      const embedder = createEmbedder({ provider: 'ollama', ollamaHost: ollama.url, model: 'mxbai-embed-large', timeoutMs: 1000 });

      expect(embedder).toBeInstanceOf(OllamaEmbedder);
      expect(embedder.identity).toEqual({ provider: 'ollama', model: 'mxbai-embed-large' });
      expect(await embedder.embed(TEXTS)).toEqual(TEXTS.map(fakeEmbedding));
      expect(ollama.requests[0].body.model).toBe('mxbai-embed-large');
    } finally {
      await ollama.close();
    }
  });

  it('creates an OpenAI embedder that calls the configured base URL with the key', async () => {
    const openai = await startFakeOpenAI();
    try {
      const embedder = createEmbedder({ provider: 'openai', openaiBaseUrl: openai.url, openaiApiKey: 'sk-abc', model: 'text-embedding-3-small', timeoutMs: 1000 });

      expect(embedder).toBeInstanceOf(OpenAIEmbedder);
      expect(embedder.identity).toEqual({ provider: 'openai', model: 'text-embedding-3-small' });
      expect(await embedder.embed(TEXTS)).toEqual(TEXTS.map(fakeEmbedding));
      expect(openai.requests[0].headers.authorization).toBe('Bearer sk-abc');
    } finally {
      await openai.close();
    }
  });

  it('defaults the OpenAI base URL to api.openai.com', () => {
    expect(createEmbedder({ provider: 'openai', openaiApiKey: 'sk-abc', model: 'text-embedding-3-small', timeoutMs: 1000 })).toBeInstanceOf(OpenAIEmbedder);
  });

  it.each<{ settings: EmbedderSettings; message: RegExp }>([
    { settings: { provider: 'ollama', model: 'nomic-embed-text', timeoutMs: 1000 }, message: /^The ollama embedder needs OLLAMA_HOST to be set$/ },
    { settings: { provider: 'ollama', ollamaHost: 'http://127.0.0.1:11434', timeoutMs: 1000 }, message: /^The ollama embedder needs PEBBLE_EMBED_MODEL to be set$/ },
    { settings: { provider: 'ollama', timeoutMs: 1000 }, message: /needs OLLAMA_HOST and PEBBLE_EMBED_MODEL/ },
    { settings: { provider: 'openai', model: 'text-embedding-3-small', timeoutMs: 1000 }, message: /^The openai embedder needs OPENAI_API_KEY to be set$/ },
    { settings: { provider: 'openai', openaiApiKey: 'sk-abc', model: ' ', timeoutMs: 1000 }, message: /^The openai embedder needs PEBBLE_EMBED_MODEL to be set$/ },
  ])('refuses $settings.provider without its settings, naming what is missing', ({ settings, message }) => {
    expect(() => createEmbedder(settings)).toThrow(message);
  });

  it.each([
    { settings: { provider: 'ollama', ollamaHost: 'localhost:11434', model: 'nomic-embed-text', timeoutMs: 1000 } as const, variable: 'OLLAMA_HOST' },
    { settings: { provider: 'openai', openaiBaseUrl: 'api.openai.com', openaiApiKey: 'sk', model: 'm', timeoutMs: 1000 } as const, variable: 'OPENAI_BASE_URL' },
  ])('refuses a $variable that is not an http(s) URL', ({ settings, variable }) => {
    expect(() => createEmbedder(settings)).toThrow(`${variable} must be an http(s) URL`);
  });

  it('refuses an unknown provider', () => {
    expect(() => createEmbedder({ provider: 'cohere' as 'builtin', timeoutMs: 1000 })).toThrow(/Unknown embedder provider "cohere"/);
  });
});
