import { randomBytes } from 'node:crypto';
import { hashPassword } from '../auth/password';
import { User } from '../auth/user.entity';
import { Database } from '../platform/db/database';
import type { Logger } from '../platform/logging/logger';
import { TenantService } from './tenant.service';
import { Tenant } from './tenant.entity';

export const DEMO_TENANT = 'demo';
export const DEMO_ADMIN = 'admin@demo.local';

/**
 * Idempotently ensures the `demo` tenant and its admin. A password from PEBBLE_DEMO_PASSWORD is applied on
 * every start; otherwise a random one is generated and printed once, when the admin is created.
 */
export async function seedDemo(ownerUrl: string, password: string | undefined, logger: Logger): Promise<void> {
  const db = await Database.connect(ownerUrl, 1);
  try {
    const tenants = new TenantService(db);
    const em = db.orm.em.fork({ useContext: false });
    const tenant = (await em.findOne(Tenant, { slug: DEMO_TENANT })) ?? (await tenants.createTenant({ slug: DEMO_TENANT, name: 'Demo' }));
    const auth = TenantService.operatorAuth(tenant, 'seed');
    const existing = await db.withTenant(auth, (tx) => tx.findOne(User, { email: DEMO_ADMIN }));
    if (!existing) {
      const chosen = password ?? randomBytes(12).toString('base64url');
      await tenants.createUser(auth, { email: DEMO_ADMIN, password: chosen, role: 'admin' });
      if (password) logger.info({ email: DEMO_ADMIN }, 'created demo admin with PEBBLE_DEMO_PASSWORD');
      else process.stdout.write(`\n  Demo admin created: ${DEMO_ADMIN} / ${chosen}\n  (shown once; set PEBBLE_DEMO_PASSWORD to choose it)\n\n`);
    } else if (password) {
      const passwordHash = await hashPassword(password);
      await db.withTenant(auth, (tx) => tx.nativeUpdate(User, { id: existing.id }, { passwordHash }));
      logger.info({ email: DEMO_ADMIN }, 'demo admin password set from PEBBLE_DEMO_PASSWORD');
    } else {
      logger.info({ email: DEMO_ADMIN }, 'demo admin exists (password was printed when it was created; set PEBBLE_DEMO_PASSWORD to reset it)');
    }
  } finally {
    await db.close();
  }
}
