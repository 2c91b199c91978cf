import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { ENTITIES, TENANT_ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export interface OrmOptions {
  clientUrl: string;
  poolSize: number;
  debug?: boolean;
}

export const TENANT_FILTER = 'tenant';

export function ormConfig({ clientUrl, poolSize, debug = false }: OrmOptions): Options {
  return defineConfig({
    clientUrl,
    entities: ENTITIES,
    discovery: { warnWhenNoEntities: true },
    filters: {
      // No `tenantId` argument → MikroORM throws before querying: the ORM half of failing closed.
      [TENANT_FILTER]: {
        name: TENANT_FILTER,
        cond: (args: { tenantId: string }) => ({ tenantId: args.tenantId }),
        entity: TENANT_ENTITIES.map((entity) => entity.name),
        default: true,
      },
    },
    pool: { min: 0, max: poolSize },
    forceUtcTimezone: true,
    debug,
    extensions: [Migrator],
    migrations: {
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
  });
}
