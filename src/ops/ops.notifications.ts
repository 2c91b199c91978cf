import type { SqlRunner } from '../platform/db/database';

/** Postgres channel for live operations figures; the payload names the tenant, so subscribers filter on it. */
export const OPS_CHANNEL = 'pebble_ops';

/**
 * What `pebble_ops` carries, as JSON: `dlq` after a dead letter is recorded, replayed or resolved (with the
 * tenant's new open count); `queue` when the tenant's `email_processing` jobs were queued or started.
 */
export type OpsNotification = { topic: 'dlq'; tenantId: string; dlqCount: number } | { topic: 'queue'; tenantId: string };

/**
 * Announces, in the caller's transaction, that these tenants' queue depths changed. NOTIFY is delivered on
 * commit and Postgres folds identical notifications of one transaction into one.
 */
export async function notifyQueueChanged(runner: SqlRunner, tenantIds: readonly string[]): Promise<void> {
  if (tenantIds.length === 0) return;
  const payloads = [...new Set(tenantIds)].map((tenantId) => JSON.stringify({ topic: 'queue', tenantId } satisfies OpsNotification));
  await runner.query('select pg_notify($1, payload) from unnest($2::text[]) as payload', [OPS_CHANNEL, payloads]);
}
