import { Migration } from '@mikro-orm/migrations';
import { PRUNE_EXPIRED_FUNCTION } from './Migration20261127100000_prune_expired';

/**
 * `thread_references` keeps every Message-ID a carded email names that no email of the tenant had yet, so an
 * original processed after its reply joins the reply's card. Originals that never arrive (sent from a mailbox
 * Pebble does not read) left their rows forever, up to 101 per email. `prune_expired` now also deletes the rows
 * older than `p_thread_reference_seconds` (THREAD_REFERENCE_RETENTION_DAYS): an original that arrives later
 * than that starts a card of its own, as it did before out-of-order threading existed.
 */
export class Migration20261127160000_prune_thread_references extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop function prune_expired(integer, integer, integer, integer);');
    this.addSql(`
      create function prune_expired(p_idempotency_seconds integer, p_refresh_grace_seconds integer, p_login_window_seconds integer,
        p_thread_reference_seconds integer, p_chunk integer)
      returns table (deleted_ingestion_keys bigint, deleted_refresh_tokens bigint, deleted_login_throttle bigint, deleted_thread_references bigint)
      language plpgsql volatile security definer set search_path = public, pg_temp
      as $$
      begin
        -- A negative window would reach into rows still inside it; NULL would silently delete nothing.
        if p_idempotency_seconds is null or p_refresh_grace_seconds is null or p_login_window_seconds is null
           or p_thread_reference_seconds is null or p_chunk is null
           or least(p_idempotency_seconds, p_refresh_grace_seconds, p_login_window_seconds, p_thread_reference_seconds) < 0 or p_chunk < 1 then
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

        -- References whose original has not arrived within the window: it would now start a card of its own.
        delete from thread_references where id = any(array(
          select r.id from thread_references r
           where r.created_at < now() - make_interval(secs => p_thread_reference_seconds)
           limit p_chunk for update skip locked));
        get diagnostics deleted_thread_references = row_count;

        return next;
      end
      $$;
      revoke all on function prune_expired(integer, integer, integer, integer, integer) from public;
    `);
  }

  override async down(): Promise<void> {
    this.addSql('drop function prune_expired(integer, integer, integer, integer, integer);');
    this.addSql(PRUNE_EXPIRED_FUNCTION);
  }
}
