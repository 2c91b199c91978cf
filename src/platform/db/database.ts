import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { authContext, type AuthContext } from '../context/auth-context';
import { ormConfig, TENANT_FILTER } from './orm.config';

export type { EntityManager };

/**
 * The app role's connection pool. Tenant data is only reachable through `withTenant`, which scopes a unit
 * of work twice: the ORM `tenant` filter and the Postgres `app.tenant_id` setting that RLS policies read.
 */
export class Database {
  private constructor(readonly orm: MikroORM) {}

  static async connect(clientUrl: string, poolSize: number): Promise<Database> {
    return new Database(await MikroORM.init(ormConfig({ clientUrl, poolSize })));
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

  /** Tenant-less SQL for global tables and security-definer functions only; always parameterised. */
  query<T extends object = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.orm.em.fork({ useContext: false }).getConnection().execute<T[]>(sql, params);
  }

  async ping(): Promise<void> {
    await this.query('select 1');
  }

  async close(): Promise<void> {
    await this.orm.close(true);
  }
}
