import { BuiltinClassifier } from '../../src/classification/builtin.classifier';
import { createClassifier, type ClassifierSettings } from '../../src/classification/create-classifier';
import { OllamaClassifier } from '../../src/classification/ollama.classifier';
import { OpenAIClassifier } from '../../src/classification/openai.classifier';
import { startFakeOllama } from '../fakes/ollama.fake';
import { startFakeOpenAI } from '../fakes/openai.fake';

const EMAIL = { subject: 'Invoice 4471', body: 'Could you resend invoice 4471?', from: 'ann@acme.example' };

describe(createClassifier.name, () => {
  it('creates the builtin classifier, which needs no other setting', async () => {
    const classifier = createClassifier({ provider: 'builtin', timeoutMs: 1000 });

    expect(classifier).toBeInstanceOf(BuiltinClassifier);
    expect((await classifier.classify(EMAIL)).provider).toBe('builtin');
  });

  it('creates an Ollama classifier that asks the configured host for the configured model, falling back to the builtin', async () => {
    const ollama = await startFakeOllama();
    try {
      const classifier = createClassifier({ provider: 'ollama', ollamaHost: ollama.url, model: 'qwen2.5:7b', timeoutMs: 1000 });
      ollama.respondWith({ answer: { category: 'invoice', priority: 'normal', sentiment: 0, confidence: 0.8 } }, { content: 'nonsense' });

      expect(classifier).toBeInstanceOf(OllamaClassifier);
      expect(await classifier.classify(EMAIL)).toMatchObject({ provider: 'ollama', model: 'qwen2.5:7b' });
      expect(await classifier.classify(EMAIL)).toMatchObject({ provider: 'builtin', fallbackReason: expect.any(String) });
      expect(ollama.requests.map((request) => request.body.model)).toEqual(['qwen2.5:7b', 'qwen2.5:7b']);
    } finally {
      await ollama.close();
    }
  });

  it('creates an OpenAI classifier that calls the configured base URL with the key, falling back to the builtin', async () => {
    const openai = await startFakeOpenAI();
    try {
      const classifier = createClassifier({ provider: 'openai', openaiBaseUrl: openai.url, openaiApiKey: 'sk-abc', model: 'gpt-4o-mini', timeoutMs: 1000 });
      openai.respondWith({ answer: { category: 'invoice', priority: 'normal', sentiment: 0, confidence: 0.8 } }, { refusal: 'no' });

      expect(classifier).toBeInstanceOf(OpenAIClassifier);
      expect(await classifier.classify(EMAIL)).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini' });
      expect(await classifier.classify(EMAIL)).toMatchObject({ provider: 'builtin', fallbackReason: expect.stringContaining('refused') });
      expect(openai.requests[0].headers.authorization).toBe('Bearer sk-abc');
    } finally {
      await openai.close();
    }
  });

  it('defaults the OpenAI base URL to api.openai.com', () => {
    expect(createClassifier({ provider: 'openai', openaiApiKey: 'sk-abc', model: 'gpt-4o-mini', timeoutMs: 1000 })).toBeInstanceOf(OpenAIClassifier);
  });

  it.each<{ settings: ClassifierSettings; message: RegExp }>([
    { settings: { provider: 'ollama', model: 'llama3.2', timeoutMs: 1000 }, message: /^The ollama classifier needs OLLAMA_HOST to be set$/ },
    { settings: { provider: 'ollama', ollamaHost: 'http://127.0.0.1:11434', timeoutMs: 1000 }, message: /^The ollama classifier needs PEBBLE_LLM_MODEL to be set$/ },
    { settings: { provider: 'ollama', timeoutMs: 1000 }, message: /needs OLLAMA_HOST and PEBBLE_LLM_MODEL/ },
    { settings: { provider: 'ollama', ollamaHost: '  ', model: 'llama3.2', timeoutMs: 1000 }, message: /needs OLLAMA_HOST/ },
    { settings: { provider: 'openai', model: 'gpt-4o-mini', timeoutMs: 1000 }, message: /^The openai classifier needs OPENAI_API_KEY to be set$/ },
    { settings: { provider: 'openai', openaiApiKey: 'sk-abc', timeoutMs: 1000 }, message: /^The openai classifier needs PEBBLE_LLM_MODEL to be set$/ },
  ])('refuses $settings.provider without its settings, naming what is missing', ({ settings, message }) => {
    expect(() => createClassifier(settings)).toThrow(message);
  });

  it.each([
    { settings: { provider: 'ollama', ollamaHost: 'localhost:11434', model: 'llama3.2', timeoutMs: 1000 } as const, variable: 'OLLAMA_HOST' },
    { settings: { provider: 'openai', openaiBaseUrl: 'api.openai.com', openaiApiKey: 'sk', model: 'm', timeoutMs: 1000 } as const, variable: 'OPENAI_BASE_URL' },
  ])('refuses a $variable that is not an http(s) URL', ({ settings, variable }) => {
    expect(() => createClassifier(settings)).toThrow(`${variable} must be an http(s) URL`);
  });

  it('refuses an unknown provider', () => {
    expect(() => createClassifier({ provider: 'gemini' as 'builtin', timeoutMs: 1000 })).toThrow(/Unknown classifier provider "gemini"/);
  });
});
