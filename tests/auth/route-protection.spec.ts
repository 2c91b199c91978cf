import { callerFactory, PASSWORD, userFactory, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { bearer, graphql, rest } from './http';

const TOKEN_MISSING = { detail: 'Authentication credentials were not provided.', code: 'TOKEN_MISSING' };
const LOGIN = `mutation($email: String!, $password: String!) { token(email: $email, password: $password) { access refresh } }`;
const CREATE_COMPANY = `mutation($input: CreateCompanyInput!) { createCompany(input: $input) { id name } }`;

const PRIVATE_ROUTES: { method: 'GET' | 'POST'; url: string; body?: object }[] = [
  { method: 'GET', url: '/api/v1/me/' },
  { method: 'GET', url: '/api/v1/me' },
  { method: 'GET', url: '/api/v1/companies/' },
  { method: 'GET', url: '/api/v1/companies/6f1c1f0e-0000-4000-8000-000000000001/' },
  { method: 'POST', url: '/api/v1/companies/', body: { name: 'Acme' } },
  { method: 'POST', url: '/api/v1/token/revoke/', body: { refresh: 'x' } },
  { method: 'GET', url: '/api/v1/nope/' },
  // The router decodes %61 to `a`, so the check must follow the matched route, not the raw URL.
  { method: 'GET', url: '/%61pi/v1/me/' },
  { method: 'GET', url: '/a%70i/v1/companies/' },
];

describe('authentication at the edge', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(() => env.close());

  describe('REST', () => {
    it.each(PRIVATE_ROUTES)('answers 401 {detail, code} to $method $url without a token', async ({ method, url, body }) => {
      const response = await rest(env, method, url, { body });

      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual(TOKEN_MISSING);
      expect(response.headers['www-authenticate']).toBe('Bearer');
    });

    it('serves the same routes to a caller with an access token', async () => {
      const caller = await callerFactory(env, 'admin');

      expect((await rest(env, 'GET', '/api/v1/me/', { token: caller.access })).json()).toMatchObject({ email: caller.user.email });
      expect((await rest(env, 'GET', '/api/v1/companies/', { token: caller.access })).statusCode).toBe(200);
      expect((await rest(env, 'GET', '/api/v1/nope/', { token: caller.access })).statusCode).toBe(404);
    });
  });

  describe('GraphQL over HTTP', () => {
    it.each([
      { operation: 'a query', query: '{ me { email } }' },
      { operation: 'a mutation', query: 'mutation { createCompany(input: { name: "Acme" }) { id } }' },
      { operation: 'introspection', query: '{ __schema { queryType { name } } }' },
    ])('answers HTTP 401 with UNAUTHENTICATED to $operation without a token', async ({ query }) => {
      const response = await graphql(env, query);

      expect(response.statusCode).toBe(401);
      expect(response.json().data).toBeUndefined();
      expect(response.json().errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
    });

    it('answers 401 when a public mutation is sent together with a private one', async () => {
      const response = await graphql(env, `mutation { refreshToken(refresh: "x") { access } logout(refresh: "x") }`);

      expect(response.statusCode).toBe(401);
      expect(response.json().errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });

    it('lets the token and refreshToken mutations through without a token', async () => {
      const caller = await callerFactory(env, 'member');

      const login = await graphql(env, LOGIN, { email: caller.user.email, password: PASSWORD });
      expect(login.statusCode).toBe(200);
      const { access, refresh } = login.json().data.token;
      expect((await graphql(env, '{ me { email } }', {}, bearer(access))).json().data.me.email).toBe(caller.user.email);

      const rotated = await graphql(env, 'mutation($refresh: String!) { refreshToken(refresh: $refresh) { access } }', { refresh });
      expect(rotated.statusCode).toBe(200);
      expect(rotated.json().data.refreshToken.access).toEqual(expect.any(String));
    });

    it('answers a wrong password on the token mutation with UNAUTHENTICATED and no tokens', async () => {
      const caller = await callerFactory(env, 'member');

      const response = await graphql(env, LOGIN, { email: caller.user.email, password: 'wrong' });

      expect(response.json().data).toBeNull();
      expect(response.json().errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('roles', () => {
    let member: Caller;
    let manager: Caller;

    beforeAll(async () => {
      member = await callerFactory(env, 'member');
      const managerUser = await userFactory(env, member.tenant, { role: 'manager' });
      const tokens = await env.services.auth.login({ email: managerUser.email, password: PASSWORD }, 'test');
      manager = { ...member, user: managerUser, ...tokens };
    });

    it('answers FORBIDDEN to a member calling createCompany and creates nothing', async () => {
      const response = await graphql(env, CREATE_COMPANY, { input: { name: 'Acme' } }, bearer(member.access));

      expect(response.json().data).toBeNull();
      expect(response.json().errors[0].extensions.code).toBe('FORBIDDEN');
      expect(await env.services.companies.list(member.auth, {})).toEqual([]);
    });

    it('answers 403 to a member posting to /api/v1/companies/ and creates nothing', async () => {
      const response = await rest(env, 'POST', '/api/v1/companies/', { token: member.access, body: { name: 'Acme' } });

      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({ detail: expect.stringContaining('manager'), code: 'FORBIDDEN' });
      expect(await env.services.companies.list(member.auth, {})).toEqual([]);
    });

    it('lets a manager of the same tenant create companies both ways', async () => {
      const viaGraphql = await graphql(env, CREATE_COMPANY, { input: { name: 'Globex' } }, bearer(manager.access));
      const viaRest = await rest(env, 'POST', '/api/v1/companies/', { token: manager.access, body: { name: 'Initech' } });

      expect(viaGraphql.json().data.createCompany.name).toBe('Globex');
      expect(viaRest.statusCode).toBe(201);
      expect((await env.services.companies.list(member.auth, {})).map((company) => company.name).sort()).toEqual(['Globex', 'Initech']);
    });
  });
});
