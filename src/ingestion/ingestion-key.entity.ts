import { Entity, Property, Unique } from '@mikro-orm/core';
import { TenantOwnedEntity } from '../platform/db/tenant-owned.entity';

/**
 * The Idempotency-Key ledger: the email a (tenant, key) first produced. Written only by the group-commit
 * SQL in `email-batch-writer.ts`; a key older than 24 hours is taken over by the next request using it.
 */
@Entity({ tableName: 'ingestion_keys' })
@Unique({ name: 'ingestion_keys_tenant_id_key_key', properties: ['tenantId', 'key'] })
export class IngestionKey extends TenantOwnedEntity {
  @Property({ type: 'text' })
  key!: string;

  @Property({ type: 'uuid' })
  emailId!: string;
}
