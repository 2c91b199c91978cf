import { Entity, Index, Property } from '@mikro-orm/core';
import { TenantOwnedEntity } from '../platform/db/tenant-owned.entity';

/**
 * One issued refresh token; `id` is its `jti`. Tokens issued from one login form a family, so reuse of a
 * rotated token can revoke everything that login produced.
 */
@Entity({ tableName: 'refresh_tokens' })
@Index({ properties: ['familyId'] })
export class RefreshToken extends TenantOwnedEntity {
  @Property({ type: 'uuid' })
  familyId!: string;

  @Property({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  revokedReason: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  replacedBy: string | null = null;
}
