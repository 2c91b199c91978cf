import { Arg, Authorized, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { AuthContext } from '../platform/context/auth-context';
import { CurrentAuth } from '../platform/graphql/context';
import type { TrendDirection } from './insight-facts';
import { InsightSynthesis, TrendDirectionEnum } from './insight-synthesis.entity';
import { INSIGHT_READERS, INSIGHT_WRITERS, type HealthPoint, type InsightService, type SynthesisRun } from './insight.service';

@ObjectType('HealthPoint', { description: "One point of a company's health history, for a chart." })
export class HealthPointType implements HealthPoint {
  @Field({ description: 'Start of the period (inclusive).' })
  periodStart!: Date;

  @Field({ description: 'End of the period (exclusive).' })
  periodEnd!: Date;

  @Field(() => Int, { description: 'Health score, 0-100.' })
  score!: number;

  @Field(() => Int, { nullable: true, description: 'Change against the period before; null for the first.' })
  trend!: number | null;

  @Field(() => TrendDirectionEnum, { description: 'The trend in a word.' })
  direction!: TrendDirection;
}

@ObjectType('SynthesisRun', { description: 'A synthesis that was queued: its insights appear as the worker stores them.' })
export class SynthesisRunType implements SynthesisRun {
  @Field(() => ID, { description: 'The run; every insight it stores carries it as `runId`.' })
  runId!: string;

  @Field({ description: 'Start of the period it covers.' })
  periodStart!: Date;

  @Field({ description: 'End of the period it covers (exclusive).' })
  periodEnd!: Date;
}

@Resolver(() => InsightSynthesis)
export class InsightResolver {
  constructor(private readonly service: InsightService) {}

  @Authorized(...INSIGHT_READERS)
  @Query(() => [InsightSynthesis], { description: "The caller's tenant's insights, newest period first (admin, manager, member)." })
  insights(
    @CurrentAuth() auth: AuthContext,
    @Arg('entityId', () => ID, { nullable: true, description: "Only this company's insights." }) entityId: string | null,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Page size, 1-100.' }) first: number,
    @Arg('after', () => ID, { nullable: true, description: 'Return insights after (older than) this id.' }) after: string | null,
  ): Promise<InsightSynthesis[]> {
    return this.service.list(auth, { entityId, first, after });
  }

  @Authorized(...INSIGHT_READERS)
  @Query(() => InsightSynthesis, { description: "One insight of the caller's tenant; NOT_FOUND for any other id (admin, manager, member)." })
  insight(@CurrentAuth() auth: AuthContext, @Arg('id', () => ID, { description: 'Insight id.' }) id: string): Promise<InsightSynthesis> {
    return this.service.get(auth, id);
  }

  @Authorized(...INSIGHT_READERS)
  @Query(() => [HealthPointType], { description: "A company's health scores, oldest period first (admin, manager, member)." })
  entityHealth(
    @CurrentAuth() auth: AuthContext,
    @Arg('entityId', () => ID, { description: 'Company id.' }) entityId: string,
    @Arg('last', () => Int, { defaultValue: 52, description: 'How many of the newest periods, 1-260.' }) last: number,
  ): Promise<HealthPoint[]> {
    return this.service.history(auth, { entityId, last });
  }

  @Authorized(...INSIGHT_WRITERS)
  @Mutation(() => SynthesisRunType, {
    description: "Queues a synthesis of the caller's tenant's insights, as the weekly schedule does; the insights are stored by a worker (admin, manager).",
  })
  synthesizeInsights(
    @CurrentAuth() auth: AuthContext,
    @Arg('entityId', () => ID, { nullable: true, description: 'Only this company; default: every company with activity in the period or the one before.' })
    entityId: string | null,
    @Arg('periodEnd', () => Date, { nullable: true, description: 'End of the period (exclusive), at most a day ahead; default: the start of today (UTC).' })
    periodEnd: Date | null,
  ): Promise<SynthesisRun> {
    return this.service.request(auth, { entityId, periodEnd });
  }
}
