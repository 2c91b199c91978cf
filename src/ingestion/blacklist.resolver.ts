import { Arg, Authorized, Mutation, Query, Resolver } from 'type-graphql';
import { BlacklistEntry } from './blacklist-entry.entity';
import type { BlacklistService } from './blacklist.service';

/** The blacklist is global (it protects every tenant), so only admins see or change it. */
@Resolver(() => BlacklistEntry)
export class BlacklistResolver {
  constructor(private readonly service: BlacklistService) {}

  @Authorized('admin')
  @Query(() => [BlacklistEntry], { description: 'The global sender blacklist, by pattern (admin).' })
  blacklistEntries(): Promise<BlacklistEntry[]> {
    return this.service.list();
  }

  @Authorized('admin')
  @Mutation(() => BlacklistEntry, { description: 'Blocks a sender for every tenant; adding an existing pattern returns it (admin).' })
  addBlacklistEntry(@Arg('pattern', { description: '`bob@x.example`, `@x.example` or `*.x.example`.' }) pattern: string): Promise<BlacklistEntry> {
    return this.service.add(pattern);
  }

  @Authorized('admin')
  @Mutation(() => Boolean, { description: 'Unblocks a pattern; NOT_FOUND when it is not on the blacklist (admin).' })
  async removeBlacklistEntry(@Arg('pattern', { description: 'The pattern as listed.' }) pattern: string): Promise<boolean> {
    await this.service.remove(pattern);
    return true;
  }
}
