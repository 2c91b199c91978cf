import { callerFactory, PASSWORD, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { bearer, graphql, rest } from './http';

const LOGOUT = `mutation($refresh: String!) { logout(refresh: $refresh) }`;

describe('logout', () => {
  let env: TestEnv;
  let me: Caller;

  const refresh = (token: string) => rest(env, 'POST', '/api/v1/token/refresh/', { body: { refresh: token } });
  const revoke = (access: string, token: string) => rest(env, 'POST', '/api/v1/token/revoke/', { token: access, body: { refresh: token } });

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(() => env.close());

  beforeEach(async () => {
    me = await callerFactory(env, 'member');
  });

  describe('POST /api/v1/token/revoke/', () => {
    it('revokes the session the refresh token belongs to, so it can no longer be refreshed', async () => {
      const latest = (await refresh(me.refresh)).json().refresh;

      const response = await revoke(me.access, latest);

      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ revoked: true });
      const afterLogout = await refresh(latest);
      expect(afterLogout.statusCode).toBe(401);
      expect(afterLogout.json().code).toBe('TOKEN_REVOKED');
    });

    it('leaves my other sessions alone', async () => {
      const other = await env.services.auth.login({ email: me.user.email, password: PASSWORD }, 'test');

      expect((await revoke(me.access, me.refresh)).statusCode).toBe(200);

      expect((await refresh(other.refresh)).statusCode).toBe(200);
    });

    it.each([
      { whose: 'a colleague in my tenant', sameTenant: true },
      { whose: 'a user of another tenant', sameTenant: false },
    ])("refuses to revoke the session of $whose, which stays usable", async ({ sameTenant }) => {
      const victim = await callerFactory(env, 'member', sameTenant ? me.tenant : undefined);

      const response = await revoke(me.access, victim.refresh);

      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('TOKEN_INVALID');
      expect((await refresh(victim.refresh)).statusCode).toBe(200);
    });

    it('refuses an access token in place of the refresh token', async () => {
      const response = await revoke(me.access, me.access);

      expect(response.statusCode).toBe(401);
      expect((await refresh(me.refresh)).statusCode).toBe(200);
    });
  });

  describe('logout mutation', () => {
    it('revokes the session like the REST route', async () => {
      const response = await graphql(env, LOGOUT, { refresh: me.refresh }, bearer(me.access));

      expect(response.json()).toEqual({ data: { logout: true } });
      expect((await refresh(me.refresh)).statusCode).toBe(401);
    });

    it("refuses another user's refresh token, which stays usable", async () => {
      const victim = await callerFactory(env, 'admin', me.tenant);

      const response = await graphql(env, LOGOUT, { refresh: victim.refresh }, bearer(me.access));

      expect(response.json().errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect((await refresh(victim.refresh)).statusCode).toBe(200);
    });

    it('needs an access token', async () => {
      const response = await graphql(env, LOGOUT, { refresh: me.refresh });

      expect(response.statusCode).toBe(401);
      expect(response.json().errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect((await refresh(me.refresh)).statusCode).toBe(200);
    });
  });
});
