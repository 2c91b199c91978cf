import { Entity, Enum, Index, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { TenantOwnedEntity } from '../platform/db/tenant-owned.entity';
import { stringEnum } from '../platform/graphql/string-enum';

export const RECORD_KINDS = ['company', 'contact', 'deal', 'order', 'invoice', 'product'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export const RecordKindEnum = stringEnum('RecordKind', RECORD_KINDS, 'What a CRM/ERP record describes.', {
  company: 'An account; upserting it also upserts the matching Company.',
  contact: 'A person at a company.',
  deal: 'An opportunity in the sales pipeline.',
  order: 'A sales or purchase order.',
  invoice: 'A bill sent or received.',
  product: 'An item of the catalogue.',
});

/**
 * A CRM/ERP object as the source system last sent it (US-BKP-007). Written only by the set-wise upsert in
 * `record-batch-writer.ts`, keyed by `(tenant_id, source_system, kind, external_id)`.
 */
@ObjectType({ description: 'A CRM/ERP object (contact, deal, order, invoice, product, company) from a source system.' })
@Entity({ tableName: 'business_records' })
@Unique({ name: 'business_records_tenant_id_source_system_kind_external_id_key', properties: ['tenantId', 'sourceSystem', 'kind', 'externalId'] })
@Index({ name: 'business_records_tenant_id_kind_created_at_index', properties: ['tenantId', 'kind', 'createdAt', 'id'] })
@Index({ name: 'business_records_company_id_index', properties: ['companyId'] })
export class BusinessRecord extends TenantOwnedEntity {
  @Field(() => RecordKindEnum, { description: 'What the record describes.' })
  @Enum({ items: () => [...RECORD_KINDS], type: 'text' })
  kind!: RecordKind;

  @Field({ description: 'Identifier of the record in its source system; unique per source system and kind.' })
  @Property({ type: 'text' })
  externalId!: string;

  @Field(() => String, { nullable: true, description: 'Display name, e.g. a contact\'s full name or an order number.' })
  @Property({ type: 'text', nullable: true })
  title: string | null = null;

  @Field(() => GraphQLJSONObject, { description: 'Free-form attributes as the source system sent them.' })
  @Property({ type: 'jsonb', defaultRaw: `'{}'` })
  attributes: Record<string, unknown> = {};

  /** sha256 of the title and attributes: an upsert whose hash (and company) did not change writes nothing. */
  @Property({ type: 'text' })
  contentHash!: string;

  @Field(() => ID, { nullable: true, description: 'The Company this record belongs to: its own for `company` records, else by external id or domain.' })
  @Property({ type: 'uuid', nullable: true })
  companyId: string | null = null;
}
