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
import { InsightSynthesizer } from './insights/insight-synthesizer';
import { InsightService } from './insights/insight.service';
import { createLlmProvider } from './insights/llm/create-llm-provider';
import { DeadLetterService } from './ops/dead-letter.service';
import { RetentionService, type RetentionSettings } from './ops/retention.service';
import { EmailPipeline } from './pipeline/email-pipeline.service';
import type { Config } from './platform/config/config';
import type { ProviderSettings } from './platform/config/provider-settings';
import type { Database } from './platform/db/database';
import { createLogger, type Logger } from './platform/logging/logger';
import { JobWriter } from './platform/queue/job-writer';
import { RecordService } from './records/record.service';
import { ChromaVectorIndex } from './search/chroma.vector-index';
import { createEmbedder } from './search/create-embedder';
import { describeEmbedder } from './search/embedder';
import { IndexQueue } from './search/index-queue';
import { SearchIndexer } from './search/search-indexer';
import { SearchService, type SearchSettings } from './search/search.service';

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
  readonly records: RecordService;
  readonly search: SearchService;
  readonly indexer: SearchIndexer;
  readonly insights: InsightService;
  readonly synthesizer: InsightSynthesizer;
  /** The scheduled pruning of expired keys, tokens, login-throttle rows and thread references (`prune_expired`). */
  readonly retention: RetentionService;
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
  const indexQueue = new IndexQueue(jobs);
  const classifier = createClassifier(providerSettings(config, config.CLASSIFIER_PROVIDER, config.PEBBLE_LLM_MODEL, config.CLASSIFIER_TIMEOUT_MS));
  const embedder = createEmbedder(providerSettings(config, config.EMBEDDER_PROVIDER, config.PEBBLE_EMBED_MODEL, config.EMBED_TIMEOUT_MS));
  const summaries = createLlmProvider(providerSettings(config, config.INSIGHTS_LLM_PROVIDER, config.PEBBLE_LLM_MODEL, config.INSIGHTS_LLM_TIMEOUT_MS));
  const vectors = new ChromaVectorIndex({
    url: chromaUrl(config),
    embedder: describeEmbedder(embedder.identity),
    timeoutMs: config.CHROMA_TIMEOUT_MS,
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
    companies: new CompanyService(db, indexQueue),
    blacklist: new BlacklistService(db, () => blacklistCache.reload()),
    ingestion,
    cards: new CardService(db, indexQueue),
    pipeline: new EmailPipeline(db, classifier, indexQueue, logger),
    deadLetters: new DeadLetterService(db, jobs, indexQueue, logger),
    records: new RecordService(db, indexQueue, { maxPerCall: config.RECORDS_MAX_PER_CALL, attributesMaxBytes: config.RECORD_ATTRIBUTES_MAX_BYTES }),
    search: new SearchService(db, embedder, vectors, searchSettings(config), logger),
    indexer: new SearchIndexer(db, embedder, vectors, logger),
    insights: new InsightService(db, jobs, config.INSIGHTS_PERIOD_DAYS),
    synthesizer: new InsightSynthesizer(db, summaries, jobs, indexQueue, { periodDays: config.INSIGHTS_PERIOD_DAYS }, logger),
    retention: new RetentionService(db, retentionSettings(config)),
    metrics,
    async close() {
      await ingestion.drain();
      await blacklistCache.stop();
    },
  };
}

/** The Ollama/OpenAI settings every provider shares, with one use's provider, model and timeout. */
function providerSettings(config: Config, provider: ProviderSettings['provider'], model: string | undefined, timeoutMs: number): ProviderSettings {
  return { provider, ollamaHost: config.OLLAMA_HOST, openaiBaseUrl: config.OPENAI_BASE_URL, openaiApiKey: config.OPENAI_API_KEY, model, timeoutMs };
}

/** What `prune_expired` keeps, from config; `pebble prune` uses the same. */
export function retentionSettings(config: Config): RetentionSettings {
  return { loginWindowSeconds: config.LOGIN_WINDOW_SECONDS, threadReferenceDays: config.THREAD_REFERENCE_RETENTION_DAYS };
}

/** The search service's settings from the configuration. */
export function searchSettings(config: Config): SearchSettings {
  return {
    maxQueryChars: config.SEARCH_MAX_QUERY_CHARS,
    vectorTimeoutMs: config.SEARCH_VECTOR_TIMEOUT_MS,
    commonWordDocs: config.SEARCH_COMMON_WORD_DOCS,
    rankDocs: config.SEARCH_RANK_DOCS,
  };
}

/** CHROMA_URL, or the local server that `pebble dev` starts on CHROMA_PORT. */
export function chromaUrl(config: Config): string {
  return config.CHROMA_URL ?? `http://127.0.0.1:${config.CHROMA_PORT}`;
}
