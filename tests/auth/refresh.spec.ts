import { decodeJwt } from 'jose';
import { AuthService } from '../../src/auth/auth.service';
import { callerFactory, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { bearer, graphql, rest } from './http';

const REFRESH = `mutation($refresh: String!) { refreshToken(refresh: $refresh) { access refresh } }`;

describe(AuthService.name, () => {
  let env: TestEnv;

  const refresh = (token: string) => rest(env, 'POST', '/api/v1/token/refresh/', { body: { refresh: token } });
  const familyOf = async (token: string) =>
    env.ownerDb.query<{ id: string; revoked_reason: string | null }>(
      'select id, revoked_reason from refresh_tokens where family_id = ? order by created_at, id',
      [decodeJwt(token).fid],
    );

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(() => env.close());

  describe('POST /api/v1/token/refresh/', () => {
    let caller: Caller;

    beforeEach(async () => {
      caller = await callerFactory(env, 'member');
    });

    it('returns a new pair of the same session whose access token works', async () => {
      const response = await refresh(caller.refresh);

      expect(response.statusCode).toBe(200);
      const pair = response.json();
      expect(Object.keys(pair).sort()).toEqual(['access', 'refresh']);
      expect(pair.refresh).not.toBe(caller.refresh);
      expect(decodeJwt(pair.refresh).fid).toBe(decodeJwt(caller.refresh).fid);
      const me = await rest(env, 'GET', '/api/v1/me/', { token: pair.access });
      expect(me.json()).toMatchObject({ id: caller.user.id });
    });

    it('refuses a refresh token once it has been used', async () => {
      expect((await refresh(caller.refresh)).statusCode).toBe(200);

      const again = await refresh(caller.refresh);

      expect(again.statusCode).toBe(401);
      expect(again.json()).toEqual({ detail: expect.any(String), code: 'TOKEN_REUSED' });
    });

    it('revokes the whole family when a rotated refresh token is presented again', async () => {
      const second = (await refresh(caller.refresh)).json().refresh;
      const newest = (await refresh(second)).json().refresh;

      expect((await refresh(caller.refresh)).statusCode).toBe(401);

      const afterReuse = await refresh(newest);
      expect(afterReuse.statusCode).toBe(401);
      expect(afterReuse.json().code).toBe('TOKEN_REVOKED');
      expect((await familyOf(newest)).map((row) => row.revoked_reason)).toEqual(['rotated', 'rotated', 'reuse-detected']);
    });

    it('refuses an access token', async () => {
      const response = await refresh(caller.access);

      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('TOKEN_INVALID');
      expect((await refresh(caller.refresh)).statusCode).toBe(200);
    });

    it('puts a role changed in the database into the next access token', async () => {
      expect(decodeJwt(caller.access).role).toBe('member');
      await env.ownerDb.query(`update users set role = 'manager' where id = ?`, [caller.user.id]);

      const response = await refresh(caller.refresh);

      expect(response.statusCode).toBe(200);
      expect(decodeJwt(response.json().access).role).toBe('manager');
      expect(decodeJwt(response.json().refresh).role).toBe('manager');
    });

    it('refuses a deactivated user and ends the session for good', async () => {
      await env.ownerDb.query('update users set active = false where id = ?', [caller.user.id]);

      const response = await refresh(caller.refresh);

      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('ACCOUNT_INACTIVE');
      await env.ownerDb.query('update users set active = true where id = ?', [caller.user.id]);
      expect((await refresh(caller.refresh)).statusCode).toBe(401);
    });

    it('lets exactly one of two concurrent refreshes of one token succeed', async () => {
      const responses = await Promise.all([refresh(caller.refresh), refresh(caller.refresh)]);

      expect(responses.map((response) => response.statusCode).sort()).toEqual([200, 401]);
      const issued = await familyOf(caller.refresh);
      expect(issued).toHaveLength(2);
    });

    it('answers 400 naming the field when refresh is missing', async () => {
      const response = await rest(env, 'POST', '/api/v1/token/refresh/', { body: {} });

      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([{ field: 'refresh', message: expect.any(String) }]);
    });
  });

  describe('refreshToken mutation', () => {
    it('rotates without an access token and detects reuse like the REST route', async () => {
      const caller = await callerFactory(env, 'member');

      const rotated = await graphql(env, REFRESH, { refresh: caller.refresh });
      expect(rotated.statusCode).toBe(200);
      const pair = rotated.json().data.refreshToken;
      expect(decodeJwt(pair.access)).toMatchObject({ user_id: caller.user.id, typ: 'access' });
      expect((await graphql(env, '{ me { email } }', {}, bearer(pair.access))).json().data.me.email).toBe(caller.user.email);

      const reused = await graphql(env, REFRESH, { refresh: caller.refresh });
      expect(reused.json().data).toBeNull();
      expect(reused.json().errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect((await graphql(env, REFRESH, { refresh: pair.refresh })).json().errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });
  });
});
