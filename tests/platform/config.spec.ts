import { ConfigError, parseConfig } from '../../src/platform/config/config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('parseConfig accepted a bad environment');
}

describe(parseConfig.name, () => {
  it('lists every bad variable in one ConfigError, cross-field rules included', () => {
    const problems = problemsOf({ PORT: 'abc', JWT_ACCESS_TTL_SECONDS: '-1', NODE_ENV: 'production' });
    expect(problems).toHaveLength(3);
    expect(problems).toEqual([expect.stringMatching(/^PORT: /), expect.stringMatching(/^JWT_ACCESS_TTL_SECONDS: /), 'JWT_SECRET: is required when NODE_ENV=production']);
  });

  it('refuses a job expiry that a slow classifier call could outlive', () => {
    expect(problemsOf({ CLASSIFIER_TIMEOUT_MS: '30000', EMAIL_JOB_EXPIRE_SECONDS: '30' })).toEqual([
      'EMAIL_JOB_EXPIRE_SECONDS: must be longer than CLASSIFIER_TIMEOUT_MS, or a slow classifier fails every job',
    ]);
  });

  it('names the settings a remote classifier is missing', () => {
    expect(problemsOf({ CLASSIFIER_PROVIDER: 'ollama' })).toEqual([
      'OLLAMA_HOST: is required when CLASSIFIER_PROVIDER=ollama',
      'PEBBLE_LLM_MODEL: is required when CLASSIFIER_PROVIDER=ollama',
    ]);
    expect(problemsOf({ CLASSIFIER_PROVIDER: 'openai', PEBBLE_LLM_MODEL: 'gpt-4o-mini' })).toEqual(['OPENAI_API_KEY: is required when CLASSIFIER_PROVIDER=openai']);
  });

  it('takes WORKER_QUEUES as a list of known queues and names the field for an unknown one', () => {
    expect(parseConfig({ WORKER_QUEUES: 'index_activity, index_dlq,index_activity' }).WORKER_QUEUES).toEqual(['index_activity', 'index_dlq']);
    expect(parseConfig({}).WORKER_QUEUES).toBeUndefined();
    expect(problemsOf({ WORKER_QUEUES: 'email_processing,emails' })).toEqual([expect.stringMatching(/^WORKER_QUEUES\.1: must be queue names among email_dlq, email_processing, /)]);
  });

  it('takes PRUNE_CRON as a 5-field cron, daily at 03:17 by default, and names the field for a bad one', () => {
    expect(parseConfig({}).PRUNE_CRON).toBe('17 3 * * *');
    expect(parseConfig({ PRUNE_CRON: ' 0 4 * * 0 ' }).PRUNE_CRON).toBe('0 4 * * 0');
    expect(problemsOf({ PRUNE_CRON: '0 4 * *' })).toEqual(['PRUNE_CRON: must be a cron expression of 5 fields, e.g. "17 3 * * *"']);
    expect(problemsOf({ PRUNE_CRON: '0 4 * * * *' })).toEqual(['PRUNE_CRON: must be a cron expression of 5 fields, e.g. "17 3 * * *"']);
  });

  it('names each variable in the error message an operator reads', () => {
    expect(() => parseConfig({ PORT: '70000', LOG_LEVEL: 'loud' })).toThrow(/Invalid configuration:\n {2}- PORT: .*\n {2}- LOG_LEVEL: /);
  });

  it('reports a short JWT_SECRET in production once, as too short', () => {
    expect(problemsOf({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toEqual(['JWT_SECRET: must be at least 32 characters']);
  });

  it('treats empty variables as unset and returns a frozen object with the defaults', () => {
    const config = parseConfig({ PORT: '', GRAPHQL_MAX_DEPTH: '7' });
    expect(config).toMatchObject({ NODE_ENV: 'development', PORT: 4000, GRAPHQL_MAX_DEPTH: 7, BODY_LIMIT_BYTES: 1024 * 1024 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('accepts production with a long enough JWT_SECRET', () => {
    expect(parseConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).NODE_ENV).toBe('production');
  });
});
