import { httpUrl, requireSettings, type ProviderSettings } from '../../platform/config/provider-settings';
import { BuiltinSummaryWriter } from './builtin.summary';
import type { LlmProvider } from './llm-provider';
import { OllamaSummaryWriter } from './ollama.summary';
import { OpenAISummaryWriter } from './openai.summary';

/** INSIGHTS_LLM_PROVIDER and its settings; `timeoutMs` (INSIGHTS_LLM_TIMEOUT_MS) bounds a whole summary, retries included. */
export type LlmProviderSettings = ProviderSettings;

/**
 * The configured summary writer. Remote ones get the builtin as their fallback, so a summary is always
 * written. A remote provider without its settings throws at once, naming the missing variables, so a
 * misconfigured worker fails at start-up rather than on every insight.
 */
export function createLlmProvider(settings: LlmProviderSettings): LlmProvider {
  const builtin = new BuiltinSummaryWriter();
  const { provider, timeoutMs } = settings;
  switch (provider) {
    case 'builtin':
      return builtin;
    case 'ollama': {
      const [host, model] = requireSettings('ollama summary writer', [
        ['OLLAMA_HOST', settings.ollamaHost],
        ['PEBBLE_LLM_MODEL', settings.model],
      ]);
      return new OllamaSummaryWriter({ host: httpUrl('OLLAMA_HOST', host), model, timeoutMs, fallback: builtin });
    }
    case 'openai': {
      const [apiKey, model] = requireSettings('openai summary writer', [
        ['OPENAI_API_KEY', settings.openaiApiKey],
        ['PEBBLE_LLM_MODEL', settings.model],
      ]);
      const baseUrl = settings.openaiBaseUrl ? httpUrl('OPENAI_BASE_URL', settings.openaiBaseUrl) : undefined;
      return new OpenAISummaryWriter({ baseUrl, apiKey, model, timeoutMs, fallback: builtin });
    }
    default:
      throw new Error(`Unknown insights LLM provider "${provider as string}": use builtin, ollama or openai`);
  }
}
