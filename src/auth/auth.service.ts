import { randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { AuthContext, Role } from '../platform/context/auth-context';
import type { Database, EntityManager } from '../platform/db/database';
import { AuthError } from './auth.errors';
import type { LoginThrottle } from './login-throttle';
import { DUMMY_PASSWORD_HASH, verifyPassword } from './password';
import { RefreshToken } from './refresh-token.entity';
import type { RefreshClaims, TokenPair, TokenService, TokenSubject } from './token.service';
import { User } from './user.entity';

export interface Credentials {
  email: string;
  password: string;
}

interface AccountRow {
  id: string;
  tenant_id: string;
  password_hash: string;
  role: Role;
  active: boolean;
}

/** What a refresh decided; revocations commit even when the caller then gets a 401. */
type RefreshOutcome = { ok: true; pair: TokenPair } | { ok: false; error: AuthError };

const WRONG_CREDENTIALS = 'No active account found with the given credentials';

/** The JWT handshake: login, refresh with rotation and reuse detection, logout. */
export class AuthService {
  constructor(
    private readonly db: Database,
    private readonly tokens: TokenService,
    private readonly throttle: LoginThrottle,
  ) {}

  async login({ email, password }: Credentials, correlationId: string): Promise<TokenPair> {
    const account = email.trim().toLowerCase();
    const lockedFor = await this.throttle.attempt(account);
    if (lockedFor > 0) {
      throw new AuthError('TOO_MANY_ATTEMPTS', 'Too many failed logins; try again later', { retryAfterSeconds: lockedFor });
    }
    const [row] = await this.db.query<AccountRow>('select * from auth_find_user(?)', [account]);
    // Always pay for one scrypt, so an unknown email answers in the time a wrong password takes.
    const matches = await verifyPassword(password, row?.password_hash ?? DUMMY_PASSWORD_HASH);
    if (!row || !matches || !row.active) throw new AuthError('INVALID_CREDENTIALS', WRONG_CREDENTIALS);
    await this.throttle.reset(account);
    const subject: TokenSubject = { userId: row.id, tenantId: row.tenant_id, role: row.role };
    return this.db.withTenant(systemAuth(subject, correlationId), async (em) => {
      await em.nativeUpdate(User, { id: row.id }, { lastLoginAt: new Date() });
      const { access, refresh } = await this.issue(em, subject, randomUUID());
      return { access, refresh };
    });
  }

  async refresh(refreshToken: string, correlationId: string): Promise<TokenPair> {
    const claims = await this.tokens.verifyRefresh(refreshToken);
    const outcome = await this.db.withTenant(systemAuth(claims, correlationId), (em) => this.rotate(em, claims));
    if (!outcome.ok) throw outcome.error;
    return outcome.pair;
  }

  /** Revokes the whole family of the given refresh token; only its owner may do so. Idempotent. */
  async logout(auth: AuthContext, refreshToken: string): Promise<boolean> {
    const claims = await this.tokens.verifyRefresh(refreshToken);
    if (claims.userId !== auth.userId || claims.tenantId !== auth.tenantId) {
      throw new AuthError('TOKEN_INVALID', 'Token is invalid or expired');
    }
    await this.db.withTenant(auth, (em) => revokeFamily(em, claims.familyId, 'logout'));
    return true;
  }

  private async rotate(em: EntityManager, claims: RefreshClaims): Promise<RefreshOutcome> {
    // The row lock makes two concurrent refreshes of one token serialise: the second sees it rotated.
    const stored = await em.findOne(RefreshToken, { id: claims.jti }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!stored || stored.userId !== claims.userId || stored.familyId !== claims.familyId) {
      return { ok: false, error: new AuthError('TOKEN_INVALID', 'Token is invalid or expired') };
    }
    if (stored.revokedAt) {
      if (stored.replacedBy) {
        await revokeFamily(em, stored.familyId, 'reuse-detected');
        return { ok: false, error: new AuthError('TOKEN_REUSED', 'Refresh token was already used; the session is revoked') };
      }
      return { ok: false, error: new AuthError('TOKEN_REVOKED', 'Token has been revoked') };
    }
    const user = await em.findOne(User, { id: claims.userId });
    if (!user?.active) {
      await revokeFamily(em, stored.familyId, 'account-inactive');
      return { ok: false, error: new AuthError('ACCOUNT_INACTIVE', WRONG_CREDENTIALS) };
    }
    // Role is re-read here, so a demotion takes effect at the next refresh at the latest.
    const pair = await this.issue(em, { userId: user.id, tenantId: user.tenantId, role: user.role }, stored.familyId);
    stored.revokedAt = new Date();
    stored.revokedReason = 'rotated';
    stored.replacedBy = pair.jti;
    return { ok: true, pair: { access: pair.access, refresh: pair.refresh } };
  }

  private async issue(em: EntityManager, subject: TokenSubject, familyId: string): Promise<TokenPair & { jti: string }> {
    const { access, refresh, refreshToken } = await this.tokens.issue(subject, familyId);
    em.create(RefreshToken, { id: refreshToken.jti, familyId, userId: subject.userId, expiresAt: refreshToken.expiresAt });
    await em.flush();
    return { access, refresh, jti: refreshToken.jti };
  }
}

async function revokeFamily(em: EntityManager, familyId: string, reason: string): Promise<void> {
  await em.nativeUpdate(RefreshToken, { familyId, revokedAt: null }, { revokedAt: new Date(), revokedReason: reason });
}

/** The context of a token operation: acting as the token's user before any access token exists. */
function systemAuth(subject: TokenSubject, correlationId: string): AuthContext {
  return { tenantId: subject.tenantId, userId: subject.userId, role: subject.role, correlationId, sourceSystem: 'api' };
}
