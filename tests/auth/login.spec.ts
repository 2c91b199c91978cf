import { performance } from 'node:perf_hooks';
import { decodeJwt } from 'jose';
import type { User } from '../../src/auth/user.entity';
import type { Tenant } from '../../src/tenancy/tenant.entity';
import { PASSWORD, tenantFactory, userFactory } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { rest } from './http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_FAILURES = 3;

describe('POST /api/v1/token/', () => {
  let env: TestEnv;
  let tenant: Tenant;
  let user: User;

  const login = (body: unknown) => rest(env, 'POST', '/api/v1/token/', { body });

  beforeAll(async () => {
    env = await createTestEnv({ LOGIN_MAX_FAILURES: String(MAX_FAILURES) });
    tenant = await tenantFactory(env);
    user = await userFactory(env, tenant, { role: 'manager' });
  });
  afterAll(() => env.close());

  it('answers 200 with an access and a refresh token whose claims name the user, tenant and role', async () => {
    const before = Math.floor(Date.now() / 1000);
    const response = await login({ email: user.email, password: PASSWORD });

    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json()).sort()).toEqual(['access', 'refresh']);
    const claims = decodeJwt(response.json().access);
    expect(claims).toMatchObject({
      user_id: user.id,
      tenant_id: tenant.id,
      role: 'manager',
      typ: 'access',
      iss: env.config.JWT_ISSUER,
      aud: env.config.JWT_AUDIENCE,
    });
    expect(claims.jti).toMatch(UUID);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.exp! - claims.iat!).toBe(env.config.JWT_ACCESS_TTL_SECONDS);
    expect(decodeJwt(response.json().refresh)).toMatchObject({ user_id: user.id, typ: 'refresh' });
  });

  it('accepts username as an alias of email', async () => {
    const response = await login({ username: user.email, password: PASSWORD });

    expect(response.statusCode).toBe(200);
    expect(decodeJwt(response.json().access).user_id).toBe(user.id);
  });

  it('matches the email case-insensitively and around whitespace', async () => {
    const response = await login({ email: `  ${user.email.toUpperCase()} `, password: PASSWORD });

    expect(response.statusCode).toBe(200);
    expect(decodeJwt(response.json().access).user_id).toBe(user.id);
  });

  it('answers a wrong password and an unknown email with the same 401 body', async () => {
    const wrongPassword = await login({ email: user.email, password: 'not the password' });
    const unknownEmail = await login({ email: 'nobody@nowhere.example', password: PASSWORD });

    expect(wrongPassword.statusCode).toBe(401);
    expect(wrongPassword.json()).toEqual({ detail: 'No active account found with the given credentials', code: 'INVALID_CREDENTIALS' });
    expect(unknownEmail.statusCode).toBe(401);
    expect(unknownEmail.json()).toEqual(wrongPassword.json());
  });

  it('answers an inactive account with the same 401 body, even for the right password', async () => {
    const inactive = await userFactory(env, tenant);
    await env.ownerDb.query('update users set active = false where id = ?', [inactive.id]);

    const response = await login({ email: inactive.email, password: PASSWORD });

    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ detail: 'No active account found with the given credentials', code: 'INVALID_CREDENTIALS' });
  });

  it.each([
    { problem: 'the password is missing', body: { email: 'a@b.example' }, field: 'password' },
    { problem: 'the email is not a string', body: { email: 42, password: PASSWORD }, field: 'email' },
    { problem: 'an unknown field is sent', body: { email: 'a@b.example', password: PASSWORD, admin: true }, field: 'admin' },
    { problem: 'neither email nor username is given', body: { password: PASSWORD }, field: 'email' },
  ])('answers 400 naming the field when $problem', async ({ body, field }) => {
    const response = await login(body);

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'BAD_USER_INPUT', detail: expect.stringContaining(field) });
    expect(response.json().errors).toContainEqual({ field, message: expect.any(String) });
  });

  it(`locks the account with 429 and Retry-After after ${MAX_FAILURES} failures, refusing even the right password`, async () => {
    const target = await userFactory(env, tenant);
    for (let attempt = 1; attempt <= MAX_FAILURES; attempt++) {
      // Alternating case: failures count against the case-folded account, not the spelling.
      const email = attempt % 2 ? target.email.toUpperCase() : target.email;
      expect((await login({ email, password: `guess-${attempt}` })).statusCode).toBe(401);
    }

    const locked = await login({ email: target.email, password: PASSWORD });

    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ code: 'TOO_MANY_ATTEMPTS', detail: expect.any(String) });
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(env.config.LOGIN_WINDOW_SECONDS);
  });

  it('counts concurrent guesses too, so a burst gets no more than the allowed failures', async () => {
    const target = await userFactory(env, tenant);

    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => login({ email: target.email, password: `guess-${i}` })));

    const statuses = burst.map((response) => response.statusCode).sort();
    expect(statuses).toEqual([...Array(MAX_FAILURES).fill(401), ...Array(8 - MAX_FAILURES).fill(429)]);
  });

  it('does not lock an account whose failures are interrupted by a successful login', async () => {
    const target = await userFactory(env, tenant);
    for (let round = 0; round < 2; round++) {
      for (let attempt = 1; attempt < MAX_FAILURES; attempt++) {
        expect((await login({ email: target.email, password: 'wrong' })).statusCode).toBe(401);
      }
      expect((await login({ email: target.email, password: PASSWORD })).statusCode).toBe(200);
    }
  });

  it('takes about as long for an unknown email as for a wrong password', async () => {
    const tries = 5;
    const victims = await Promise.all(Array.from({ length: tries }, () => userFactory(env, tenant)));
    const timed = async (body: unknown) => {
      const started = performance.now();
      const response = await login(body);
      expect(response.statusCode).toBe(401);
      return performance.now() - started;
    };
    const wrongPassword: number[] = [];
    const unknownEmail: number[] = [];
    // Interleaved, so a slow moment of the machine weighs on both sides alike.
    for (const victim of victims) {
      wrongPassword.push(await timed({ email: victim.email, password: 'wrong password' }));
      unknownEmail.push(await timed({ email: `ghost-${victim.id}@nowhere.example`, password: 'wrong password' }));
    }

    // Both verify one scrypt hash (tens of milliseconds); without the dummy hash an unknown email answers in ~1 ms.
    expect(median(wrongPassword)).toBeGreaterThan(5);
    expect(median(unknownEmail)).toBeGreaterThan(0.5 * median(wrongPassword));
  });
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
