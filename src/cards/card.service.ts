import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ActivityEvent } from '../activity/activity-event.entity';
import { CATEGORIES } from '../classification/classifier';
import { Email } from '../ingestion/email.entity';
import type { AuthContext } from '../platform/context/auth-context';
import { Database } from '../platform/db/database';
import { notFound } from '../platform/errors/pebble-error';
import { parseInput } from '../platform/validation/parse-input';
import type { IndexQueue } from '../search/index-queue';
import { Card, CARD_COLUMNS } from './card.entity';

/** Roles that may move cards; integrations only feed email in. */
export const CARD_MOVERS = ['admin', 'manager', 'member'];

const listInput = z.object({
  column: z.enum(CARD_COLUMNS).nullish(),
  category: z.enum(CATEGORIES).nullish(),
  companyId: z.uuid().nullish(),
  first: z.number().int().min(1).max(100).default(20),
  after: z.uuid().nullish(),
});
export type ListCardsInput = z.input<typeof listInput>;

const moveInput = z.object({ id: z.uuid(), column: z.enum(CARD_COLUMNS) });

/** The Kanban board of the caller's tenant. */
export class CardService {
  constructor(
    private readonly db: Database,
    private readonly indexQueue: IndexQueue,
  ) {}

  /** Newest first; `after` is the id of the last card of the previous page. */
  list(auth: AuthContext, input: ListCardsInput): Promise<Card[]> {
    const { column, category, companyId, first, after } = parseInput(listInput, input);
    return this.db.withTenant(auth, async (em) => {
      // Keyset on (created_at, id): ids are random, so the id alone says nothing about age.
      const cursor = after ? await em.findOne(Card, { id: after }, { fields: ['createdAt'] }) : null;
      if (after && !cursor) throw notFound('Card', after);
      return em.find(
        Card,
        {
          ...(column ? { column } : {}),
          ...(category ? { category } : {}),
          ...(companyId ? { companyId } : {}),
          ...(cursor ? { $or: [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { $lt: cursor.id } }] } : {}),
        },
        { orderBy: { createdAt: 'desc', id: 'desc' }, limit: first },
      );
    });
  }

  get(auth: AuthContext, id: string): Promise<Card> {
    return this.db.withTenant(auth, async (em) => {
      const card = z.uuid().safeParse(id).success ? await em.findOne(Card, { id }) : null;
      if (!card) throw notFound('Card', id);
      return card;
    });
  }

  /** These cards of the caller's tenant, in the order given; ids that are not the tenant's cards are left out. */
  byIds(auth: AuthContext, ids: readonly string[]): Promise<Card[]> {
    return this.db.byIds(auth, Card, ids);
  }

  emails(auth: AuthContext, cardId: string): Promise<Email[]> {
    return this.db.withTenant(auth, (em) => em.find(Email, { cardId, status: 'carded' }, { orderBy: { createdAt: 'asc' }, exclude: ['raw'] as never }));
  }

  activity(auth: AuthContext, entityId: string): Promise<ActivityEvent[]> {
    return this.db.withTenant(auth, (em) => em.find(ActivityEvent, { entityId }, { orderBy: { occurredAt: 'asc', id: 'asc' } }));
  }

  move(auth: AuthContext, id: string, column: string): Promise<Card> {
    const input = parseInput(moveInput, { id, column });
    return this.db.withTenant(auth, async (em) => {
      const card = await em.findOne(Card, { id: input.id });
      if (!card) throw notFound('Card', id);
      if (card.column === input.column) return card;
      const from = card.column;
      card.column = input.column;
      const event = em.create(ActivityEvent, {
        id: randomUUID(),
        entityType: 'card',
        entityId: card.id,
        kind: 'card.moved',
        payload: { from, to: input.column, by: auth.userId },
        occurredAt: new Date(),
      });
      await em.flush();
      await this.indexQueue.queue(Database.runnerOf(em), auth.tenantId, auth.correlationId, [
        { type: 'card', id: card.id },
        { type: 'activity', id: event.id },
      ]);
      return card;
    });
  }
}
