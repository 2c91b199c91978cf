import { z } from 'zod';
import { JOB_NAMES } from '../queue/jobs';

const duration = z.coerce.number().int().positive();
const optionalUrl = z.string().url().optional();
/** A 5-field cron expression; `example` is the setting's default, shown in the error. */
const cron = (example: string) =>
  z
    .string()
    .trim()
    .regex(/^\S+(\s+\S+){4}$/, `must be a cron expression of 5 fields, e.g. "${example}"`)
    .default(example);

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Where `pebble dev` keeps its generated secret, embedded Postgres and Chroma data. */
    PEBBLE_HOME: z.string().min(1).default('.pebble'),

    /** Owner connection: migrations, CLI administration. Unset → local Postgres, else embedded. */
    DATABASE_URL: optionalUrl,
    /** Connection the api and worker use; defaults to DATABASE_URL with the `pebble_app` role. */
    APP_DATABASE_URL: optionalUrl,
    PEBBLE_APP_PASSWORD: z.string().min(1).optional(),
    DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),

    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    JWT_ISSUER: z.string().min(1).default('pebble'),
    JWT_AUDIENCE: z.string().min(1).default('pebble-api'),
    JWT_ACCESS_TTL_SECONDS: duration.default(15 * 60),
    JWT_REFRESH_TTL_SECONDS: duration.default(7 * 24 * 60 * 60),
    /** Failed logins allowed per account within LOGIN_WINDOW_SECONDS before answering 429. */
    LOGIN_MAX_FAILURES: z.coerce.number().int().min(2).default(5),
    LOGIN_WINDOW_SECONDS: duration.default(15 * 60),

    CHROMA_URL: optionalUrl,
    CHROMA_PORT: z.coerce.number().int().min(1).max(65535).default(8000),

    PEBBLE_DEMO_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
    GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).max(50).default(15),
    /** Least time between two subscription updates of one topic of one tenant (250: at most 4 a second). */
    LIVE_UPDATE_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
    BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),

    /** Largest JSON email accepted by the ingestion endpoint (whole request body). */
    INGEST_JSON_LIMIT_BYTES: z.coerce.number().int().min(1024).default(512 * 1024),
    /** Largest raw MIME message (`message/rfc822`) accepted, attachments included. */
    INGEST_MIME_LIMIT_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
    INGEST_SUBJECT_MAX_CHARS: z.coerce.number().int().min(16).default(1000),
    INGEST_TEXT_MAX_CHARS: z.coerce.number().int().min(1024).default(200_000),
    /** Group commit: a batch is written when it holds this many emails ... */
    INGEST_BATCH_MAX_ITEMS: z.coerce.number().int().min(1).max(5000).default(256),
    /** ... or when its first email has waited this long. */
    INGEST_BATCH_MAX_WAIT_MS: z.coerce.number().min(0).max(1000).default(2),
    /** Batches committing at once; each holds one pooled connection. */
    INGEST_BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
    /** Per-tenant token bucket on ingestion, emails per second; 0 turns it off. */
    INGEST_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(0),
    /** Bucket size: how many emails a tenant may send at once; defaults to one second's worth. */
    INGEST_RATE_LIMIT_BURST: z.coerce.number().int().min(1).optional(),
    /** Fallback refresh of the blacklist cache, in case a change notification was missed. */
    BLACKLIST_CACHE_TTL_SECONDS: duration.default(30),
    /** First retry delay of `email_processing`; pg-boss doubles it per attempt (retryBackoff). */
    EMAIL_RETRY_DELAY_SECONDS: duration.default(5),
    /** How long one `email_processing` attempt may run before pg-boss fails it; longer than the classifier's timeout. */
    EMAIL_JOB_EXPIRE_SECONDS: duration.default(300),
    /** How often workers fail jobs whose attempt outlived EMAIL_JOB_EXPIRE_SECONDS (a killed worker's), then retried. */
    QUEUE_MAINTENANCE_SECONDS: duration.default(30),
    /** Jobs fetched and processed together by one worker. */
    WORKER_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(100),
    /** Queues a worker process serves, comma-separated (e.g. indexing on workers of its own); every queue when unset. */
    WORKER_QUEUES: z
      .string()
      .transform((value) => [...new Set(value.split(',').map((name) => name.trim()))])
      .pipe(z.array(z.enum(JOB_NAMES, { error: `must be queue names among ${JOB_NAMES.join(', ')}` })))
      .optional(),

    /** `builtin` (offline, default), `ollama` (needs OLLAMA_HOST, PEBBLE_LLM_MODEL) or `openai` (needs OPENAI_API_KEY). */
    CLASSIFIER_PROVIDER: z.enum(['builtin', 'ollama', 'openai']).default('builtin'),
    CLASSIFIER_TIMEOUT_MS: z.coerce.number().int().min(100).default(20_000),
    OLLAMA_HOST: optionalUrl,
    OPENAI_API_KEY: z.string().min(1).optional(),
    OPENAI_BASE_URL: optionalUrl,
    PEBBLE_LLM_MODEL: z.string().min(1).optional(),

    /** `builtin` (offline, default), `ollama` (needs OLLAMA_HOST, PEBBLE_EMBED_MODEL) or `openai` (needs OPENAI_API_KEY, PEBBLE_EMBED_MODEL). */
    EMBEDDER_PROVIDER: z.enum(['builtin', 'ollama', 'openai']).default('builtin'),
    PEBBLE_EMBED_MODEL: z.string().min(1).optional(),
    EMBED_TIMEOUT_MS: z.coerce.number().int().min(100).default(20_000),
    /** Longest a Chroma call may take while indexing; an outage then fails the attempt, which is retried. */
    CHROMA_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    /** Longest the vector half of a search may take before the answer falls back to keyword hits (`degraded`). */
    SEARCH_VECTOR_TIMEOUT_MS: z.coerce.number().int().min(50).default(2_000),
    SEARCH_MAX_QUERY_CHARS: z.coerce.number().int().min(16).max(10_000).default(500),
    /** A query word in more documents than this (by Postgres' statistics) brings no any-word keyword hits on its own. */
    SEARCH_COMMON_WORD_DOCS: z.coerce.number().int().min(1).default(1_000),
    /** Most documents a keyword tier ranks; when more match, the most recently updated ones are ranked. */
    SEARCH_RANK_DOCS: z.coerce.number().int().min(50).max(100_000).default(300),
    /** Retries of `index_activity` with doubling delays: the defaults ride out a Chroma outage of about half an hour. */
    INDEX_RETRY_LIMIT: z.coerce.number().int().min(0).max(20).default(8),
    INDEX_RETRY_DELAY_SECONDS: duration.default(5),
    INDEX_JOB_EXPIRE_SECONDS: duration.default(300),

    /** When the weekly insight synthesis runs (cron, 5 fields, in INSIGHTS_TIMEZONE): Mondays 06:00 by default. */
    INSIGHTS_CRON: cron('0 6 * * 1'),
    INSIGHTS_TIMEZONE: z.string().min(1).default('UTC'),
    /** Length of the period an insight covers, compared with the period before it. */
    INSIGHTS_PERIOD_DAYS: z.coerce.number().int().min(1).max(90).default(7),
    /** `builtin` (deterministic template, default), `ollama` (needs OLLAMA_HOST, PEBBLE_LLM_MODEL) or `openai` (needs OPENAI_API_KEY, PEBBLE_LLM_MODEL). */
    INSIGHTS_LLM_PROVIDER: z.enum(['builtin', 'ollama', 'openai']).default('builtin'),
    /** Per summary call; on timeout the builtin summary is stored instead. Shorter than INSIGHTS_JOB_EXPIRE_SECONDS. */
    INSIGHTS_LLM_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
    INSIGHTS_JOB_EXPIRE_SECONDS: duration.default(900),
    /** When expired Idempotency-Keys, refresh tokens, login-throttle rows and thread references are deleted (cron, 5 fields, in UTC): daily 03:17 by default. */
    PRUNE_CRON: cron('17 3 * * *'),
    /** How long a reply's reference to an original that has not arrived is kept for the original to join its card. */
    THREAD_REFERENCE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),

    /** Records per `POST /api/v1/records/` or `upsertRecords` call. */
    RECORDS_MAX_PER_CALL: z.coerce.number().int().min(1).max(10_000).default(1000),
    /** Largest records request body. */
    RECORDS_JSON_LIMIT_BYTES: z.coerce.number().int().min(1024).default(8 * 1024 * 1024),
    /** Largest `attributes` object of one record, as JSON. */
    RECORD_ATTRIBUTES_MAX_BYTES: z.coerce.number().int().min(256).default(16 * 1024),
  })
  .superRefine(
    (env, ctx) => {
      if (env.NODE_ENV === 'production' && !env.JWT_SECRET) {
        ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is required when NODE_ENV=production' });
      }
      if (env.CLASSIFIER_TIMEOUT_MS >= env.EMAIL_JOB_EXPIRE_SECONDS * 1000) {
        ctx.addIssue({ code: 'custom', path: ['EMAIL_JOB_EXPIRE_SECONDS'], message: 'must be longer than CLASSIFIER_TIMEOUT_MS, or a slow classifier fails every job' });
      }
      if (Math.max(env.EMBED_TIMEOUT_MS, env.CHROMA_TIMEOUT_MS) >= env.INDEX_JOB_EXPIRE_SECONDS * 1000) {
        ctx.addIssue({ code: 'custom', path: ['INDEX_JOB_EXPIRE_SECONDS'], message: 'must be longer than EMBED_TIMEOUT_MS and CHROMA_TIMEOUT_MS' });
      }
      if (env.INSIGHTS_LLM_TIMEOUT_MS >= env.INSIGHTS_JOB_EXPIRE_SECONDS * 1000) {
        ctx.addIssue({ code: 'custom', path: ['INSIGHTS_JOB_EXPIRE_SECONDS'], message: 'must be longer than INSIGHTS_LLM_TIMEOUT_MS' });
      }
      if (env.INSIGHTS_LLM_PROVIDER === 'ollama') {
        if (!env.OLLAMA_HOST) ctx.addIssue({ code: 'custom', path: ['OLLAMA_HOST'], message: 'is required when INSIGHTS_LLM_PROVIDER=ollama' });
        if (!env.PEBBLE_LLM_MODEL) ctx.addIssue({ code: 'custom', path: ['PEBBLE_LLM_MODEL'], message: 'is required when INSIGHTS_LLM_PROVIDER=ollama' });
      }
      if (env.INSIGHTS_LLM_PROVIDER === 'openai') {
        if (!env.OPENAI_API_KEY) ctx.addIssue({ code: 'custom', path: ['OPENAI_API_KEY'], message: 'is required when INSIGHTS_LLM_PROVIDER=openai' });
        if (!env.PEBBLE_LLM_MODEL) ctx.addIssue({ code: 'custom', path: ['PEBBLE_LLM_MODEL'], message: 'is required when INSIGHTS_LLM_PROVIDER=openai' });
      }
      if (env.EMBEDDER_PROVIDER === 'ollama') {
        if (!env.OLLAMA_HOST) ctx.addIssue({ code: 'custom', path: ['OLLAMA_HOST'], message: 'is required when EMBEDDER_PROVIDER=ollama' });
        if (!env.PEBBLE_EMBED_MODEL) ctx.addIssue({ code: 'custom', path: ['PEBBLE_EMBED_MODEL'], message: 'is required when EMBEDDER_PROVIDER=ollama' });
      }
      if (env.EMBEDDER_PROVIDER === 'openai') {
        if (!env.OPENAI_API_KEY) ctx.addIssue({ code: 'custom', path: ['OPENAI_API_KEY'], message: 'is required when EMBEDDER_PROVIDER=openai' });
        if (!env.PEBBLE_EMBED_MODEL) ctx.addIssue({ code: 'custom', path: ['PEBBLE_EMBED_MODEL'], message: 'is required when EMBEDDER_PROVIDER=openai' });
      }
      if (env.CLASSIFIER_PROVIDER === 'ollama') {
        if (!env.OLLAMA_HOST) ctx.addIssue({ code: 'custom', path: ['OLLAMA_HOST'], message: 'is required when CLASSIFIER_PROVIDER=ollama' });
        if (!env.PEBBLE_LLM_MODEL) ctx.addIssue({ code: 'custom', path: ['PEBBLE_LLM_MODEL'], message: 'is required when CLASSIFIER_PROVIDER=ollama' });
      }
      if (env.CLASSIFIER_PROVIDER === 'openai') {
        if (!env.OPENAI_API_KEY) ctx.addIssue({ code: 'custom', path: ['OPENAI_API_KEY'], message: 'is required when CLASSIFIER_PROVIDER=openai' });
        if (!env.PEBBLE_LLM_MODEL) ctx.addIssue({ code: 'custom', path: ['PEBBLE_LLM_MODEL'], message: 'is required when CLASSIFIER_PROVIDER=openai' });
      }
    },
    // Zod skips refinements once any field failed; run anyway so one start-up lists every problem.
    { when: () => true },
  );

export type Config = Readonly<z.infer<typeof schema>>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; every bad variable is reported in one message. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  return Object.freeze(result.data);
}

let loaded: Config | undefined;

/** The process-wide configuration, read from `process.env` on first use (only `main.ts` calls this). */
export function config(): Config {
  loaded ??= parseConfig(process.env);
  return loaded;
}
