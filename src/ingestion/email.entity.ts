import { Entity, Enum, Property } from '@mikro-orm/core';
import { TenantOwnedEntity } from '../platform/db/tenant-owned.entity';

export const EMAIL_STATUSES = ['queued', 'processing', 'carded', 'duplicate', 'dead'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

/** An attachment found in a MIME message; the bytes stay in `raw`, this is what is known about them. */
export interface AttachmentInfo {
  name: string | null;
  type: string;
  size: number;
  sha256: string;
}

/**
 * One accepted ingestion. Its id is the tracking id and the id of its `email_processing` job; `raw` keeps
 * the request exactly as received, so nothing is lost when parsing was partial.
 */
@Entity({ tableName: 'emails' })
export class Email extends TenantOwnedEntity {
  @Enum({ items: () => [...EMAIL_STATUSES], type: 'text', default: 'queued' })
  status: EmailStatus = 'queued';

  @Property({ type: 'text' })
  subject!: string;

  @Property({ type: 'text' })
  fromAddress!: string;

  @Property({ type: 'text', nullable: true })
  fromName: string | null = null;

  @Property({ type: 'jsonb', defaultRaw: `'[]'` })
  toAddresses: string[] = [];

  @Property({ type: 'jsonb', defaultRaw: `'[]'` })
  ccAddresses: string[] = [];

  @Property({ type: 'text' })
  body!: string;

  @Property({ type: 'jsonb', defaultRaw: `'[]'` })
  attachmentUrls: string[] = [];

  @Property({ type: 'jsonb', defaultRaw: `'[]'` })
  attachments: AttachmentInfo[] = [];

  @Property({ type: 'text', nullable: true })
  messageId: string | null = null;

  @Property({ type: 'text', nullable: true })
  inReplyTo: string | null = null;

  @Property({ type: 'jsonb', defaultRaw: `'[]'` })
  referenceIds: string[] = [];

  @Property({ type: 'timestamptz' })
  receivedAt!: Date;

  @Property({ type: 'blob', lazy: true })
  raw!: Buffer;

  @Property({ type: 'text' })
  rawContentType!: string;

  /** What the parser could not make sense of; the raw bytes hold the original. */
  @Property({ type: 'jsonb', defaultRaw: `'[]'` })
  parseProblems: string[] = [];

  @Property({ type: 'text', nullable: true })
  messageIdHash: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  cardId: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  processingStartedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;
}
