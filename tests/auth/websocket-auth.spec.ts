import { decodeJwt } from 'jose';
import type { Client, FormattedExecutionResult } from 'graphql-ws';
import { CLOSE_FORBIDDEN, startWebSocketServer } from '../../src/platform/graphql/websocket';
import { callerFactory, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { connectSocket as connect } from '../subscriptions/live';
import { bearer } from './http';

type Result = FormattedExecutionResult<Record<string, unknown>, unknown>;

function execute(client: Client, query: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    let result: Result | undefined;
    client.subscribe({ query }, { next: (value) => (result = value), error: reject, complete: () => resolve(result!) });
  });
}

/** Fails fast instead of waiting for Jest's timeout when the socket stays open. */
function within<T>(ms: number, promise: Promise<T>): Promise<T | 'still open'> {
  return Promise.race([promise, new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), ms).unref())]);
}

async function listen(env: TestEnv): Promise<string> {
  const address = await env.api.app.listen({ port: 0, host: '127.0.0.1' });
  return `${address.replace(/^http/, 'ws')}/graphql`;
}

describe(startWebSocketServer.name, () => {
  let env: TestEnv;
  let url: string;
  let caller: Caller;
  const clients: Client[] = [];

  const open = (connectionParams?: Record<string, unknown>) => {
    const connection = connect(url, connectionParams);
    clients.push(connection.client);
    return connection;
  };

  beforeAll(async () => {
    env = await createTestEnv();
    url = await listen(env);
    caller = await callerFactory(env, 'member');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  });
  afterAll(() => env.close());

  it.each([
    { what: 'no connectionParams', params: () => undefined },
    { what: 'a garbage token', params: () => ({ authorization: 'Bearer not-a-jwt' }) },
    { what: 'a refresh token', params: () => ({ authorization: bearer(caller.refresh) }) },
  ])(`closes the socket with ${CLOSE_FORBIDDEN} given $what`, async ({ params }) => {
    const { closed } = open(params());

    await expect(within(3000, closed)).resolves.toMatchObject({ code: CLOSE_FORBIDDEN });
  });

  it('answers { me { email } } over a socket opened with a valid access token', async () => {
    const { client } = open({ authorization: bearer(caller.access) });

    await expect(execute(client, '{ me { email } }')).resolves.toEqual({ data: { me: { email: caller.user.email } } });
  });

  it('applies role checks to operations over the socket', async () => {
    const { client } = open({ authorization: bearer(caller.access) });

    const result = await execute(client, 'mutation { createCompany(input: { name: "Acme" }) { id } }');

    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await env.services.companies.list(caller.auth, {})).toEqual([]);
  });

  describe('when the access token expires', () => {
    let shortLived: TestEnv;
    let shortUrl: string;

    beforeAll(async () => {
      shortLived = await createTestEnv({ JWT_ACCESS_TTL_SECONDS: '2' });
      shortUrl = await listen(shortLived);
    });
    afterAll(() => shortLived.close());

    it(`closes the socket with ${CLOSE_FORBIDDEN} at the token's exp`, async () => {
      const { access } = await callerFactory(shortLived, 'member');
      const { client, closed } = connect(shortUrl, { authorization: bearer(access) });
      clients.push(client);
      expect((await execute(client, '{ me { email } }')).data).toBeDefined();

      const event = await within(4000, closed);

      expect(event).toMatchObject({ code: CLOSE_FORBIDDEN });
      // Not before the token's own expiry (second resolution, so allow a little timer jitter).
      expect(Date.now()).toBeGreaterThanOrEqual(decodeJwt(access).exp! * 1000 - 50);
    });
  });
});
