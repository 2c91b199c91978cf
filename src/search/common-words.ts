import type { Database } from '../platform/db/database';

/** How long the list is kept: statistics change only when `search_documents` is analysed. */
const REFRESH_MS = 5 * 60_000;

/**
 * The lexemes Postgres' statistics put in more than `docs` search documents (`search_common_words`), kept for
 * a few minutes: reading the statistics cost a search's keyword statement nearly half its time. Concurrent
 * searches that find the list stale share one read.
 */
export class CommonWords {
  private words: string[] = [];
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<string[]> | null = null;

  constructor(
    private readonly db: Database,
    private readonly docs: number,
    private readonly refreshMs = REFRESH_MS,
  ) {}

  get(): Promise<string[]> {
    if (performance.now() - this.readAt < this.refreshMs) return Promise.resolve(this.words);
    this.reading ??= this.db
      .statement<{ words: string[] }>('select search_common_words($1) as words', [this.docs])
      .then(([row]) => {
        this.words = row?.words ?? [];
        this.readAt = performance.now();
        return this.words;
      })
      .finally(() => (this.reading = null));
    return this.reading;
  }
}
