import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { TestEnv } from '../setup/test-env';

export const RECORDS_URL = '/api/v1/records/';

/** One item of `POST /api/v1/records/`, wire names as a client sends them. */
export interface RecordBody {
  source_system?: unknown;
  kind?: unknown;
  external_id?: unknown;
  title?: unknown;
  attributes?: unknown;
  company_external_id?: unknown;
  [unknownField: string]: unknown;
}

/** A valid contact with an external id unique to this call. */
export function recordFactory(overrides: RecordBody = {}): RecordBody {
  const id = randomUUID().slice(0, 8);
  return {
    source_system: 'salesforce',
    kind: 'contact',
    external_id: `003-${id}`,
    title: `Contact ${id}`,
    attributes: { phone: '+49 30 1234567', stage: 'lead' },
    ...overrides,
  };
}

/** A company record with a domain unique to this call. */
export function companyRecordFactory(overrides: RecordBody = {}): RecordBody {
  const id = randomUUID().slice(0, 8);
  return recordFactory({ kind: 'company', external_id: `001-${id}`, title: `Acme ${id}`, attributes: { domain: `acme-${id}.example` }, ...overrides });
}

/** POSTs `{records}` (or the exact bytes of a string or Buffer) through the real app; no token → no Authorization header. */
export function postRecords(env: TestEnv, token: string | undefined, body: { records: unknown } | string | Buffer): Promise<LightMyRequestResponse> {
  return env.api.app.inject({
    method: 'POST',
    url: RECORDS_URL,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
}

/** `GET /api/v1/records/<id>/`. */
export function getRecord(env: TestEnv, token: string, id: string): Promise<LightMyRequestResponse> {
  return env.api.app.inject({ method: 'GET', url: `${RECORDS_URL}${encodeURIComponent(id)}/`, headers: { authorization: `Bearer ${token}` } });
}

export const UPSERT_RECORDS = `
  mutation UpsertRecords($input: [RecordInput!]!) {
    upsertRecords(input: $input) { stored { index id status } rejected { index field message } }
  }`;

export const RECORD = `
  query Record($id: ID!) {
    record(id: $id) { id sourceSystem kind externalId title attributes companyId correlationId createdAt updatedAt }
  }`;

export const RECORDS = `
  query Records($kind: RecordKind, $companyId: ID, $first: Int, $after: ID) {
    records(kind: $kind, companyId: $companyId, first: $first, after: $after) { id kind externalId companyId }
  }`;

/** A row of `business_records`, seen by the owner (all tenants). */
export interface RecordRow {
  id: string;
  tenant_id: string;
  source_system: string;
  correlation_id: string;
  kind: string;
  external_id: string;
  title: string | null;
  attributes: Record<string, unknown>;
  content_hash: string;
  company_id: string | null;
  /** As Postgres prints it, to the microsecond. */
  created_at: string;
  updated_at: string;
  /** The row version: it changes with every write, even one of the same values. */
  xmin: string;
}

export async function storedRecord(env: TestEnv, id: string): Promise<RecordRow> {
  const rows = await env.ownerDb.query<RecordRow>('select *, xmin::text as xmin from business_records where id = ?', [id]);
  expect(rows).toHaveLength(1);
  return rows[0];
}

/** The records of a tenant with this key, seen by the owner. */
export function recordsWithKey(env: TestEnv, tenantId: string, sourceSystem: string, kind: string, externalId: string): Promise<RecordRow[]> {
  return env.ownerDb.query<RecordRow>('select * from business_records where tenant_id = ? and source_system = ? and kind = ? and external_id = ?', [
    tenantId,
    sourceSystem,
    kind,
    externalId,
  ]);
}

export interface EventRow {
  id: string;
  tenant_id: string;
  source_system: string;
  correlation_id: string;
  entity_type: string;
  entity_id: string;
  kind: string;
  payload: Record<string, unknown>;
}

/** The ActivityStream entries about one record, oldest first. */
export function recordEvents(env: TestEnv, recordId: string): Promise<EventRow[]> {
  return env.ownerDb.query<EventRow>('select * from activity_events where entity_id = ? order by occurred_at, id', [recordId]);
}

/** The refs (`<type>:<id>`) of each of the tenant's `index_activity` jobs, oldest job first. */
export async function indexJobs(env: TestEnv, tenantId: string): Promise<string[][]> {
  const jobs = await env.ownerDb.query<{ data: { refs: string[] } }>(
    `select data from pgboss.job where name = 'index_activity' and data->>'tenantId' = ? order by created_on, id`,
    [tenantId],
  );
  return jobs.map((job) => job.data.refs);
}

/** Every ref of the tenant's `index_activity` jobs. */
export async function indexedRefs(env: TestEnv, tenantId: string): Promise<string[]> {
  return (await indexJobs(env, tenantId)).flat();
}

export interface CompanyRow {
  id: string;
  tenant_id: string;
  source_system: string;
  name: string;
  domain: string | null;
  external_id: string | null;
  attributes: Record<string, unknown>;
  updated_at: string;
}

export function companiesOf(env: TestEnv, tenantId: string): Promise<CompanyRow[]> {
  return env.ownerDb.query<CompanyRow>('select * from companies where tenant_id = ? order by created_at, id', [tenantId]);
}
