import { Arg, Authorized, ID, Resolver, Root, Subscription, type SubscribeResolverData, type SubscriptionHandlerData } from 'type-graphql';
import { z } from 'zod';
import { Card } from '../cards/card.entity';
import { InsightSynthesis } from '../insights/insight-synthesis.entity';
import { INSIGHT_READERS } from '../insights/insight.service';
import { OPS_VIEWERS, type OpsStats as Stats } from '../ops/dead-letter.service';
import { OpsStats } from '../ops/ops.resolver';
import { callerOf, type GraphQLContext } from '../platform/graphql/context';
import { topics } from '../platform/graphql/topics';
import { parseInput } from '../platform/validation/parse-input';

type Subscribe<Args = object> = SubscribeResolverData<unknown, Args, GraphQLContext>;

interface InsightArgs {
  entityId?: string | null;
}

const insightArgs = z.object({ entityId: z.uuid().nullish() });

/**
 * Live dashboards over graphql-ws. Each topic is the caller's own tenant's, taken from the socket's token;
 * arguments only narrow what that tenant's topic carries. Roles are those of the matching queries.
 */
@Resolver()
export class LiveResolver {
  @Authorized(...OPS_VIEWERS)
  @Subscription(() => OpsStats, {
    topics: ({ context }: Subscribe) => topics.opsStats(callerOf(context).tenantId),
    description: "The caller's tenant's `opsStats` whenever they change, at most 4 times a second by default; the last change always arrives (admin).",
  })
  opsStatsChanged(@Root() stats: Stats): Stats {
    return stats;
  }

  @Authorized()
  @Subscription(() => Card, {
    topics: ({ context }: Subscribe) => topics.cardCreated(callerOf(context).tenantId),
    description: "Each new card of the caller's tenant, once its transaction has committed.",
  })
  cardCreated(@Root() card: Card): Card {
    return card;
  }

  @Authorized(...INSIGHT_READERS)
  @Subscription(() => InsightSynthesis, {
    topics: ({ context, args }: Subscribe<InsightArgs>) => {
      parseInput(insightArgs, args);
      return topics.insightSynthesized(callerOf(context).tenantId);
    },
    filter: ({ payload, args }: SubscriptionHandlerData<InsightSynthesis, InsightArgs>) => !args.entityId || payload.entityId === args.entityId,
    description: "Each insight stored for the caller's tenant, once its transaction has committed (admin, manager, member).",
  })
  insightSynthesized(
    @Root() insight: InsightSynthesis,
    @Arg('entityId', () => ID, { nullable: true, description: "Only this company's insights; default: every company's." }) _entityId: string | null,
  ): InsightSynthesis {
    return insight;
  }
}
