import { randomUUID } from 'node:crypto';
import { BeforeCreate, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { authContext } from '../context/auth-context';

/**
 * The Context Layer every tenant table shares. `tenantId`, `sourceSystem` and `correlationId` are filled
 * from the unit of work's AuthContext on insert, whatever the object was built with, so client input
 * can never choose them.
 */
@ObjectType({ description: 'Columns every tenant-owned record carries.' })
export abstract class TenantOwnedEntity {
  [OptionalProps]?: 'id' | 'tenantId' | 'sourceSystem' | 'correlationId' | 'createdAt' | 'updatedAt' | 'active' | 'attributes';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', fieldName: 'tenant_id' })
  tenantId!: string;

  @Field({ description: 'The system this record came from, e.g. `api`, `email-listener`, `salesforce`.' })
  @Property({ type: 'text' })
  sourceSystem!: string;

  @Field({ description: 'The request or job that wrote this record, for tracing across systems.' })
  @Property({ type: 'text' })
  correlationId!: string;

  @Field({ description: 'When the record was created.' })
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field({ description: 'When the record was last changed.' })
  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @BeforeCreate()
  protected fillContextLayer(): void {
    const auth = authContext.require();
    this.tenantId = auth.tenantId;
    this.sourceSystem = auth.sourceSystem;
    this.correlationId = auth.correlationId;
  }
}
