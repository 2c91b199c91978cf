import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type PubSub } from 'type-graphql';
import { AuthResolver } from './auth/auth.resolver';
import { CardResolver } from './cards/card.resolver';
import { CompanyResolver } from './companies/company.resolver';
import { BlacklistResolver } from './ingestion/blacklist.resolver';
import { IngestionResolver } from './ingestion/ingestion.resolver';
import { InsightResolver } from './insights/insight.resolver';
import { LiveResolver } from './live/live.resolver';
import { OpsResolver } from './ops/ops.resolver';
import { authChecker } from './platform/graphql/auth-checker';
import { TopicPubSub } from './platform/graphql/pub-sub';
import { RecordResolver } from './records/record.resolver';
import { SearchResolver } from './search/search.resolver';
import type { Services } from './services';

/** Root fields callable without an access token. */
export const PUBLIC_FIELDS: ReadonlySet<string> = new Set(['token', 'refreshToken']);

const RESOLVERS = [AuthResolver, CompanyResolver, IngestionResolver, BlacklistResolver, CardResolver, OpsResolver, SearchResolver, RecordResolver, InsightResolver, LiveResolver] as const;

function resolverInstances(services: Services): object[] {
  return [
    new AuthResolver(services.auth, services.users),
    new CompanyResolver(services.companies, services.insights),
    new IngestionResolver(services.ingestion),
    new BlacklistResolver(services.blacklist),
    new CardResolver(services.cards),
    new OpsResolver(services.deadLetters),
    new RecordResolver(services.records),
    new SearchResolver(services.search),
    new InsightResolver(services.insights),
    new LiveResolver(),
  ];
}

/** type-graphql has no option to describe the root types, and every type in the schema has a description. */
const ROOT_DESCRIPTIONS = {
  Query: "Reads. Every field needs an access token and sees only the caller's tenant.",
  Mutation: 'Writes. Every field except `token` and `refreshToken` needs an access token.',
  Subscription: "Live events over graphql-ws on `/graphql`, for the tenant of the token sent in `connection_init` only.",
} as const;

/**
 * The executable schema; without services it can only be printed (`npm run schema`). Subscriptions read from
 * `pubSub`, which the api's LiveFeed publishes to.
 */
export async function buildPebbleSchema(services?: Services, pubSub: PubSub = new TopicPubSub()): Promise<GraphQLSchema> {
  const instances = services ? resolverInstances(services) : [];
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    authChecker,
    pubSub,
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
