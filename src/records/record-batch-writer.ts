import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { SearchRef } from '../search/search-ref';
import { columns, linkCompanies, type IndexedRecord } from './record-companies';
import { canonicalJson, contentHash } from './record-submission';

export type UpsertStatus = 'created' | 'updated' | 'unchanged';

/** What became of one record of a call. */
export interface StoredRecord {
  index: number;
  id: string;
  status: UpsertStatus;
}

export interface RecordsWritten {
  stored: StoredRecord[];
  /** Everything created or changed, to be indexed in the same transaction. */
  refs: SearchRef[];
}

interface ExistingRow {
  id: string;
  source_system: string;
  kind: string;
  external_id: string;
  title: string | null;
  attributes: Record<string, unknown>;
  content_hash: string;
  company_id: string | null;
}

interface PendingWrite {
  index: number;
  id: string;
  key: string;
  hash: string;
  companyId: string | null;
  previous: ExistingRow | undefined;
  item: IndexedRecord;
}

/**
 * Upserts one call's valid records (no two with the same key) in the caller's transaction, with a fixed
 * number of statements whatever their count. A record whose content hash and company are unchanged is not
 * written at all, so its `updated_at` stays and no event is recorded.
 */
export async function writeRecords(client: PoolClient, tenantId: string, correlationId: string, items: IndexedRecord[]): Promise<RecordsWritten> {
  const keyed = items.map((item) => ({ item, key: keyOf(item.record.source_system, item.record.kind, item.record.external_id), hash: contentHash(item.record) }));
  const { rows: existingRows } = await client.query<ExistingRow>(
    `select r.id, r.source_system, r.kind, r.external_id, r.title, r.attributes, r.content_hash, r.company_id
     from business_records r
     join unnest($2::text[], $3::text[], $4::text[]) as k(source_system, kind, external_id)
       on r.source_system = k.source_system and r.kind = k.kind and r.external_id = k.external_id
     where r.tenant_id = $1`,
    [tenantId, ...columns(items, ({ record }) => [record.source_system, record.kind, record.external_id])],
  );
  const existing = new Map(existingRows.map((row) => [keyOf(row.source_system, row.kind, row.external_id), row]));
  const links = await linkCompanies(
    client,
    tenantId,
    correlationId,
    items,
    new Map(keyed.map(({ item, key }) => [item.index, existing.get(key)?.company_id ?? null])),
  );
  const companyOf = (item: IndexedRecord) => links.companyOf.get(item.index) ?? null;
  const differs = (row: ExistingRow | undefined, hash: string, companyId: string | null) => !row || row.content_hash !== hash || row.company_id !== companyId;

  // Rows about to change are locked and read again, so each event names the fields that really changed;
  // unchanged rows are never locked, which would be a write of its own.
  const changing = keyed.filter(({ item, key, hash }) => existing.has(key) && differs(existing.get(key), hash, companyOf(item)));
  if (changing.length > 0) {
    const { rows } = await client.query<ExistingRow>(
      `select id, source_system, kind, external_id, title, attributes, content_hash, company_id
       from business_records where id = any($1::uuid[]) order by id for update`,
      [changing.map(({ key }) => existing.get(key)!.id)],
    );
    for (const row of rows) existing.set(keyOf(row.source_system, row.kind, row.external_id), row);
  }

  const stored = new Map<number, StoredRecord>();
  const writes: PendingWrite[] = [];
  for (const { item, key, hash } of keyed) {
    const previous = existing.get(key);
    const companyId = companyOf(item);
    if (differs(previous, hash, companyId)) {
      writes.push({ index: item.index, id: previous?.id ?? randomUUID(), key, hash, companyId, previous, item });
    } else {
      stored.set(item.index, { index: item.index, id: previous!.id, status: 'unchanged' });
    }
  }

  const written = new Map<string, { id: string; created: boolean }>();
  if (writes.length > 0) {
    const { rows } = await client.query<{ id: string; source_system: string; kind: string; external_id: string; created: boolean }>(
      `insert into business_records as r (id, tenant_id, source_system, correlation_id, kind, external_id, title, attributes, content_hash, company_id)
       select x.id, $1, x.source_system, $2, x.kind, x.external_id, x.title, x.attributes, x.content_hash, x.company_id
       from unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::text[], $10::uuid[])
         as x(id, source_system, kind, external_id, title, attributes, content_hash, company_id)
       order by x.source_system, x.kind, x.external_id
       on conflict (tenant_id, source_system, kind, external_id) do update
         set title = excluded.title, attributes = excluded.attributes, content_hash = excluded.content_hash,
           company_id = excluded.company_id, correlation_id = excluded.correlation_id, updated_at = now()
         where (r.content_hash, r.company_id) is distinct from (excluded.content_hash, excluded.company_id)
       returning r.id, r.source_system, r.kind, r.external_id, (r.xmax = 0) as created`,
      [
        tenantId,
        correlationId,
        ...columns(writes, ({ id, hash, companyId, item: { record } }) => [
          id,
          record.source_system,
          record.kind,
          record.external_id,
          record.title ?? null,
          JSON.stringify(record.attributes),
          hash,
          companyId,
        ]),
      ],
    );
    for (const row of rows) written.set(keyOf(row.source_system, row.kind, row.external_id), { id: row.id, created: row.created });
  }

  // A concurrent call can have written the same content first (a new record, or one read before its change):
  // nothing was written, and the id is read here.
  const raced = writes.filter((write) => !written.has(write.key));
  if (raced.length > 0) {
    const { rows } = await client.query<{ id: string; source_system: string; kind: string; external_id: string }>(
      `select r.id, r.source_system, r.kind, r.external_id from business_records r
       join unnest($2::text[], $3::text[], $4::text[]) as k(source_system, kind, external_id)
         on r.source_system = k.source_system and r.kind = k.kind and r.external_id = k.external_id
       where r.tenant_id = $1`,
      [tenantId, ...columns(raced, ({ item: { record } }) => [record.source_system, record.kind, record.external_id])],
    );
    const ids = new Map(rows.map((row) => [keyOf(row.source_system, row.kind, row.external_id), row.id]));
    for (const write of raced) stored.set(write.index, { index: write.index, id: ids.get(write.key)!, status: 'unchanged' });
  }

  const events: { id: string; sourceSystem: string; recordId: string; payload: string }[] = [];
  for (const write of writes.filter((candidate) => written.has(candidate.key))) {
    const { id, created } = written.get(write.key)!;
    const status = created ? 'created' : 'updated';
    stored.set(write.index, { index: write.index, id, status });
    const { record } = write.item;
    events.push({
      id: randomUUID(),
      sourceSystem: record.source_system,
      recordId: id,
      payload: JSON.stringify({
        kind: record.kind,
        externalId: record.external_id,
        sourceSystem: record.source_system,
        status,
        ...changes(write),
        companyId: write.companyId,
      }),
    });
  }
  if (events.length > 0) {
    await client.query(
      `insert into activity_events (id, tenant_id, source_system, correlation_id, entity_type, entity_id, kind, payload)
       select x.id, $1, x.source_system, $2, 'record', x.record_id, 'record.upserted', x.payload
       from unnest($3::uuid[], $4::text[], $5::uuid[], $6::jsonb[]) with ordinality as x(id, source_system, record_id, payload, position)
       order by x.position`,
      [tenantId, correlationId, ...columns(events, (event) => [event.id, event.sourceSystem, event.recordId, event.payload])],
    );
  }

  return {
    stored: [...stored.values()].sort((a, b) => a.index - b.index),
    refs: [
      ...events.map((event): SearchRef => ({ type: 'record', id: event.recordId })),
      ...links.changed.map((id): SearchRef => ({ type: 'company', id })),
      ...events.map((event): SearchRef => ({ type: 'activity', id: event.id })),
    ],
  };
}

/**
 * Which fields differ from the stored record, and which top-level attributes. A new record (or one a
 * concurrent call inserted between our read and write) reports every field it sets.
 */
function changes({ previous, companyId, item: { record } }: PendingWrite): { changedFields: string[]; changedAttributes: string[] } {
  const title = record.title ?? null;
  if (!previous) {
    return {
      changedFields: [...(title !== null ? ['title'] : []), 'attributes', ...(companyId !== null ? ['company_id'] : [])],
      changedAttributes: Object.keys(record.attributes).sort(),
    };
  }
  const before = previous.attributes;
  const after = record.attributes;
  const changedAttributes = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((key) => (key in before) !== (key in after) || canonicalJson(before[key]) !== canonicalJson(after[key]))
    .sort();
  return {
    changedFields: [
      ...(previous.title !== title ? ['title'] : []),
      ...(changedAttributes.length > 0 ? ['attributes'] : []),
      ...(previous.company_id !== companyId ? ['company_id'] : []),
    ],
    changedAttributes,
  };
}

function keyOf(sourceSystem: string, kind: string, externalId: string): string {
  return JSON.stringify([sourceSystem, kind, externalId]);
}
