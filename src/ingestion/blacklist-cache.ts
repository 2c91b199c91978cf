import type { Database } from '../platform/db/database';
import { PgListener } from '../platform/db/listener';
import { CommonError } from '../platform/errors/pebble-error';
import type { Logger } from '../platform/logging/logger';
import type { BlacklistKind } from './blacklist-entry.entity';

export const BLACKLIST_CHANNEL = 'pebble_blacklist_changed';

/** The blacklist as three sets, so a check is a few hash lookups, not a query. */
export class BlacklistIndex {
  private readonly addresses = new Set<string>();
  private readonly domains = new Set<string>();
  private readonly parents = new Set<string>();

  constructor(entries: readonly { pattern: string; kind: BlacklistKind }[]) {
    for (const { pattern, kind } of entries) {
      if (kind === 'address') this.addresses.add(pattern);
      else if (kind === 'domain') this.domains.add(pattern.slice(1));
      else this.parents.add(pattern.slice(2));
    }
  }

  get size(): number {
    return this.addresses.size + this.domains.size + this.parents.size;
  }

  /**
   * The entry that blocks `address`, or null. Case-insensitive; `bob+tag@x.example` is blocked by
   * `bob@x.example`; `*.example.com` blocks `a.example.com` and `b.a.example.com` but neither
   * `example.com` (block that with `@example.com`) nor `x.example.com.evil.io`.
   */
  match(address: string): string | null {
    const at = address.lastIndexOf('@');
    if (at <= 0) return null;
    const local = address.slice(0, at).toLowerCase();
    const domain = address.slice(at + 1).toLowerCase().replace(/\.$/, '');
    const plus = local.indexOf('+');
    const base = plus > 0 ? local.slice(0, plus) : local;
    if (this.addresses.has(`${local}@${domain}`)) return `${local}@${domain}`;
    if (this.addresses.has(`${base}@${domain}`)) return `${base}@${domain}`;
    if (this.domains.has(domain)) return `@${domain}`;
    for (let dot = domain.indexOf('.'); dot !== -1; dot = domain.indexOf('.', dot + 1)) {
      const parent = domain.slice(dot + 1);
      if (this.parents.has(parent)) return `*.${parent}`;
    }
    return null;
  }
}

/**
 * Every api process keeps the global blacklist in memory. A trigger on `blacklist_entries` sends a
 * `NOTIFY`, and each process reloads; a periodic reload covers a notification lost to a broken connection.
 */
export class BlacklistCache {
  private index: BlacklistIndex | null = null;
  private loading: Promise<void> | null = null;
  private listener: PgListener | null = null;
  private refresh: NodeJS.Timeout | null = null;
  private reloadAgain = false;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
  ) {}

  /** The entry blocking `address`, or null; fails with 503 while the blacklist was never loaded. */
  async match(address: string): Promise<string | null> {
    // Also when a change in this process (BlacklistService → reload) loaded the index first: without the
    // listener, other processes' changes would never arrive.
    this.start();
    if (!this.index) {
      await this.reload();
      if (!this.index) throw new CommonError('DATABASE_UNAVAILABLE', 'The sender blacklist cannot be loaded; retry shortly', { retryAfterSeconds: 5 });
    }
    return this.index.match(address);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.refresh) clearInterval(this.refresh);
    this.refresh = null;
    await this.listener?.stop();
    this.listener = null;
    await this.loading?.catch(() => undefined);
  }

  private start(): void {
    if (this.listener || this.stopped) return;
    this.listener = new PgListener(this.db.url, BLACKLIST_CHANNEL, { notify: () => void this.reload(), connected: () => void this.reload() }, this.logger);
    this.listener.start();
    this.refresh = setInterval(() => void this.reload(), this.ttlSeconds * 1000);
    this.refresh.unref();
  }

  /** Loads the entries; a change announced during a load triggers one more load, never a stale result. */
  reload(): Promise<void> {
    if (this.loading) {
      this.reloadAgain = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        do {
          this.reloadAgain = false;
          const rows = await this.db.query<{ pattern: string; kind: BlacklistKind }>('select pattern, kind from blacklist_entries');
          this.index = new BlacklistIndex(rows);
        } while (this.reloadAgain);
      } catch (error) {
        this.logger.warn({ err: error }, 'blacklist reload failed; keeping the previous entries');
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }
}
