import { AsyncLocalStorage } from 'node:async_hooks';

export const ROLES = ['admin', 'manager', 'member', 'integration'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who is acting, taken only from a verified token (requests) or a job payload written by Pebble itself.
 * Every service method takes it first; the database layer reads it to scope the unit of work.
 */
export interface AuthContext {
  readonly tenantId: string;
  readonly userId: string | null;
  readonly role: Role | 'system';
  readonly correlationId: string;
  /** Where the data written in this unit of work came from (`api`, `email-listener`, `salesforce`, ...). */
  readonly sourceSystem: string;
}

const storage = new AsyncLocalStorage<AuthContext>();

export const authContext = {
  run<T>(auth: AuthContext, fn: () => T): T {
    return storage.run(auth, fn);
  },
  current(): AuthContext | undefined {
    return storage.getStore();
  },
  /** Fails closed: code that needs a tenant never runs unscoped. */
  require(): AuthContext {
    const auth = storage.getStore();
    if (!auth) throw new MissingTenantContextError();
    return auth;
  },
};

export class MissingTenantContextError extends Error {
  constructor() {
    super('No tenant in context: refusing to touch tenant data unscoped');
    this.name = 'MissingTenantContextError';
  }
}
