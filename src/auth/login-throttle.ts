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

  /**
   * Counts one attempt as a failure before the password is checked (`reset` forgives it on success), so a
   * burst of concurrent guesses cannot all pass the lock check before the first failure is recorded.
   * Answers the seconds the account stays locked, or 0 when the attempt was counted and may proceed.
   */
  async attempt(email: string): Promise<number> {
    const window = this.settings.windowSeconds;
    const counted = await this.db.query(
      `insert into login_throttle as t (email, failures, window_started_at)
       values (?, 1, now())
       on conflict (email) do update set
         failures = case when t.window_started_at < now() - make_interval(secs => ?) then 1 else t.failures + 1 end,
         window_started_at = case when t.window_started_at < now() - make_interval(secs => ?) then now() else t.window_started_at end,
         locked_until = case
           when t.window_started_at >= now() - make_interval(secs => ?) and t.failures + 1 >= ?
           then now() + make_interval(secs => ?) else t.locked_until end
       where t.locked_until is null or t.locked_until <= now()
       returning email`,
      [email, window, window, window, this.settings.maxFailures, window],
    );
    // Not counted means locked; at least 1, in case the lock ran out between the two statements.
    return counted.length > 0 ? 0 : Math.max(1, await this.lockedFor(email));
  }

  async reset(email: string): Promise<void> {
    await this.db.query('delete from login_throttle where email = ?', [email]);
  }

  /** Seconds until the account may try again, or 0. */
  private async lockedFor(email: string): Promise<number> {
    const rows = await this.db.query<{ seconds: number }>(
      `select ceil(extract(epoch from locked_until - now()))::int as seconds
         from login_throttle where email = ? and locked_until > now()`,
      [email],
    );
    return rows[0]?.seconds ?? 0;
  }
}
