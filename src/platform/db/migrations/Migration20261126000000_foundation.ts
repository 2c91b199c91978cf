import { Migration } from '@mikro-orm/migrations';
import { tenantIsolationSql } from '../rls';

/** The Context Layer every tenant table starts with (kept literal here: a migration must never change). */
const CONTEXT_COLUMNS = `
        id uuid primary key,
        tenant_id uuid not null references tenants (id) on delete cascade,
        source_system text not null,
        correlation_id text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()`;

export class Migration20261126000000_foundation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table tenants (
        id uuid primary key,
        slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
        name text not null check (length(name) between 1 and 200),
        created_at timestamptz not null default now()
      );

      create table users (
        ${CONTEXT_COLUMNS},
        email text not null unique check (email = lower(email)),
        password_hash text not null,
        role text not null check (role in ('admin', 'manager', 'member', 'integration')),
        active boolean not null default true,
        last_login_at timestamptz null
      );
      create index users_tenant_id_index on users (tenant_id);

      create table refresh_tokens (
        ${CONTEXT_COLUMNS},
        family_id uuid not null,
        user_id uuid not null references users (id) on delete cascade,
        expires_at timestamptz not null,
        revoked_at timestamptz null,
        revoked_reason text null,
        replaced_by uuid null
      );
      create index refresh_tokens_family_id_index on refresh_tokens (family_id);

      create table companies (
        ${CONTEXT_COLUMNS},
        name text not null,
        domain text null,
        external_id text null,
        attributes jsonb not null default '{}'
      );
      create index companies_tenant_id_domain_index on companies (tenant_id, domain);

      create table blacklist_entries (
        id uuid primary key,
        pattern text not null unique check (pattern = lower(pattern)),
        kind text not null check (kind in ('address', 'domain', 'subdomain')),
        created_at timestamptz not null default now()
      );

      -- Failed logins per account (case-folded email, known or not), so throttling holds across api replicas.
      create table login_throttle (
        email text primary key,
        failures integer not null,
        window_started_at timestamptz not null,
        locked_until timestamptz null
      );
    `);

    for (const table of ['users', 'refresh_tokens', 'companies']) this.addSql(tenantIsolationSql(table));

    // Login is the one read that happens before the tenant is known. The app role cannot read users
    // across tenants; this function, owned by the migration owner, returns exactly one account by email.
    this.addSql(`
      create function auth_find_user(p_email text)
      returns table (id uuid, tenant_id uuid, password_hash text, role text, active boolean)
      language sql stable security definer set search_path = public, pg_temp
      as $$ select u.id, u.tenant_id, u.password_hash, u.role, u.active from users u where u.email = lower(p_email) $$;
      revoke all on function auth_find_user(text) from public;
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop function if exists auth_find_user(text);
      drop table if exists login_throttle, blacklist_entries, companies, refresh_tokens, users, tenants cascade;
    `);
  }
}
