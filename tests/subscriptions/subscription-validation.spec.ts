import type { Client } from 'graphql-ws';
import { callerFactory, type Caller } from '../factories';
import { createTestEnv, type TestEnv } from '../setup/test-env';
import { listenUrl, openSocket, record } from './live';

describe('subscriptions over graphql-ws', () => {
  let env: TestEnv;
  let url: string;
  let caller: Caller;
  const clients: Client[] = [];

  const subscribe = (query: string) => {
    const { client } = openSocket(url, caller.access);
    clients.push(client);
    return record(client, query);
  };

  beforeAll(async () => {
    env = await createTestEnv({ GRAPHQL_MAX_DEPTH: '2' });
    url = await listenUrl(env);
    caller = await callerFactory(env, 'admin');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  });
  afterAll(() => env.close());

  it('refuses a subscription nested deeper than GRAPHQL_MAX_DEPTH, as over HTTP', async () => {
    const live = subscribe('subscription { cardCreated { emails { id } } }');

    await live.ended;

    expect(live.refusal()).toEqual([expect.objectContaining({ message: expect.stringContaining('nested 3 levels deep; the maximum depth is 2') })]);
  });

  it('refuses a subscription that does not validate against the schema', async () => {
    const live = subscribe('subscription { cardCreated { tenantId } }');

    await live.ended;

    expect(live.refusal()).toEqual([expect.objectContaining({ message: expect.stringContaining('Cannot query field "tenantId" on type "Card"') })]);
  });

  it('takes one root field per subscription, as GraphQL requires', async () => {
    const live = subscribe('subscription { cardCreated { id } opsStatsChanged { dlqCount } }');

    await live.ended;

    expect(live.refusal()).toEqual([expect.objectContaining({ message: expect.stringContaining('must select only one top level field') })]);
  });
});
