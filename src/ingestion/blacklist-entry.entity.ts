import { randomUUID } from 'node:crypto';
import { Check, Entity, Enum, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';

export const BLACKLIST_KINDS = ['address', 'domain', 'subdomain'] as const;
export type BlacklistKind = (typeof BLACKLIST_KINDS)[number];

/** A global sender block: `bob@x.example` (address), `@x.example` (domain) or `*.x.example` (subdomains). */
@ObjectType({ description: 'A global sender block, applied to every tenant\'s ingestion.' })
@Entity({ tableName: 'blacklist_entries' })
@Check({ name: 'blacklist_entries_pattern_check', expression: 'pattern = lower(pattern)' })
export class BlacklistEntry {
  [OptionalProps]?: 'id' | 'createdAt';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Case-folded pattern as entered. */
  @Field({ description: '`bob@x.example` (one address, any +tag), `@x.example` (that domain) or `*.x.example` (its subdomains), lower-case.' })
  @Property({ type: 'text' })
  @Unique({ name: 'blacklist_entries_pattern_key' })
  pattern!: string;

  @Field(() => String, { description: '`address`, `domain` or `subdomain`.' })
  @Enum({ items: () => [...BLACKLIST_KINDS], type: 'text' })
  kind!: BlacklistKind;

  @Field({ description: 'When the entry was added.' })
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
