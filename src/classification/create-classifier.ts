import { httpUrl, requireSettings, type ProviderSettings } from '../platform/config/provider-settings';
import { BuiltinClassifier } from './builtin.classifier';
import type { Classifier } from './classifier';
import { OllamaClassifier } from './ollama.classifier';
import { OpenAIClassifier } from './openai.classifier';

/** CLASSIFIER_PROVIDER and its settings; `model` is PEBBLE_LLM_MODEL. */
export type ClassifierSettings = ProviderSettings;

/**
 * The configured classifier. Remote ones get the builtin as their fallback for unusable answers. A remote
 * provider without its settings throws at once, naming the missing variables, so a misconfigured worker
 * fails at start-up rather than on every email.
 */
export function createClassifier(settings: ClassifierSettings): Classifier {
  const builtin = new BuiltinClassifier();
  const { provider, timeoutMs } = settings;
  switch (provider) {
    case 'builtin':
      return builtin;
    case 'ollama': {
      const [host, model] = requireSettings('ollama classifier', [
        ['OLLAMA_HOST', settings.ollamaHost],
        ['PEBBLE_LLM_MODEL', settings.model],
      ]);
      return new OllamaClassifier({ host: httpUrl('OLLAMA_HOST', host), model, timeoutMs, fallback: builtin });
    }
    case 'openai': {
      const [apiKey, model] = requireSettings('openai classifier', [
        ['OPENAI_API_KEY', settings.openaiApiKey],
        ['PEBBLE_LLM_MODEL', settings.model],
      ]);
      const baseUrl = settings.openaiBaseUrl ? httpUrl('OPENAI_BASE_URL', settings.openaiBaseUrl) : undefined;
      return new OpenAIClassifier({ baseUrl, apiKey, model, timeoutMs, fallback: builtin });
    }
    default:
      throw new Error(`Unknown classifier provider "${provider as string}": use builtin, ollama or openai`);
  }
}
