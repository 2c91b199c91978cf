import { Entity, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Int, ObjectType } from 'type-graphql';
import { TenantOwnedEntity } from '../platform/db/tenant-owned.entity';

/** One dead-lettered job (US-BKP-005): what failed, how often, and everything needed to replay it. */
@ObjectType({ description: 'A job that failed every attempt and went to the dead-letter queue.' })
@Entity({ tableName: 'sync_errors' })
@Unique({ name: 'sync_errors_tenant_id_queue_job_id_key', properties: ['tenantId', 'queue', 'jobId'] })
export class SyncError extends TenantOwnedEntity {
  @Field({ description: 'The queue the job belonged to, e.g. `email_processing`.' })
  @Property({ type: 'text' })
  queue!: string;

  @Field({ description: 'The dead-lettered job.' })
  @Property({ type: 'uuid' })
  jobId!: string;

  @Field(() => String, { nullable: true, description: 'The email the job processed (its tracking id).' })
  @Property({ type: 'uuid', nullable: true })
  emailId: string | null = null;

  @Field({ description: 'The last error message.' })
  @Property({ type: 'text' })
  error!: string;

  @Field({ description: 'Full traceback of the last failure.' })
  @Property({ type: 'text' })
  traceback!: string;

  @Field(() => GraphQLJSONObject, { description: 'The job payload as queued.' })
  @Property({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  /** The email as received, kept for inspection even if the email row changes. */
  @Property({ type: 'blob', nullable: true, lazy: true })
  rawPayload: Buffer | null = null;

  @Field(() => Int, { description: 'Attempts made before dead-lettering.' })
  @Property({ type: 'integer' })
  attempts!: number;

  @Field({ description: 'First failure.' })
  @Property({ type: 'timestamptz' })
  firstFailedAt!: Date;

  @Field({ description: 'Last failure.' })
  @Property({ type: 'timestamptz' })
  lastFailedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it was last re-queued with `replayDeadLetter`.' })
  @Property({ type: 'timestamptz', nullable: true })
  replayedAt: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'When it was marked resolved.' })
  @Property({ type: 'timestamptz', nullable: true })
  resolvedAt: Date | null = null;

  @Field(() => String, { nullable: true, description: 'Why it was resolved.' })
  @Property({ type: 'text', nullable: true })
  resolutionNote: string | null = null;
}
