import { MikroORM, type EntityClass, type EntityManager, type FilterQuery, type QueryResult } from '@mikro-orm/postgresql';
import { Pool, type PoolClient } from 'pg';
import { z } from 'zod';
import { authContext, type AuthContext } from '../context/auth-context';
import { ormConfig, TENANT_FILTER } from './orm.config';

export type { EntityManager };

/** Runs one `$1, $2 …` parameterised statement inside a transaction: a `pg` client, or see `Database.runnerOf`. */
export interface SqlRunner {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/**
 * The app role's connection pool. Tenant data is only reachable through `withTenant`, which scopes a unit
 * of work twice: the ORM `tenant` filter and the Postgres `app.tenant_id` setting that RLS policies read.
 */
export class Database {
  private constructor(
    readonly orm: MikroORM,
    /** Plain `pg` connections for hot paths that write many rows in one statement (group commit). */
    private readonly pool: Pool,
    readonly url: string,
  ) {}

  static async connect(clientUrl: string, poolSize: number, rawPoolSize = 4): Promise<Database> {
    const orm = await MikroORM.init(ormConfig({ clientUrl, poolSize }));
    const pool = new Pool({ connectionString: clientUrl, max: rawPoolSize, application_name: 'pebble' });
    // An idle pooled connection that dies (Postgres restart) must not crash the process; the next checkout reconnects.
    pool.on('error', () => undefined);
    return new Database(orm, pool, clientUrl);
  }

  /**
   * One transaction on a plain connection. Tenant rows written here are still checked by RLS: the work sets
   * `app.tenant_id` (transaction-local) before touching them, see `setTenant`.
   */
  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A connection lost mid-transaction fails the pending query and also emits 'error' on the client, which
    // the pool only listens to while the client is idle: unheard, that event would crash the process.
    const ignoreLostConnection = () => undefined;
    client.on('error', ignoreLostConnection);
    let broken: Error | undefined;
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.off('error', ignoreLostConnection);
      // A connection whose rollback failed is in an unknown state: destroy it instead of pooling it.
      client.release(broken);
    }
  }

  /**
   * One `$1, $2 …` statement on a plain connection, in a transaction of its own: one round trip. For hot reads
   * through functions of the migrations that are given the caller's tenant and keep to it (search).
   */
  async statement<T>(text: string, values: unknown[] = []): Promise<T[]> {
    const { rows } = await this.pool.query(text, values);
    return rows as T[];
  }

  /** Scopes the rest of the transaction on `client` to one tenant. */
  static async setTenant(client: PoolClient, tenantId: string): Promise<void> {
    await client.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
  }

  /** Runs `work` in one transaction of the caller's tenant; the context is visible to entity hooks too. */
  withTenant<T>(auth: AuthContext, work: (em: EntityManager) => Promise<T>): Promise<T> {
    const em = this.orm.em.fork({ clear: true, useContext: false });
    em.setFilterParams(TENANT_FILTER, { tenantId: auth.tenantId });
    return authContext.run(auth, () =>
      em.transactional(async (tx) => {
        // `true` makes the setting transaction-local, so a pooled connection never carries it to the next user.
        await tx.execute(`select set_config('app.tenant_id', ?, true)`, [auth.tenantId]);
        return work(tx);
      }),
    );
  }

  /** The caller's rows of `entity` with these ids, in the ids' order; ids malformed, gone or of another tenant are left out. */
  async byIds<T extends { id: string }>(auth: AuthContext, entity: EntityClass<T>, ids: readonly string[]): Promise<T[]> {
    const wanted = ids.filter((id) => z.uuid().safeParse(id).success);
    if (wanted.length === 0) return [];
    const rows = await this.withTenant(auth, (em) => em.find(entity, { id: { $in: wanted } } as unknown as FilterQuery<T>));
    const byId = new Map(rows.map((row) => [row.id, row as T]));
    return wanted.flatMap((id) => byId.get(id) ?? []);
  }

  /**
   * The transaction of a `withTenant` unit of work as a `SqlRunner`, so SQL shared with the plain-pool paths
   * (enqueueing jobs) joins it. Placeholders become knex's `?`; the statement must hold no literal `?`.
   */
  static runnerOf(em: EntityManager): SqlRunner {
    return {
      query: async (text, values = []) => {
        const bindings: unknown[] = [];
        const sql = text.replace(/\$(\d+)/g, (_match, index: string) => {
          bindings.push(values[Number(index) - 1]);
          return '?';
        });
        const result = await em.getConnection().execute<QueryResult>(sql, bindings, 'run', em.getTransactionContext());
        return { rows: (result.rows ?? []) as unknown[], rowCount: result.affectedRows };
      },
    };
  }

  /** Tenant-less SQL for global tables and security-definer functions only; always parameterised. */
  query<T extends object = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.orm.em.fork({ useContext: false }).getConnection().execute<T[]>(sql, params);
  }

  async ping(): Promise<void> {
    await this.query('select 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
    await this.orm.close(true);
  }
}
