import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import type { PebbleApp } from '../../src/app';

export interface GraphQLResult<TData> {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  data?: TData | null;
  errors?: GraphQLFormattedError[];
}

/** POSTs a generated typed document (tests/generated) to /graphql, as a client would send it. */
export async function execute<TData, TVariables>(
  api: PebbleApp,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  token?: string,
): Promise<GraphQLResult<TData>> {
  const response = await api.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    payload: { query: print(document), variables },
  });
  return { status: response.statusCode, headers: response.headers, ...(response.json() as Pick<GraphQLResult<TData>, 'data' | 'errors'>) };
}

/** POSTs a raw query string, for documents the generated operations deliberately do not contain. */
export async function executeRaw(api: PebbleApp, query: string, token?: string, variables?: Record<string, unknown>) {
  const response = await api.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    payload: { query, variables },
  });
  return { status: response.statusCode, headers: response.headers, ...(response.json() as { data?: unknown; errors?: GraphQLFormattedError[] }) };
}
