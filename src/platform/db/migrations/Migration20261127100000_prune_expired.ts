import { Migration } from '@mikro-orm/migrations';

/** The function this migration creates (and its grant); the next version's `down()` creates it again. */
export const PRUNE_EXPIRED_FUNCTION = `
      create function prune_expired(p_idempotency_seconds integer, p_refresh_grace_seconds integer, p_login_window_seconds integer, p_chunk integer)
      returns table (deleted_ingestion_keys bigint, deleted_refresh_tokens bigint, deleted_login_throttle bigint)
      language plpgsql volatile security definer set search_path = public, pg_temp
      as $$
      begin
        -- A negative window would reach into rows still inside it; NULL would silently delete nothing.
        if p_idempotency_seconds is null or p_refresh_grace_seconds is null or p_login_window_seconds is null or p_chunk is null
           or least(p_idempotency_seconds, p_refresh_grace_seconds, p_login_window_seconds) < 0 or p_chunk < 1 then
          raise exception 'prune_expired: windows must be 0 or more seconds and the chunk at least 1 row' using errcode = '22023';
        end if;
        -- Under an owner that RLS restricts, every tenant table would look empty and nothing would ever be pruned.
        if not exists (select from pg_roles where rolname = current_user and (rolsuper or rolbypassrls)) then
          raise exception 'prune_expired: its owner % must be a superuser or have BYPASSRLS', current_user using errcode = '42501';
        end if;

        -- A key older than the window is taken over by the next request using it (email-batch-writer.ts): it answers nothing.
        delete from ingestion_keys where id = any(array(
          select k.id from ingestion_keys k
           where k.created_at < now() - make_interval(secs => p_idempotency_seconds)
           limit p_chunk for update skip locked));
        get diagnostics deleted_ingestion_keys = row_count;

        -- Revoked or not: a token past its exp fails JWT verification before its row is read, so reuse detection
        -- never reaches it. Revoked tokens still inside their exp stay: presenting one revokes its family.
        delete from refresh_tokens where id = any(array(
          select t.id from refresh_tokens t
           where t.expires_at < now() - make_interval(secs => p_refresh_grace_seconds)
           limit p_chunk for update skip locked));
        get diagnostics deleted_refresh_tokens = row_count;

        -- Exactly the rows login-throttle.ts would start afresh at the next attempt: window over, no lock running.
        delete from login_throttle where email = any(array(
          select l.email from login_throttle l
           where l.window_started_at < now() - make_interval(secs => p_login_window_seconds)
             and (l.locked_until is null or l.locked_until <= now())
           limit p_chunk for update skip locked));
        get diagnostics deleted_login_throttle = row_count;

        return next;
      end
      $$;
      revoke all on function prune_expired(integer, integer, integer, integer) from public;
    `;

/**
 * `prune_expired`: the daily clean-up of rows whose window has passed, for every tenant at once. The worker
 * runs as `pebble_app` under row-level security, which sees one tenant per transaction; this function runs as
 * the owner, which RLS does not restrict (OPERATIONS.md: superuser or BYPASSRLS, as login already needs).
 *
 * Each call deletes at most `p_chunk` rows per table and the caller repeats it until a call comes back short:
 * a security-definer function cannot commit, so only separate calls keep each transaction, its row locks and
 * its WAL burst small when a backlog of months is pruned the first time. `skip locked` leaves a row that a
 * request is writing at that moment (an expired key being taken over, a family being revoked) to the next run
 * instead of waiting for it or deadlocking with it.
 */
export class Migration20261127100000_prune_expired extends Migration {
  override async up(): Promise<void> {
    this.addSql(PRUNE_EXPIRED_FUNCTION);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists prune_expired(integer, integer, integer, integer);');
  }
}
