import { Entity, Index, Property } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';
import { TenantOwnedEntity } from '../platform/db/tenant-owned.entity';

/** Event kinds written so far; the ActivityStream is append-only. */
export type ActivityKind =
  | 'email.received'
  | 'card.created'
  | 'email.threaded'
  | 'duplicate.ignored'
  | 'card.moved'
  | 'sync.failed'
  | 'sync.replayed'
  | 'sync.resolved'
  | 'record.upserted'
  | 'insight.synthesized';

@ObjectType({ description: 'One entry of the ActivityStream: something that happened to an entity.' })
@Entity({ tableName: 'activity_events' })
@Index({ name: 'activity_events_tenant_id_entity_id_index', properties: ['tenantId', 'entityId', 'occurredAt'] })
@Index({ name: 'activity_events_tenant_id_occurred_at_index', properties: ['tenantId', 'occurredAt'] })
export class ActivityEvent extends TenantOwnedEntity {
  @Field({ description: 'Type of the entity: `card`, `email`, `sync_error`, ...' })
  @Property({ type: 'text' })
  entityType!: string;

  @Field({ description: 'Id of the entity.' })
  @Property({ type: 'uuid' })
  entityId!: string;

  @Field(() => String, { description: 'What happened, e.g. `card.created`, `duplicate.ignored` ("Duplicate Ignored").' })
  @Property({ type: 'text' })
  kind!: ActivityKind;

  @Field(() => GraphQLJSONObject, { description: 'Details of the event.' })
  @Property({ type: 'jsonb', defaultRaw: `'{}'` })
  payload: Record<string, unknown> = {};

  @Field({ description: 'When it happened.' })
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  occurredAt: Date = new Date();
}
