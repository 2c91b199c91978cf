/**
 * Checks for the settings of an outside provider (Ollama, OpenAI), shared by the classifier and embedder
 * factories: config.ts already refuses a bad environment, but a factory may be called with hand-made
 * settings (tests, CLI commands), and should then fail at once, naming the variables, not on first use.
 */

/** What a provider factory (classifier, embedder, summary writer) is given, as config.ts parsed it. */
export interface ProviderSettings {
  provider: 'builtin' | 'ollama' | 'openai';
  ollamaHost?: string;
  openaiBaseUrl?: string;
  openaiApiKey?: string;
  /** The remote model (PEBBLE_LLM_MODEL or PEBBLE_EMBED_MODEL); the builtin has its own. */
  model?: string;
  /** Per call. */
  timeoutMs: number;
}

/** The trimmed values, in order; throws `The <what> needs A and B to be set` when any is missing or blank. */
export function requireSettings(what: string, settings: [variable: string, value: string | undefined][]): string[] {
  const missing = settings.filter(([, value]) => !value?.trim()).map(([variable]) => variable);
  if (missing.length > 0) throw new Error(`The ${what} needs ${missing.join(' and ')} to be set`);
  return settings.map(([, value]) => value!.trim());
}

/** `value` when it is an http(s) URL; throws naming the variable otherwise. */
export function httpUrl(variable: string, value: string): string {
  const protocol = URL.canParse(value) ? new URL(value).protocol : '';
  if (protocol !== 'http:' && protocol !== 'https:') throw new Error(`${variable} must be an http(s) URL, got "${value}"`);
  return value;
}
