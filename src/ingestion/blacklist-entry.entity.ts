import { randomUUID } from 'node:crypto';
import { Check, Entity, Enum, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export const BLACKLIST_KINDS = ['address', 'domain', 'subdomain'] as const;
export type BlacklistKind = (typeof BLACKLIST_KINDS)[number];

/** A global sender block: `bob@x.example` (address), `@x.example` (domain) or `*.x.example` (subdomains). */
@Entity({ tableName: 'blacklist_entries' })
@Check({ name: 'blacklist_entries_pattern_check', expression: 'pattern = lower(pattern)' })
export class BlacklistEntry {
  [OptionalProps]?: 'id' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Case-folded pattern as entered. */
  @Property({ type: 'text' })
  @Unique({ name: 'blacklist_entries_pattern_key' })
  pattern!: string;

  @Enum({ items: () => [...BLACKLIST_KINDS], type: 'text' })
  kind!: BlacklistKind;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
