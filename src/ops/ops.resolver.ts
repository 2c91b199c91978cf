import { Arg, Authorized, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { AuthContext } from '../platform/context/auth-context';
import { CurrentAuth } from '../platform/graphql/context';
import { OPS_VIEWERS, type DeadLetterService, type OpsStats as Stats } from './dead-letter.service';
import { SyncError } from './sync-error.entity';

@ObjectType({ description: "The caller's tenant's pipeline at a glance." })
export class OpsStats {
  @Field(() => Int, { description: 'Dead-lettered jobs not yet replayed or resolved.' })
  dlqCount!: number;

  @Field(() => Int, { description: 'Emails waiting for a worker (new or waiting for a retry).' })
  queued!: number;

  @Field(() => Int, { description: 'Emails a worker is processing right now.' })
  active!: number;

  @Field(() => Int, { description: 'Jobs dead-lettered in the last hour.' })
  failedLastHour!: number;
}

/** Operations of the pipeline: dead letters and queue figures (admin). */
@Resolver()
export class OpsResolver {
  constructor(private readonly deadLetters: DeadLetterService) {}

  @Authorized('admin')
  @Query(() => [SyncError], { description: 'Dead-lettered jobs, newest first (admin).' })
  syncErrors(
    @CurrentAuth() auth: AuthContext,
    @Arg('resolved', () => Boolean, { nullable: true, description: 'true: only resolved; false: only open; absent: all.' }) resolved: boolean | null,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Page size, 1-100.' }) first: number,
    @Arg('after', () => ID, { nullable: true, description: 'Return entries after (older than) this id.' }) after: string | null,
  ): Promise<SyncError[]> {
    return this.deadLetters.list(auth, { resolved, first, after });
  }

  @Authorized(...OPS_VIEWERS)
  @Query(() => OpsStats, { description: 'Dead-letter count and queue depths of the caller\'s tenant (admin).' })
  opsStats(@CurrentAuth() auth: AuthContext): Promise<Stats> {
    return this.deadLetters.stats(auth);
  }

  @Authorized('admin')
  @Mutation(() => SyncError, { description: 'Re-queues a dead-lettered email; idempotency guarantees at most one card (admin).' })
  replayDeadLetter(@CurrentAuth() auth: AuthContext, @Arg('id', () => ID, { description: 'SyncError id.' }) id: string): Promise<SyncError> {
    return this.deadLetters.replay(auth, id);
  }

  @Authorized('admin')
  @Mutation(() => SyncError, { description: 'Marks a dead letter as handled without replaying it (admin).' })
  resolveSyncError(
    @CurrentAuth() auth: AuthContext,
    @Arg('id', () => ID, { description: 'SyncError id.' }) id: string,
    @Arg('note', { description: 'Why it needs no replay, 1-2000 characters.' }) note: string,
  ): Promise<SyncError> {
    return this.deadLetters.resolve(auth, id, note);
  }
}
