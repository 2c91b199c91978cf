import type { Database } from '../platform/db/database';

export interface ThrottleSettings {
  maxFailures: number;
  windowSeconds: number;
}

/**
 * Counts failed logins per case-folded email in Postgres, so the limit holds across api replicas and for
 * unknown accounts alike. After `maxFailures` within the window the account is locked for one window.
 */
export class LoginThrottle {
  constructor(
    private readonly db: Database,
    private readonly settings: ThrottleSettings,
  ) {}

  /** Seconds until the account may try again, or 0. */
  async lockedFor(email: string): Promise<number> {
    const rows = await this.db.query<{ seconds: number }>(
      `select ceil(extract(epoch from locked_until - now()))::int as seconds
         from login_throttle where email = ? and locked_until > now()`,
      [email],
    );
    return rows[0]?.seconds ?? 0;
  }

  async recordFailure(email: string): Promise<void> {
    await this.db.query(
      `insert into login_throttle as t (email, failures, window_started_at)
       values (?, 1, now())
       on conflict (email) do update set
         failures = case when t.window_started_at < now() - make_interval(secs => ?) then 1 else t.failures + 1 end,
         window_started_at = case when t.window_started_at < now() - make_interval(secs => ?) then now() else t.window_started_at end,
         locked_until = case
           when t.window_started_at >= now() - make_interval(secs => ?) and t.failures + 1 >= ?
           then now() + make_interval(secs => ?) else t.locked_until end`,
      [email, this.settings.windowSeconds, this.settings.windowSeconds, this.settings.windowSeconds, this.settings.maxFailures, this.settings.windowSeconds],
    );
  }

  async reset(email: string): Promise<void> {
    await this.db.query('delete from login_throttle where email = ?', [email]);
  }
}
