import type { LightMyRequestResponse } from 'fastify';
import type { TestEnv } from '../setup/test-env';

export interface RestOptions {
  /** A bearer token, sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** The raw `Authorization` header, for schemes other than Bearer. */
  authorization?: string;
  body?: unknown;
}

/** One REST call through the real app, without a listening socket. */
export function rest(env: TestEnv, method: 'GET' | 'POST', url: string, { token, authorization, body }: RestOptions = {}): Promise<LightMyRequestResponse> {
  const header = authorization ?? (token ? `Bearer ${token}` : undefined);
  return env.api.app.inject({
    method,
    url,
    headers: header ? { authorization: header } : {},
    ...(body === undefined ? {} : { payload: body as object }),
  });
}

/** One GraphQL operation over HTTP POST; `authorization` is the raw header value. */
export function graphql(
  env: TestEnv,
  query: string,
  variables: Record<string, unknown> = {},
  authorization?: string,
): Promise<LightMyRequestResponse> {
  return env.api.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    payload: { query, variables },
  });
}

export const bearer = (token: string) => `Bearer ${token}`;
