/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query Companies($first: Int! = 20, $after: ID) {\n  companies(first: $first, after: $after) {\n    id\n    name\n    domain\n    externalId\n  }\n}": typeof types.CompaniesDocument,
    "query Company($id: ID!) {\n  company(id: $id) {\n    id\n    name\n    domain\n    externalId\n    attributes\n    sourceSystem\n    correlationId\n    createdAt\n    updatedAt\n  }\n}": typeof types.CompanyDocument,
    "mutation CreateCompany($input: CreateCompanyInput!) {\n  createCompany(input: $input) {\n    id\n    name\n    domain\n    externalId\n    attributes\n  }\n}": typeof types.CreateCompanyDocument,
    "mutation Logout($refresh: String!) {\n  logout(refresh: $refresh)\n}": typeof types.LogoutDocument,
    "query Me {\n  me {\n    id\n    email\n    role\n    active\n    lastLoginAt\n    createdAt\n  }\n}": typeof types.MeDocument,
    "mutation RefreshToken($refresh: String!) {\n  refreshToken(refresh: $refresh) {\n    access\n    refresh\n  }\n}": typeof types.RefreshTokenDocument,
    "mutation Token($email: String!, $password: String!) {\n  token(email: $email, password: $password) {\n    access\n    refresh\n  }\n}": typeof types.TokenDocument,
    "query UnifiedSearch($q: String!, $types: [SearchType!], $limit: Int) {\n  unifiedSearch(q: $q, types: $types, limit: $limit) {\n    degraded\n    hits {\n      type\n      id\n      title\n      snippet\n      score\n      vectorRank\n      keywordRank\n    }\n  }\n}": typeof types.UnifiedSearchDocument,
    "subscription CardCreated {\n  cardCreated {\n    id\n    title\n    column\n    category\n    priority\n    companyId\n    emailCount\n    createdAt\n    emails {\n      id\n    }\n  }\n}": typeof types.CardCreatedDocument,
    "subscription InsightSynthesized($entityId: ID) {\n  insightSynthesized(entityId: $entityId) {\n    id\n    entityId\n    periodStart\n    periodEnd\n    score\n    trend\n    direction\n    summary\n  }\n}": typeof types.InsightSynthesizedDocument,
    "subscription OpsStatsChanged {\n  opsStatsChanged {\n    dlqCount\n    queued\n    active\n    failedLastHour\n  }\n}": typeof types.OpsStatsChangedDocument,
};
const documents: Documents = {
    "query Companies($first: Int! = 20, $after: ID) {\n  companies(first: $first, after: $after) {\n    id\n    name\n    domain\n    externalId\n  }\n}": types.CompaniesDocument,
    "query Company($id: ID!) {\n  company(id: $id) {\n    id\n    name\n    domain\n    externalId\n    attributes\n    sourceSystem\n    correlationId\n    createdAt\n    updatedAt\n  }\n}": types.CompanyDocument,
    "mutation CreateCompany($input: CreateCompanyInput!) {\n  createCompany(input: $input) {\n    id\n    name\n    domain\n    externalId\n    attributes\n  }\n}": types.CreateCompanyDocument,
    "mutation Logout($refresh: String!) {\n  logout(refresh: $refresh)\n}": types.LogoutDocument,
    "query Me {\n  me {\n    id\n    email\n    role\n    active\n    lastLoginAt\n    createdAt\n  }\n}": types.MeDocument,
    "mutation RefreshToken($refresh: String!) {\n  refreshToken(refresh: $refresh) {\n    access\n    refresh\n  }\n}": types.RefreshTokenDocument,
    "mutation Token($email: String!, $password: String!) {\n  token(email: $email, password: $password) {\n    access\n    refresh\n  }\n}": types.TokenDocument,
    "query UnifiedSearch($q: String!, $types: [SearchType!], $limit: Int) {\n  unifiedSearch(q: $q, types: $types, limit: $limit) {\n    degraded\n    hits {\n      type\n      id\n      title\n      snippet\n      score\n      vectorRank\n      keywordRank\n    }\n  }\n}": types.UnifiedSearchDocument,
    "subscription CardCreated {\n  cardCreated {\n    id\n    title\n    column\n    category\n    priority\n    companyId\n    emailCount\n    createdAt\n    emails {\n      id\n    }\n  }\n}": types.CardCreatedDocument,
    "subscription InsightSynthesized($entityId: ID) {\n  insightSynthesized(entityId: $entityId) {\n    id\n    entityId\n    periodStart\n    periodEnd\n    score\n    trend\n    direction\n    summary\n  }\n}": types.InsightSynthesizedDocument,
    "subscription OpsStatsChanged {\n  opsStatsChanged {\n    dlqCount\n    queued\n    active\n    failedLastHour\n  }\n}": types.OpsStatsChangedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Companies($first: Int! = 20, $after: ID) {\n  companies(first: $first, after: $after) {\n    id\n    name\n    domain\n    externalId\n  }\n}"): (typeof documents)["query Companies($first: Int! = 20, $after: ID) {\n  companies(first: $first, after: $after) {\n    id\n    name\n    domain\n    externalId\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Company($id: ID!) {\n  company(id: $id) {\n    id\n    name\n    domain\n    externalId\n    attributes\n    sourceSystem\n    correlationId\n    createdAt\n    updatedAt\n  }\n}"): (typeof documents)["query Company($id: ID!) {\n  company(id: $id) {\n    id\n    name\n    domain\n    externalId\n    attributes\n    sourceSystem\n    correlationId\n    createdAt\n    updatedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateCompany($input: CreateCompanyInput!) {\n  createCompany(input: $input) {\n    id\n    name\n    domain\n    externalId\n    attributes\n  }\n}"): (typeof documents)["mutation CreateCompany($input: CreateCompanyInput!) {\n  createCompany(input: $input) {\n    id\n    name\n    domain\n    externalId\n    attributes\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Logout($refresh: String!) {\n  logout(refresh: $refresh)\n}"): (typeof documents)["mutation Logout($refresh: String!) {\n  logout(refresh: $refresh)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    id\n    email\n    role\n    active\n    lastLoginAt\n    createdAt\n  }\n}"): (typeof documents)["query Me {\n  me {\n    id\n    email\n    role\n    active\n    lastLoginAt\n    createdAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RefreshToken($refresh: String!) {\n  refreshToken(refresh: $refresh) {\n    access\n    refresh\n  }\n}"): (typeof documents)["mutation RefreshToken($refresh: String!) {\n  refreshToken(refresh: $refresh) {\n    access\n    refresh\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Token($email: String!, $password: String!) {\n  token(email: $email, password: $password) {\n    access\n    refresh\n  }\n}"): (typeof documents)["mutation Token($email: String!, $password: String!) {\n  token(email: $email, password: $password) {\n    access\n    refresh\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query UnifiedSearch($q: String!, $types: [SearchType!], $limit: Int) {\n  unifiedSearch(q: $q, types: $types, limit: $limit) {\n    degraded\n    hits {\n      type\n      id\n      title\n      snippet\n      score\n      vectorRank\n      keywordRank\n    }\n  }\n}"): (typeof documents)["query UnifiedSearch($q: String!, $types: [SearchType!], $limit: Int) {\n  unifiedSearch(q: $q, types: $types, limit: $limit) {\n    degraded\n    hits {\n      type\n      id\n      title\n      snippet\n      score\n      vectorRank\n      keywordRank\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription CardCreated {\n  cardCreated {\n    id\n    title\n    column\n    category\n    priority\n    companyId\n    emailCount\n    createdAt\n    emails {\n      id\n    }\n  }\n}"): (typeof documents)["subscription CardCreated {\n  cardCreated {\n    id\n    title\n    column\n    category\n    priority\n    companyId\n    emailCount\n    createdAt\n    emails {\n      id\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription InsightSynthesized($entityId: ID) {\n  insightSynthesized(entityId: $entityId) {\n    id\n    entityId\n    periodStart\n    periodEnd\n    score\n    trend\n    direction\n    summary\n  }\n}"): (typeof documents)["subscription InsightSynthesized($entityId: ID) {\n  insightSynthesized(entityId: $entityId) {\n    id\n    entityId\n    periodStart\n    periodEnd\n    score\n    trend\n    direction\n    summary\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription OpsStatsChanged {\n  opsStatsChanged {\n    dlqCount\n    queued\n    active\n    failedLastHour\n  }\n}"): (typeof documents)["subscription OpsStatsChanged {\n  opsStatsChanged {\n    dlqCount\n    queued\n    active\n    failedLastHour\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;