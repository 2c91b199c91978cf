import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { hashPassword } from '../auth/password';
import { User } from '../auth/user.entity';
import { ROLES, type AuthContext } from '../platform/context/auth-context';
import type { Database } from '../platform/db/database';
import { CommonError } from '../platform/errors/pebble-error';
import { parseInput } from '../platform/validation/parse-input';
import { Tenant } from './tenant.entity';

export const tenantInput = z.object({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be 2-63 lowercase letters, digits or dashes'),
  name: z.string().trim().min(1).max(200),
});

export const userInput = z.object({
  email: z.string().trim().toLowerCase().email().max(320),
  password: z.string().min(8, 'must be at least 8 characters').max(1024),
  role: z.enum(ROLES),
});

export type TenantInput = z.input<typeof tenantInput>;
export type UserInput = z.input<typeof userInput>;

/** Tenants and their users. Creating tenants needs the owner connection: the app role may only read them. */
export class TenantService {
  constructor(private readonly db: Database) {}

  async createTenant(input: TenantInput): Promise<Tenant> {
    const { slug, name } = parseInput(tenantInput, input);
    const em = this.db.orm.em.fork({ useContext: false });
    if (await em.findOne(Tenant, { slug })) throw new CommonError('BAD_USER_INPUT', `Tenant ${slug} already exists`, { fields: [{ field: 'slug', message: 'is taken' }] });
    const tenant = em.create(Tenant, { slug, name });
    await em.flush();
    return tenant;
  }

  async findBySlug(slug: string): Promise<Tenant> {
    const tenant = await this.db.orm.em.fork({ useContext: false }).findOne(Tenant, { slug });
    if (!tenant) throw new CommonError('NOT_FOUND', `Tenant ${slug} not found`);
    return tenant;
  }

  async createUser(auth: AuthContext, input: UserInput): Promise<User> {
    const { email, password, role } = parseInput(userInput, input);
    const passwordHash = await hashPassword(password);
    return this.db.withTenant(auth, async (em) => {
      if ((await em.execute('select 1 from auth_find_user(?)', [email])).length > 0) {
        throw new CommonError('BAD_USER_INPUT', `User ${email} already exists`, { fields: [{ field: 'email', message: 'is taken' }] });
      }
      const user = em.create(User, { email, passwordHash, role, lastLoginAt: null });
      await em.flush();
      return user;
    });
  }

  /** The tenant's administrator context for command-line and seeding work. */
  static operatorAuth(tenant: Tenant, sourceSystem = 'cli'): AuthContext {
    return { tenantId: tenant.id, userId: null, role: 'system', correlationId: `${sourceSystem}-${randomUUID()}`, sourceSystem };
  }
}

