import { randomUUID, webcrypto } from 'node:crypto';
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

/** Verified access tokens remembered per process; beyond this many, the oldest are forgotten first. */
const VERIFIED_CACHE_SIZE = 10_000;

/** Signs and verifies Pebble's JWTs. The HMAC key is imported once; every verification option is explicit. */
export class TokenService {
  // A WebCrypto key: jose converts anything else (a KeyObject, raw bytes) into one on every call.
  private readonly key: Promise<webcrypto.CryptoKey>;
  private readonly verified = new Map<string, AccessClaims>();

  constructor(private readonly settings: TokenSettings) {
    this.key = webcrypto.subtle.importKey('raw', Buffer.from(settings.secret, 'utf8'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
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

  /**
   * Clients send the same access token with every request until it expires, so a token that verified once
   * is remembered (only successes, and only until its `exp`): the signature check then costs a map lookup.
   */
  async verifyAccess(token: string): Promise<AccessClaims> {
    const known = this.verified.get(token);
    if (known && known.exp * 1000 > Date.now()) return known;
    if (known) this.verified.delete(token);
    const claims = await this.verify(token, 'access');
    const access: AccessClaims = { userId: claims.user_id, tenantId: claims.tenant_id, role: claims.role, jti: claims.jti, exp: claims.exp };
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, access);
    return access;
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

  private async sign(subject: TokenSubject, typ: TokenType, jti: string, iat: number, exp: number, extra: JWTPayload): Promise<string> {
    return new SignJWT({ user_id: subject.userId, tenant_id: subject.tenantId, role: subject.role, typ, ...extra })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(subject.userId)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .sign(await this.key);
  }

  private async verify(token: string, typ: TokenType): Promise<z.infer<typeof claimsSchema>> {
    const invalid = () => new AuthError('TOKEN_INVALID', 'Token is invalid or expired');
    try {
      const header = decodeProtectedHeader(token);
      if (FORBIDDEN_HEADERS.some((name) => name in header)) throw invalid();
      const { payload } = await jwtVerify(token, await this.key, {
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
