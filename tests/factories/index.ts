import { randomUUID } from 'node:crypto';
import type { User } from '../../src/auth/user.entity';
import type { AuthContext, Role } from '../../src/platform/context/auth-context';
import type { Tenant } from '../../src/tenancy/tenant.entity';
import { TenantService } from '../../src/tenancy/tenant.service';
import type { TestEnv } from '../setup/test-env';

export const PASSWORD = 'correct horse battery staple';

export function tenantFactory(env: TestEnv, overrides: Partial<{ slug: string; name: string }> = {}): Promise<Tenant> {
  const slug = overrides.slug ?? `t-${randomUUID().slice(0, 8)}`;
  return new TenantService(env.ownerDb).createTenant({ slug, name: overrides.name ?? `Tenant ${slug}` });
}

export function userFactory(env: TestEnv, tenant: Tenant, overrides: Partial<{ email: string; role: Role; password: string }> = {}): Promise<User> {
  return new TenantService(env.ownerDb).createUser(TenantService.operatorAuth(tenant, 'test'), {
    email: overrides.email ?? `${randomUUID().slice(0, 8)}@${tenant.slug}.example`,
    password: overrides.password ?? PASSWORD,
    role: overrides.role ?? 'member',
  });
}

/** The AuthContext a verified token for this user would produce. */
export function authFor(user: User, role: Role = user.role): AuthContext {
  return { tenantId: user.tenantId, userId: user.id, role, correlationId: `test-${randomUUID()}`, sourceSystem: 'api' };
}

export interface Caller {
  tenant: Tenant;
  user: User;
  auth: AuthContext;
  access: string;
  refresh: string;
}

/** A tenant with one user of the given role, logged in through the real token endpoint logic. */
export async function callerFactory(env: TestEnv, role: Role = 'admin', tenant?: Tenant): Promise<Caller> {
  const owner = tenant ?? (await tenantFactory(env));
  const user = await userFactory(env, owner, { role });
  const { access, refresh } = await env.services.auth.login({ email: user.email, password: PASSWORD }, 'test');
  return { tenant: owner, user, auth: authFor(user), access, refresh };
}
