import { randomUUID } from 'node:crypto';
import { Entity, Enum, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export const BLACKLIST_KINDS = ['address', 'domain', 'subdomain'] as const;
export type BlacklistKind = (typeof BLACKLIST_KINDS)[number];

/** A global sender block: `bob@x.example` (address), `@x.example` (domain) or `*.x.example` (subdomains). */
@Entity({ tableName: 'blacklist_entries' })
export class BlacklistEntry {
  [OptionalProps]?: 'id' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Case-folded pattern as entered. */
  @Property({ type: 'text' })
  @Unique()
  pattern!: string;

  @Enum({ items: () => [...BLACKLIST_KINDS], type: 'text' })
  kind!: BlacklistKind;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
