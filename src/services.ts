import { Registry } from 'prom-client';
import { AuthService } from './auth/auth.service';
import { LoginThrottle } from './auth/login-throttle';
import { TokenService } from './auth/token.service';
import { UserService } from './auth/user.service';
import { CardService } from './cards/card.service';
import { createClassifier } from './classification/create-classifier';
import { CompanyService } from './companies/company.service';
import { BlacklistCache } from './ingestion/blacklist-cache';
import { BlacklistService } from './ingestion/blacklist.service';
import { IngestionService } from './ingestion/ingestion.service';
import { TenantRateLimiter } from './ingestion/rate-limiter';
import { DeadLetterService } from './ops/dead-letter.service';
import { EmailPipeline } from './pipeline/email-pipeline.service';
import type { Config } from './platform/config/config';
import type { Database } from './platform/db/database';
import { createLogger, type Logger } from './platform/logging/logger';
import { JobWriter } from './platform/queue/job-writer';

/** Every feature service, built once per process and shared by GraphQL, REST and jobs. */
export interface Services {
  readonly tokens: TokenService;
  readonly auth: AuthService;
  readonly users: UserService;
  readonly companies: CompanyService;
  readonly blacklist: BlacklistService;
  readonly ingestion: IngestionService;
  readonly cards: CardService;
  readonly pipeline: EmailPipeline;
  readonly deadLetters: DeadLetterService;
  /** prom-client registry served at `/metrics`; services register their own counters in it. */
  readonly metrics: Registry;
  /** Finishes accepted work and releases listeners; call before closing the database. */
  close(): Promise<void>;
}

export function createServices(config: Config, jwtSecret: string, db: Database, logger: Logger = createLogger('silent')): Services {
  const tokens = new TokenService({
    secret: jwtSecret,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTtlSeconds: config.JWT_ACCESS_TTL_SECONDS,
    refreshTtlSeconds: config.JWT_REFRESH_TTL_SECONDS,
  });
  const throttle = new LoginThrottle(db, { maxFailures: config.LOGIN_MAX_FAILURES, windowSeconds: config.LOGIN_WINDOW_SECONDS });
  const metrics = new Registry();
  const blacklistCache = new BlacklistCache(db, config.BLACKLIST_CACHE_TTL_SECONDS, logger);
  const jobs = new JobWriter();
  const classifier = createClassifier({
    provider: config.CLASSIFIER_PROVIDER,
    ollamaHost: config.OLLAMA_HOST,
    openaiBaseUrl: config.OPENAI_BASE_URL,
    openaiApiKey: config.OPENAI_API_KEY,
    model: config.PEBBLE_LLM_MODEL,
    timeoutMs: config.CLASSIFIER_TIMEOUT_MS,
  });
  const ingestion = new IngestionService(
    {
      db,
      jobs,
      blacklist: blacklistCache,
      rateLimiter: new TenantRateLimiter(config.INGEST_RATE_LIMIT_PER_SECOND, config.INGEST_RATE_LIMIT_BURST ?? Math.max(1, Math.ceil(config.INGEST_RATE_LIMIT_PER_SECOND))),
      metrics,
    },
    {
      limits: { subjectMaxChars: config.INGEST_SUBJECT_MAX_CHARS, textMaxChars: config.INGEST_TEXT_MAX_CHARS },
      batch: {
        maxItems: config.INGEST_BATCH_MAX_ITEMS,
        maxWaitMs: config.INGEST_BATCH_MAX_WAIT_MS,
        concurrency: config.INGEST_BATCH_CONCURRENCY,
        maxPending: config.INGEST_BATCH_MAX_ITEMS * 32,
      },
    },
  );
  return {
    tokens,
    auth: new AuthService(db, tokens, throttle),
    users: new UserService(db),
    companies: new CompanyService(db),
    blacklist: new BlacklistService(db, () => blacklistCache.reload()),
    ingestion,
    cards: new CardService(db),
    pipeline: new EmailPipeline(db, classifier, logger),
    deadLetters: new DeadLetterService(db, jobs, logger),
    metrics,
    async close() {
      await ingestion.drain();
      await blacklistCache.stop();
    },
  };
}
