import { Entity, Index, Property } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';
import { TenantOwnedEntity } from '../platform/db/tenant-owned.entity';

@ObjectType({ description: 'A CRM account: a customer, supplier or prospect of the tenant.' })
@Entity({ tableName: 'companies' })
@Index({ properties: ['tenantId', 'domain'] })
@Index({ properties: ['tenantId', 'externalId'] })
export class Company extends TenantOwnedEntity {
  @Field({ description: 'Display name.' })
  @Property({ type: 'text' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Primary email/web domain, lower-cased, e.g. `acme.example`.' })
  @Property({ type: 'text', nullable: true })
  domain: string | null = null;

  @Field(() => String, { nullable: true, description: 'Identifier of this account in the source system.' })
  @Property({ type: 'text', nullable: true })
  externalId: string | null = null;

  @Field(() => GraphQLJSONObject, { description: 'Free-form attributes from the source system.' })
  @Property({ type: 'jsonb', defaultRaw: `'{}'` })
  attributes: Record<string, unknown> = {};
}
