import { IDEMPOTENCY_WINDOW_SECONDS } from '../ingestion/email-batch-writer';
import type { Database } from '../platform/db/database';

/** Rows deleted per table by one prune. */
export type PrunedRows = Record<'ingestion_keys' | 'refresh_tokens' | 'login_throttle' | 'thread_references', number>;

export interface RetentionSettings {
  /** LOGIN_WINDOW_SECONDS: the api's throttle must count with the same window, or rows it still counts go. */
  loginWindowSeconds: number;
  /** THREAD_REFERENCE_RETENTION_DAYS: how long a reference waits for its original to arrive. */
  threadReferenceDays: number;
  /** Rows per table per call of `prune_expired`, each call its own transaction. */
  chunkRows?: number;
}

/**
 * A refresh token's `exp` is checked by the api's clock and `expires_at` compared with Postgres' clock; an
 * hour past expiry, no api whose clock is behind could still accept the token and look its row up.
 */
export const REFRESH_TOKEN_GRACE_SECONDS = 60 * 60;

const DEFAULT_CHUNK_ROWS = 10_000;
const DAY_SECONDS = 24 * 60 * 60;

interface ChunkRow {
  deleted_ingestion_keys: string | number;
  deleted_refresh_tokens: string | number;
  deleted_login_throttle: string | number;
  deleted_thread_references: string | number;
}

/**
 * Deletes what can no longer matter, for every tenant: Idempotency-Keys past their window, refresh tokens past
 * their expiry, login-throttle rows whose window and lock are over, references to originals that have not
 * arrived within THREAD_REFERENCE_RETENTION_DAYS. Safe to run twice or concurrently.
 */
export class RetentionService {
  private readonly chunkRows: number;

  constructor(
    private readonly db: Database,
    private readonly settings: RetentionSettings,
  ) {
    this.chunkRows = settings.chunkRows ?? DEFAULT_CHUNK_ROWS;
  }

  async pruneExpired(): Promise<PrunedRows> {
    const total: PrunedRows = { ingestion_keys: 0, refresh_tokens: 0, login_throttle: 0, thread_references: 0 };
    for (;;) {
      const [chunk] = await this.db.query<ChunkRow>('select * from prune_expired(?, ?, ?, ?, ?)', [
        IDEMPOTENCY_WINDOW_SECONDS,
        REFRESH_TOKEN_GRACE_SECONDS,
        this.settings.loginWindowSeconds,
        this.settings.threadReferenceDays * DAY_SECONDS,
        this.chunkRows,
      ]);
      const deleted: PrunedRows = {
        ingestion_keys: Number(chunk.deleted_ingestion_keys),
        refresh_tokens: Number(chunk.deleted_refresh_tokens),
        login_throttle: Number(chunk.deleted_login_throttle),
        thread_references: Number(chunk.deleted_thread_references),
      };
      for (const table of Object.keys(total) as (keyof PrunedRows)[]) total[table] += deleted[table];
      // A short chunk in every table means nothing expired is left, except rows locked right now (next run's).
      if (Math.max(...Object.values(deleted)) < this.chunkRows) return total;
    }
  }
}
