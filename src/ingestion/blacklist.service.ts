import type { Database } from '../platform/db/database';
import { badInput, CommonError } from '../platform/errors/pebble-error';
import { BlacklistEntry, type BlacklistKind } from './blacklist-entry.entity';

const LOCAL_PART = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;

/** Classifies an operator's pattern: `bob@x.example`, `@x.example` or `*.x.example`, case-folded. */
export function parseBlacklistPattern(raw: string): { pattern: string; kind: BlacklistKind } {
  const pattern = raw.trim().toLowerCase();
  const invalid = () => badInput([{ field: 'pattern', message: 'must be an address (bob@x.example), @domain or *.domain' }]);
  if (pattern.startsWith('*.')) {
    if (!DOMAIN.test(pattern.slice(2))) throw invalid();
    return { pattern, kind: 'subdomain' };
  }
  if (pattern.startsWith('@')) {
    if (!DOMAIN.test(pattern.slice(1))) throw invalid();
    return { pattern, kind: 'domain' };
  }
  const [local, domain, ...rest] = pattern.split('@');
  // `*` is a legal local-part character, but `*@x.example` is surely meant as a wildcard, which it would not be.
  if (local === '*') throw badInput([{ field: 'pattern', message: 'use @x.example to block every address of a domain' }]);
  if (rest.length > 0 || !local || !domain || !LOCAL_PART.test(local) || !DOMAIN.test(domain)) throw invalid();
  return { pattern, kind: 'address' };
}

/** The global sender blacklist (no tenant): managed by operators and admins, read by ingestion. */
export class BlacklistService {
  /** `changed` lets this process see its own change at once; others learn of it through NOTIFY. */
  constructor(
    private readonly db: Database,
    private readonly changed: () => Promise<void> = async () => undefined,
  ) {}

  async add(raw: string): Promise<BlacklistEntry> {
    const { pattern, kind } = parseBlacklistPattern(raw);
    const em = this.db.orm.em.fork({ useContext: false });
    const existing = await em.findOne(BlacklistEntry, { pattern });
    if (existing) return existing;
    const entry = em.create(BlacklistEntry, { pattern, kind });
    await em.flush();
    await this.changed();
    return entry;
  }

  async remove(raw: string): Promise<void> {
    const { pattern } = parseBlacklistPattern(raw);
    const removed = await this.db.orm.em.fork({ useContext: false }).nativeDelete(BlacklistEntry, { pattern });
    if (removed === 0) throw new CommonError('NOT_FOUND', `${pattern} is not on the blacklist`);
    await this.changed();
  }

  list(): Promise<BlacklistEntry[]> {
    return this.db.orm.em.fork({ useContext: false }).find(BlacklistEntry, {}, { orderBy: { pattern: 'asc' } });
  }
}
