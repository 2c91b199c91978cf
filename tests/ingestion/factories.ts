import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import type { TestEnv } from '../setup/test-env';

export const INGEST_URL = '/api/v1/ingestion/email/';

/** The JSON body of `POST /api/v1/ingestion/email/`, wire names as a client sends them. */
export interface EmailSubmissionBody {
  subject?: unknown;
  from?: unknown;
  body?: unknown;
  attachment_urls?: unknown;
  message_id?: unknown;
  in_reply_to?: unknown;
  references?: unknown;
  to?: unknown;
  cc?: unknown;
  received_at?: unknown;
  source_system?: unknown;
  [unknownField: string]: unknown;
}

/** A valid submission with only the required fields and a Message-ID unique to this call. */
export function emailFactory(overrides: EmailSubmissionBody = {}): EmailSubmissionBody {
  const id = randomUUID();
  return {
    subject: `Order ${id.slice(0, 8)} is late`,
    from: 'Ann Lee <ann@customer.example>',
    body: 'Hello,\nour order has not arrived yet.\nAnn',
    message_id: `<${id}@acme.example>`,
    ...overrides,
  };
}

/**
 * POSTs a submission through the real app. An object is sent as JSON; a string or Buffer is sent as the exact
 * bytes (JSON content type unless `headers` says otherwise). No token → no Authorization header.
 */
export function ingest(
  env: TestEnv,
  token: string | undefined,
  body: EmailSubmissionBody | string | Buffer,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return env.api.app.inject({
    method: 'POST',
    url: INGEST_URL,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    payload,
  });
}

/** `GET /api/v1/ingestion/email/<id>/`. */
export function track(env: TestEnv, token: string, trackingId: string): Promise<LightMyRequestResponse> {
  return env.api.app.inject({ method: 'GET', url: `${INGEST_URL}${encodeURIComponent(trackingId)}/`, headers: { authorization: `Bearer ${token}` } });
}

/** The GraphQL mutation that ingests one email, with an optional Idempotency-Key. */
export const INGEST_EMAIL = `
  mutation IngestEmail($input: EmailInput!, $key: String) {
    ingestEmail(input: $input, idempotencyKey: $key) { trackingId status replayed }
  }`;

/** What `ingestEmail` answers. */
export interface Receipt {
  trackingId: string;
  status: string;
  replayed: boolean;
}

/** A row of the `emails` table as `storedEmail` reads it. */
export interface EmailRow {
  id: string;
  tenant_id: string;
  status: string;
  source_system: string;
  correlation_id: string;
  subject: string;
  from_address: string;
  from_name: string | null;
  to_addresses: string[];
  cc_addresses: string[];
  body: string;
  attachment_urls: string[];
  attachments: { name: string | null; type: string; size: number; sha256: string }[];
  message_id: string | null;
  in_reply_to: string | null;
  reference_ids: string[];
  received_at: Date;
  created_at: Date;
  raw: Buffer;
  raw_content_type: string;
  parse_problems: string[];
  /** `received_at = created_at` as Postgres compares them (to the microsecond). */
  received_is_created: boolean;
}

/** The stored email with this tracking id, seen by the owner (all tenants), times to the millisecond; fails unless there is exactly one. */
export async function storedEmail(env: TestEnv, trackingId: string): Promise<EmailRow> {
  const rows = await env.ownerDb.query<EmailRow & { received_ms: string; created_ms: string }>(
    `select *, extract(epoch from received_at) * 1000 as received_ms, extract(epoch from created_at) * 1000 as created_ms,
       received_at = created_at as received_is_created
     from emails where id = ?`,
    [trackingId],
  );
  expect(rows).toHaveLength(1);
  const { received_ms, created_ms, ...row } = rows[0];
  return { ...row, received_at: new Date(Number(received_ms)), created_at: new Date(Number(created_ms)) };
}

/** How many emails and `email_processing` jobs exist, seen by the owner (all tenants), optionally for one tenant. */
export async function storedCounts(env: TestEnv, tenantId?: string): Promise<{ emails: number; jobs: number }> {
  const [{ emails }] = await env.ownerDb.query<{ emails: string }>(
    `select count(*) as emails from emails ${tenantId ? 'where tenant_id = ?' : ''}`,
    tenantId ? [tenantId] : [],
  );
  const [{ jobs }] = await env.ownerDb.query<{ jobs: string }>(
    `select count(*) as jobs from pgboss.job where name = 'email_processing' ${tenantId ? `and data->>'tenantId' = ?` : ''}`,
    tenantId ? [tenantId] : [],
  );
  return { emails: Number(emails), jobs: Number(jobs) };
}

/** The current value of `pebble_ingestion_emails_total{outcome}` on /metrics (0 when not yet exported). */
export async function ingestionCounter(env: TestEnv, outcome: string): Promise<number> {
  const response = await env.api.app.inject({ method: 'GET', url: '/metrics' });
  const line = response.body.split('\n').find((l) => l.startsWith(`pebble_ingestion_emails_total{outcome="${outcome}"} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/**
 * The shared corpus of real messages (read in place, never copied into the repo): `PEBBLE_MAIL_CORPUS`, else
 * beside the checkout (`../shared/corpus`), else the workspace's copy, so a clone anywhere (CI) finds it.
 */
export function mailCorpus(): string {
  const candidates = [
    process.env.PEBBLE_MAIL_CORPUS,
    path.resolve(__dirname, '../../../shared/corpus/mail-fixtures'),
    '/work/shared/corpus/mail-fixtures',
  ].filter((candidate): candidate is string => Boolean(candidate));
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`Mail corpus not found; set PEBBLE_MAIL_CORPUS (looked in ${candidates.join(', ')})`);
  return found;
}
