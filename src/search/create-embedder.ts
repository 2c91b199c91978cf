import { httpUrl, requireSettings, type ProviderSettings } from '../platform/config/provider-settings';
import { BuiltinEmbedder } from './builtin.embedder';
import type { Embedder } from './embedder';
import { OllamaEmbedder } from './ollama.embedder';
import { OpenAIEmbedder } from './openai.embedder';

/** EMBEDDER_PROVIDER and its settings; `model` is PEBBLE_EMBED_MODEL. */
export type EmbedderSettings = ProviderSettings;

/**
 * The configured embedder. A remote provider without its settings throws at once, naming the missing
 * variables, so a misconfigured worker fails at start-up rather than on every indexing job. There is no
 * fallback to the builtin as the classifiers have: vectors of two models cannot share one index.
 */
export function createEmbedder(settings: EmbedderSettings): Embedder {
  const { provider, timeoutMs } = settings;
  switch (provider) {
    case 'builtin':
      return new BuiltinEmbedder();
    case 'ollama': {
      const [host, model] = requireSettings('ollama embedder', [
        ['OLLAMA_HOST', settings.ollamaHost],
        ['PEBBLE_EMBED_MODEL', settings.model],
      ]);
      return new OllamaEmbedder({ host: httpUrl('OLLAMA_HOST', host), model, timeoutMs });
    }
    case 'openai': {
      const [apiKey, model] = requireSettings('openai embedder', [
        ['OPENAI_API_KEY', settings.openaiApiKey],
        ['PEBBLE_EMBED_MODEL', settings.model],
      ]);
      const baseUrl = settings.openaiBaseUrl ? httpUrl('OPENAI_BASE_URL', settings.openaiBaseUrl) : undefined;
      return new OpenAIEmbedder({ baseUrl, apiKey, model, timeoutMs });
    }
    default:
      throw new Error(`Unknown embedder provider "${provider as string}": use builtin, ollama or openai`);
  }
}
