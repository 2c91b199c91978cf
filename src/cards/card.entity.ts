import { Entity, Enum, Index, Property } from '@mikro-orm/core';
import { Field, Float, ObjectType } from 'type-graphql';
import { CATEGORIES, PRIORITIES, type Category, type Priority } from '../classification/classifier';
import { TenantOwnedEntity } from '../platform/db/tenant-owned.entity';
import { stringEnum } from '../platform/graphql/string-enum';

export const CARD_COLUMNS = ['inbox', 'triage', 'in_progress', 'waiting', 'done', 'archived'] as const;
export type CardColumn = (typeof CARD_COLUMNS)[number];

export const CardColumnEnum = stringEnum('CardColumn', CARD_COLUMNS, 'Kanban column; new cards start in `inbox`.', {
  inbox: 'New, not looked at yet.',
  triage: 'Being assessed.',
  in_progress: 'Someone is working on it.',
  waiting: 'Waiting for the customer or a third party.',
  done: 'Handled.',
  archived: 'Out of the way, kept for history.',
});

export const CategoryEnum = stringEnum('EmailCategory', CATEGORIES, 'What an email is about, as classified.', {
  lead: 'A prospect asking about buying.',
  support: 'A customer needing help with a product or service.',
  order: 'An order, its change, delivery or status.',
  invoice: 'Billing, payment or an invoice.',
  complaint: 'Dissatisfaction that needs a response.',
  other: 'None of the above.',
});

export const PriorityEnum = stringEnum('Priority', PRIORITIES, 'How soon a card needs attention.', {
  low: 'When there is time.',
  normal: 'In the usual course.',
  high: 'Soon.',
  urgent: 'Now.',
});

/** A Kanban card: one per unique email, or per thread when replies arrive. */
@ObjectType({ description: 'A Kanban card made from an email and its thread.' })
@Entity({ tableName: 'cards' })
@Index({ name: 'cards_tenant_id_column_index', properties: ['tenantId', 'column', 'id'] })
export class Card extends TenantOwnedEntity {
  @Field(() => CardColumnEnum, { description: 'Current column.' })
  @Enum({ items: () => [...CARD_COLUMNS], type: 'text', fieldName: 'column', default: 'inbox' })
  column: CardColumn = 'inbox';

  @Field({ description: 'Title: the subject of the first email.' })
  @Property({ type: 'text' })
  title!: string;

  @Field(() => CategoryEnum, { description: 'Category of the first email.' })
  @Enum({ items: () => [...CATEGORIES], type: 'text' })
  category!: Category;

  @Field(() => PriorityEnum, { description: 'Priority of the first email.' })
  @Enum({ items: () => [...PRIORITIES], type: 'text' })
  priority!: Priority;

  @Field(() => Float, { description: 'Sentiment of the first email, -1 (negative) to 1 (positive).' })
  @Property({ type: 'double' })
  sentiment!: number;

  @Field(() => String, { nullable: true, description: 'The company of the sender, matched by email domain.' })
  @Property({ type: 'uuid', nullable: true })
  companyId: string | null = null;

  @Field({ description: 'The email the card was made from.' })
  @Property({ type: 'uuid' })
  firstEmailId!: string;

  /** The hash of the first email's Message-ID (or content), shared by the thread. */
  @Field({ description: 'Identifies the thread: the hash of its first email\'s Message-ID.' })
  @Property({ type: 'text' })
  threadKey!: string;

  @Field({ description: 'Emails on this card.' })
  @Property({ type: 'integer', default: 1 })
  emailCount: number = 1;
}
