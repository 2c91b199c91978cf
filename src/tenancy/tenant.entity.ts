import { randomUUID } from 'node:crypto';
import { Check, Entity, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';

/** A legal entity. Global: the one table without a tenant column besides the sender blacklist. */
@ObjectType({ description: 'A legal entity whose data is isolated from every other tenant.' })
@Entity({ tableName: 'tenants' })
@Check({ name: 'tenants_slug_check', expression: "slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'" })
@Check({ name: 'tenants_name_check', expression: 'length(name) >= 1 and length(name) <= 200' })
export class Tenant {
  [OptionalProps]?: 'id' | 'createdAt';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field({ description: 'Short unique handle, lowercase letters, digits and dashes.' })
  @Property({ type: 'text' })
  @Unique({ name: 'tenants_slug_key' })
  slug!: string;

  @Field({ description: 'Display name.' })
  @Property({ type: 'text' })
  name!: string;

  @Field({ description: 'When the tenant was created.' })
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
