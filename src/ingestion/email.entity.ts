import { Entity, Enum, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { TenantOwnedEntity } from '../platform/db/tenant-owned.entity';
import { stringEnum } from '../platform/graphql/string-enum';

export const EMAIL_STATUSES = ['queued', 'processing', 'carded', 'duplicate', 'dead'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

export const IngestionStatus = stringEnum('IngestionStatus', EMAIL_STATUSES, 'Where an accepted email is: queued → processing → carded, duplicate or dead (dead-lettered).', {
  queued: 'Accepted and committed with its processing job; waiting for a worker.',
  processing: 'A worker is classifying it and building its card.',
  carded: 'On a Kanban card (`cardId`).',
  duplicate: 'Its Message-ID was seen before in this tenant; no new card ("Duplicate Ignored").',
  dead: 'Every attempt failed; it is in the dead-letter queue with a SyncError.',
});

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
@ObjectType({ description: 'An email as accepted by ingestion (its id is the tracking id).' })
@Entity({ tableName: 'emails' })
export class Email extends TenantOwnedEntity {
  @Field(() => IngestionStatus, { description: 'Processing status.' })
  @Enum({ items: () => [...EMAIL_STATUSES], type: 'text', default: 'queued' })
  status: EmailStatus = 'queued';

  @Field({ description: 'Subject line.' })
  @Property({ type: 'text' })
  subject!: string;

  @Field({ description: 'Sender address.' })
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

  @Field(() => String, { nullable: true, description: 'Message-ID header, when it had one.' })
  @Property({ type: 'text', nullable: true })
  messageId: string | null = null;

  @Field(() => String, { nullable: true, description: 'In-Reply-To header.' })
  @Property({ type: 'text', nullable: true })
  inReplyTo: string | null = null;

  @Property({ type: 'jsonb', defaultRaw: `'[]'` })
  referenceIds: string[] = [];

  @Field({ description: 'When the mail server received it (or when Pebble did).' })
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

  /** Failed processing attempts so far. */
  @Property({ type: 'integer', default: 0 })
  attempts: number = 0;

  @Property({ type: 'timestamptz', nullable: true })
  firstFailedAt: Date | null = null;
}
