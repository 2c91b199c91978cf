import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AuthResolver } from './auth/auth.resolver';
import { CardResolver } from './cards/card.resolver';
import { CompanyResolver } from './companies/company.resolver';
import { BlacklistResolver } from './ingestion/blacklist.resolver';
import { IngestionResolver } from './ingestion/ingestion.resolver';
import { OpsResolver } from './ops/ops.resolver';
import { authChecker } from './platform/graphql/auth-checker';
import { RecordResolver } from './records/record.resolver';
import { SearchResolver } from './search/search.resolver';
import type { Services } from './services';

/** Root fields callable without an access token. */
export const PUBLIC_FIELDS: ReadonlySet<string> = new Set(['token', 'refreshToken']);

const RESOLVERS = [AuthResolver, CompanyResolver, IngestionResolver, BlacklistResolver, CardResolver, OpsResolver, SearchResolver, RecordResolver] as const;

function resolverInstances(services: Services): object[] {
  return [
    new AuthResolver(services.auth, services.users),
    new CompanyResolver(services.companies),
    new IngestionResolver(services.ingestion),
    new BlacklistResolver(services.blacklist),
    new CardResolver(services.cards),
    new OpsResolver(services.deadLetters),
    new RecordResolver(services.records),
    new SearchResolver(services.search),
  ];
}

/** type-graphql has no option to describe the root types, and every type in the schema has a description. */
const ROOT_DESCRIPTIONS = {
  Query: "Reads. Every field needs an access token and sees only the caller's tenant.",
  Mutation: 'Writes. Every field except `token` and `refreshToken` needs an access token.',
} as const;

/** The executable schema; without services it can only be printed (`npm run schema`). */
export async function buildPebbleSchema(services?: Services): Promise<GraphQLSchema> {
  const instances = services ? resolverInstances(services) : [];
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    authChecker,
    validate: false,
    container: {
      get: (someClass: new (...args: never[]) => object) => {
        const instance = instances.find((candidate) => candidate instanceof someClass);
        if (!instance) throw new Error(`No resolver instance for ${someClass.name}`);
        return instance;
      },
    },
  });
  for (const [name, description] of Object.entries(ROOT_DESCRIPTIONS)) {
    const type = schema.getType(name);
    if (type) type.description = description;
  }
  return schema;
}

export async function printPebbleSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildPebbleSchema()))}\n`;
}
