import { Check, Entity, Enum, Index, Property, Unique } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { ROLES, type Role } from '../platform/context/auth-context';
import { TenantOwnedEntity } from '../platform/db/tenant-owned.entity';

export enum UserRole {
  admin = 'admin',
  manager = 'manager',
  member = 'member',
  integration = 'integration',
}
registerEnumType(UserRole, {
  name: 'UserRole',
  description: 'What a user may do: admin > manager > member; integration is for machine clients.',
  valuesConfig: {
    admin: { description: 'Full access within the tenant.' },
    manager: { description: "Reads and writes the tenant's business data." },
    member: { description: "Reads the tenant's data; writes only where a feature allows members to." },
    integration: { description: 'A machine client, e.g. a CRM or ERP sync, that writes business data.' },
  },
});

@ObjectType({ description: 'A person or machine client belonging to one tenant.' })
@Entity({ tableName: 'users' })
@Index({ properties: ['tenantId'] })
@Check({ name: 'users_email_check', expression: 'email = lower(email)' })
export class User extends TenantOwnedEntity {
  /** Case-folded and unique across tenants, because login happens before the tenant is known. */
  @Field({ description: 'Login email, lower-cased.' })
  @Property({ type: 'text' })
  @Unique({ name: 'users_email_key' })
  email!: string;

  @Property({ type: 'text', hidden: true, lazy: true })
  passwordHash!: string;

  @Field(() => UserRole, { description: 'The role that decides what this user may do.' })
  @Enum({ items: () => [...ROLES], type: 'text' })
  role!: Role;

  @Field({ description: 'Inactive users cannot log in or refresh tokens.' })
  @Property({ type: 'boolean' })
  active: boolean = true;

  @Field(() => Date, { nullable: true, description: 'Last successful login.' })
  @Property({ type: 'timestamptz', nullable: true })
  lastLoginAt: Date | null = null;
}
