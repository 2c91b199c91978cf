import { createHmac, randomUUID } from 'node:crypto';
import type { User } from '../../src/auth/user.entity';
import { TEST_JWT_SECRET, type TestEnv } from '../setup/test-env';

export type Claims = Record<string, unknown>;

const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');

/**
 * The claims Pebble itself puts in an access token for `user`. An override of `undefined` drops the
 * claim, so each forged token differs from a valid one in exactly one way.
 */
export function accessClaims(env: TestEnv, user: User, overrides: Claims = {}): Claims {
  const now = Math.floor(Date.now() / 1000);
  const claims: Claims = {
    user_id: user.id,
    tenant_id: user.tenantId,
    role: user.role,
    typ: 'access',
    sub: user.id,
    jti: randomUUID(),
    iat: now,
    exp: now + 300,
    iss: env.config.JWT_ISSUER,
    aud: env.config.JWT_AUDIENCE,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
}

export interface HmacOptions {
  secret?: string;
  alg?: 'HS256' | 'HS512';
  /** Extra protected-header fields. */
  header?: Claims;
}

/** Signs by hand rather than with jose, so nothing stops a test from using an empty key or odd headers. */
export function signHmac(claims: Claims, { secret = TEST_JWT_SECRET, alg = 'HS256', header = {} }: HmacOptions = {}): string {
  const signingInput = `${encode({ alg, typ: 'JWT', ...header })}.${encode(claims)}`;
  const hash = alg === 'HS256' ? 'sha256' : 'sha512';
  return `${signingInput}.${createHmac(hash, secret).update(signingInput).digest('base64url')}`;
}

export function unsigned(claims: Claims): string {
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}

/** Replaces a token's payload and keeps its original signature. */
export function withPayload(token: string, change: (claims: Claims) => Claims): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Claims;
  return `${header}.${encode(change(claims))}.${signature}`;
}
