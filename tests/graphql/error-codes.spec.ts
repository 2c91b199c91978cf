import { randomUUID } from 'node:crypto';
import { callerFactory, PASSWORD, type Caller } from '../factories';
import { CompaniesDocument, CompanyDocument, CreateCompanyDocument, LogoutDocument, MeDocument, RefreshTokenDocument, TokenDocument } from '../generated/graphql';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { execute } from './execute';

describe('GraphQL error codes (extensions.code)', () => {
  let env: TestEnv;
  let admin: Caller;
  let member: Caller;

  beforeAll(async () => {
    env = await createTestEnv();
    admin = await callerFactory(env, 'admin');
    member = await callerFactory(env, 'member', admin.tenant);
  });
  afterAll(() => env.close());

  it('answers NOT_FOUND for a company id that does not exist', async () => {
    const id = randomUUID();
    const result = await execute(env.api, CompanyDocument, { id }, admin.access);
    expect(result.data).toBeNull();
    expect(result.errors).toEqual([
      expect.objectContaining({ message: `Company ${id} not found`, path: ['company'], extensions: { code: 'NOT_FOUND', reason: 'NOT_FOUND' } }),
    ]);
  });

  it('answers BAD_USER_INPUT naming each bad field in extensions.fields', async () => {
    const result = await execute(env.api, CreateCompanyDocument, { input: { name: '  ', domain: 'not a domain' } }, admin.access);
    expect(result.data).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'BAD_USER_INPUT',
      fields: [
        { field: 'name', message: expect.any(String) },
        { field: 'domain', message: 'must be a domain name such as acme.example' },
      ],
    });
    expect(result.errors?.[0].message).toMatch(/name .*; domain must be a domain name/);
    expect(await env.services.companies.list(admin.auth, {})).toEqual([]);
  });

  it('answers BAD_USER_INPUT naming domain for a free-mail provider\'s domain, which identifies no company', async () => {
    const result = await execute(env.api, CreateCompanyDocument, { input: { name: 'Ann Baker Consulting', domain: 'GMail.com' } }, admin.access);
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'domain', message: expect.stringContaining('free-mail') }] });
    expect(await env.services.companies.list(admin.auth, {})).toEqual([]);
  });

  it('answers BAD_USER_INPUT, not an internal error, for a NUL character Postgres cannot store', async () => {
    const result = await execute(env.api, CreateCompanyDocument, { input: { name: 'Acme\u0000', attributes: { note: 'ok', 'tag\u0000': 1 } } }, admin.access);
    expect(result.errors?.[0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'BAD_USER_INPUT',
      fields: [
        { field: 'name', message: 'must not contain NUL characters' },
        { field: 'attributes', message: 'must not contain NUL characters in keys' },
      ],
    });
  });

  it('answers BAD_USER_INPUT for a page size out of range', async () => {
    const result = await execute(env.api, CompaniesDocument, { first: 101 }, admin.access);
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'first' }] });
  });

  it('answers UNAUTHENTICATED with HTTP 401 without a token or with a bad one', async () => {
    const missing = await execute(env.api, MeDocument, {});
    const forged = await execute(env.api, MeDocument, {}, `${admin.access.slice(0, -4)}AAAA`);
    for (const result of [missing, forged]) {
      expect(result.status).toBe(401);
      expect(result.headers['www-authenticate']).toBe('Bearer');
      expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(result.data).toBeUndefined();
    }
  });

  it('answers FORBIDDEN to a member creating a company, and creates nothing', async () => {
    const result = await execute(env.api, CreateCompanyDocument, { input: { name: 'Not allowed' } }, member.access);
    expect(result.data).toBeNull();
    expect(result.errors?.[0]).toMatchObject({ path: ['createCompany'], extensions: { code: 'FORBIDDEN', reason: 'FORBIDDEN' } });
    expect(await env.services.companies.list(admin.auth, {})).toEqual([]);
  });

  it('returns data and no errors for the same operations when they are allowed', async () => {
    const created = await execute(env.api, CreateCompanyDocument, { input: { name: 'Acme', domain: 'ACME.example' } }, admin.access);
    expect(created.errors).toBeUndefined();
    expect(created.data?.createCompany).toMatchObject({ name: 'Acme', domain: 'acme.example', attributes: {} });
    const fetched = await execute(env.api, CompanyDocument, { id: created.data!.createCompany.id }, member.access);
    expect(fetched.data?.company.name).toBe('Acme');
    const me = await execute(env.api, MeDocument, {}, member.access);
    expect(me.data?.me).toMatchObject({ id: member.user.id, role: 'member' });
  });

  it('runs the token operations as public mutations: token, refreshToken, logout', async () => {
    const login = await execute(env.api, TokenDocument, { email: member.user.email, password: PASSWORD });
    expect(login.errors).toBeUndefined();
    const { access, refresh } = login.data!.token;
    const rotated = await execute(env.api, RefreshTokenDocument, { refresh });
    expect(rotated.errors).toBeUndefined();
    const logout = await execute(env.api, LogoutDocument, { refresh: rotated.data!.refreshToken.refresh }, access);
    expect(logout.data).toEqual({ logout: true });
    const wrong = await execute(env.api, TokenDocument, { email: member.user.email, password: 'not the password' });
    expect(wrong.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
