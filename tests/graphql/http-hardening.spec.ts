import { print } from 'graphql';
import { callerFactory, type Caller } from '../factories';
import { CreateCompanyDocument, MeDocument } from '../generated/graphql';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { executeRaw } from './execute';

/** 11 nested fields: __schema > types > fields > type > ofType x6 > name. */
const DEEP_QUERY = '{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }';

describe('GraphQL over HTTP hardening', () => {
  let env: TestEnv;
  let caller: Caller;

  beforeAll(async () => {
    env = await createTestEnv({ GRAPHQL_MAX_DEPTH: '5' });
    caller = await callerFactory(env, 'admin');
  });
  afterAll(() => env.close());

  describe('depth limit (GRAPHQL_MAX_DEPTH)', () => {
    it('rejects an authenticated query nested deeper than the limit, naming the depth', async () => {
      const response = await executeRaw(env.api, DEEP_QUERY, caller.access);
      expect(response.status).toBe(400);
      expect(response.data).toBeUndefined();
      expect(response.errors).toEqual([
        expect.objectContaining({
          message: 'The operation is nested 11 levels deep; the maximum depth is 5.',
          extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }),
        }),
      ]);
    });

    it('counts fields reached through fragments', async () => {
      const query = `query Deep { __schema { ...Types } }
        fragment Types on __Schema { types { fields { type { ...Chain } } } }
        fragment Chain on __Type { ofType { ofType { name } } }`;
      const response = await executeRaw(env.api, query, caller.access);
      expect(response.status).toBe(400);
      expect(response.errors?.[0].message).toBe('Operation "Deep" is nested 7 levels deep; the maximum depth is 5.');
    });

    it('accepts a query at exactly the limit', async () => {
      const response = await executeRaw(env.api, '{ __schema { types { fields { type { name } } } } }', caller.access);
      expect(response.errors).toBeUndefined();
      expect(response.status).toBe(200);
    });

    it('answers 400, not 500, for unknown and cyclic fragments, even without a token', async () => {
      const unknown = await executeRaw(env.api, '{ ...Missing }');
      const cyclic = await executeRaw(env.api, 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }');
      expect([unknown.status, cyclic.status]).toEqual([400, 400]);
      expect(unknown.errors?.[0]).toMatchObject({ message: 'Unknown fragment "Missing".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
      expect(cyclic.errors?.[0]).toMatchObject({ message: expect.stringContaining('Cannot spread fragment "A" within itself'), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    });
  });

  describe('CSRF prevention', () => {
    it('refuses a GET without a preflight header, and accepts it with one', async () => {
      const url = `/graphql?query=${encodeURIComponent(print(MeDocument))}`;
      const authorization = `Bearer ${caller.access}`;
      const simple = await env.api.app.inject({ method: 'GET', url, headers: { authorization } });
      expect(simple.statusCode).toBe(400);
      expect(simple.json().errors[0].message).toMatch(/Cross-Site Request Forgery/);

      const preflighted = await env.api.app.inject({ method: 'GET', url, headers: { authorization, 'apollo-require-preflight': 'true' } });
      expect(preflighted.statusCode).toBe(200);
      expect(preflighted.json().data.me.id).toBe(caller.user.id);
    });

    it('refuses a text/plain POST and does not run its mutation', async () => {
      const response = await env.api.app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { authorization: `Bearer ${caller.access}`, 'content-type': 'text/plain' },
        payload: JSON.stringify({ query: print(CreateCompanyDocument), variables: { input: { name: 'Forged by a form' } } }),
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors[0].message).toMatch(/Cross-Site Request Forgery/);
      const companies = await env.services.companies.list(caller.auth, {});
      expect(companies.map((c) => c.name)).not.toContain('Forged by a form');
    });
  });
});
