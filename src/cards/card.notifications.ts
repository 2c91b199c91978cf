import type { SqlRunner } from '../platform/db/database';

/** Postgres channel of new cards; the payload names the tenant, so subscribers filter on it. */
export const CARDS_CHANNEL = 'pebble_cards';

/** What `pebble_cards` carries, as JSON: ids only, the api loads the cards under the tenant's RLS. */
export interface CardsCreatedNotification {
  tenantId: string;
  cardIds: string[];
}

/** A uuid costs 39 bytes in the JSON array: 150 of them stay far below Postgres's 8000-byte payload limit. */
const IDS_PER_NOTIFICATION = 150;

/** Announces new cards in the transaction that writes them, so listeners hear of them on commit only. */
export async function notifyCardsCreated(runner: SqlRunner, tenantId: string, cardIds: readonly string[]): Promise<void> {
  if (cardIds.length === 0) return;
  const payloads: string[] = [];
  for (let start = 0; start < cardIds.length; start += IDS_PER_NOTIFICATION) {
    payloads.push(JSON.stringify({ tenantId, cardIds: cardIds.slice(start, start + IDS_PER_NOTIFICATION) } satisfies CardsCreatedNotification));
  }
  await runner.query('select pg_notify($1, payload) from unnest($2::text[]) as payload', [CARDS_CHANNEL, payloads]);
}
