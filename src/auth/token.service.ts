import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { z } from 'zod';
import { ROLES, type Role } from '../platform/context/auth-context';
import { AuthError } from './auth.errors';

export type TokenType = 'access' | 'refresh';

export interface TokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

export interface TokenSubject {
  userId: string;
  tenantId: string;
  role: Role;
}

export interface AccessClaims extends TokenSubject {
  jti: string;
  exp: number;
}

export interface RefreshClaims extends TokenSubject {
  jti: string;
  familyId: string;
  exp: number;
}

export interface TokenPair {
  access: string;
  refresh: string;
}

export interface IssuedRefresh {
  jti: string;
  expiresAt: Date;
}

const ALGORITHM = 'HS256';
/** Header fields that would let a token point at its own key or demand unknown processing. */
const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'crit', 'kid'] as const;

const claimsSchema = z.object({
  user_id: z.string().uuid(),
  tenant_id: z.string().uuid(),
  role: z.enum(ROLES),
  typ: z.enum(['access', 'refresh']),
  jti: z.string().uuid(),
  exp: z.number().int(),
  fid: z.string().uuid().optional(),
});

/** Signs and verifies Pebble's JWTs. The HMAC key is imported once; every verification option is explicit. */
export class TokenService {
  private readonly key: KeyObject;

  constructor(private readonly settings: TokenSettings) {
    this.key = createSecretKey(Buffer.from(settings.secret, 'utf8'));
  }

  async issue(subject: TokenSubject, familyId: string): Promise<TokenPair & { refreshToken: IssuedRefresh }> {
    const now = Math.floor(Date.now() / 1000);
    const refreshJti = randomUUID();
    const refreshExp = now + this.settings.refreshTtlSeconds;
    const [access, refresh] = await Promise.all([
      this.sign(subject, 'access', randomUUID(), now, now + this.settings.accessTtlSeconds, {}),
      this.sign(subject, 'refresh', refreshJti, now, refreshExp, { fid: familyId }),
    ]);
    return { access, refresh, refreshToken: { jti: refreshJti, expiresAt: new Date(refreshExp * 1000) } };
  }

  async verifyAccess(token: string): Promise<AccessClaims> {
    const claims = await this.verify(token, 'access');
    return { userId: claims.user_id, tenantId: claims.tenant_id, role: claims.role, jti: claims.jti, exp: claims.exp };
  }

  async verifyRefresh(token: string): Promise<RefreshClaims> {
    const claims = await this.verify(token, 'refresh');
    if (!claims.fid) throw new AuthError('TOKEN_INVALID', 'Token is invalid or expired');
    return {
      userId: claims.user_id,
      tenantId: claims.tenant_id,
      role: claims.role,
      jti: claims.jti,
      familyId: claims.fid,
      exp: claims.exp,
    };
  }

  private sign(subject: TokenSubject, typ: TokenType, jti: string, iat: number, exp: number, extra: JWTPayload): Promise<string> {
    return new SignJWT({ user_id: subject.userId, tenant_id: subject.tenantId, role: subject.role, typ, ...extra })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(subject.userId)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .sign(this.key);
  }

  private async verify(token: string, typ: TokenType): Promise<z.infer<typeof claimsSchema>> {
    const invalid = () => new AuthError('TOKEN_INVALID', 'Token is invalid or expired');
    try {
      const header = decodeProtectedHeader(token);
      if (FORBIDDEN_HEADERS.some((name) => name in header)) throw invalid();
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'user_id', 'tenant_id', 'role', 'typ'],
        typ: 'JWT',
      });
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success || claims.data.typ !== typ) throw invalid();
      return claims.data;
    } catch {
      // Whatever jose or the schema rejected (format, signature, claims, header), the caller learns one thing.
      throw invalid();
    }
  }
}
