import { Entity, Enum, Property, Unique } from '@mikro-orm/core';
import { TenantOwnedEntity } from '../platform/db/tenant-owned.entity';

/**
 * The idempotency ledger (US-BKP-006): one row per unique email of a tenant. Claimed with
 * `insert ... on conflict do nothing` on `(tenant_id, message_id_hash)`, never read-then-written.
 */
@Entity({ tableName: 'processed_emails' })
@Unique({ name: 'processed_emails_tenant_id_message_id_hash_key', properties: ['tenantId', 'messageIdHash'] })
export class ProcessedEmail extends TenantOwnedEntity {
  @Property({ type: 'text' })
  messageIdHash!: string;

  /** `message_id` when the hash is of the Message-ID, `content` when the email had none. */
  @Enum({ items: () => ['message_id', 'content'], type: 'text' })
  hashSource!: 'message_id' | 'content';

  @Property({ type: 'uuid' })
  emailId!: string;

  @Property({ type: 'uuid', nullable: true })
  cardId: string | null = null;
}
