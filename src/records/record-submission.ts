import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isFreeMailDomain } from '../companies/company-domains';
import { RECORD_KINDS } from './business-record.entity';

/** The size limits of one call and one record, from config. */
export interface RecordLimits {
  maxPerCall: number;
  attributesMaxBytes: number;
}

/** Levels of objects and arrays in `attributes`, the object itself being the first. */
export const MAX_ATTRIBUTE_DEPTH = 8;
const MAX_ATTRIBUTE_KEY_CHARS = 100;
const MAX_EXTERNAL_ID_CHARS = 200;
const MAX_TITLE_CHARS = 500;
const SOURCE_SYSTEM = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

const externalId = z.string().trim().min(1, 'must not be empty').max(MAX_EXTERNAL_ID_CHARS, `must be at most ${MAX_EXTERNAL_ID_CHARS} characters`);

function attributesSchema(maxBytes: number) {
  return z.record(z.string().max(MAX_ATTRIBUTE_KEY_CHARS, `keys must be at most ${MAX_ATTRIBUTE_KEY_CHARS} characters`), z.unknown()).superRefine((value, ctx) => {
    // Depth first: it stops descending at the limit, where serialising a hostile value could exhaust the stack.
    if (depthExceeds(value, MAX_ATTRIBUTE_DEPTH)) {
      ctx.addIssue({ code: 'custom', message: `must nest objects and arrays at most ${MAX_ATTRIBUTE_DEPTH} levels deep` });
    } else if (Buffer.byteLength(JSON.stringify(value)) > maxBytes) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${maxBytes} bytes as JSON` });
    }
  });
}

/** `{ records: [...] }`, the body of `POST /api/v1/records/`; each record is parsed on its own (`recordSchema`). */
export function recordBatchSchema(limits: RecordLimits) {
  return z.strictObject({
    records: z
      .array(z.unknown())
      .min(1, 'must hold at least one record')
      .max(limits.maxPerCall, `must hold at most ${limits.maxPerCall} records per call`),
  });
}

/** One record; field names are the wire names, so errors name them. */
export function recordSchema(limits: RecordLimits) {
  return z
    .strictObject({
      source_system: z.string().regex(SOURCE_SYSTEM, 'must be a short lower-case name such as `salesforce`'),
      kind: z.enum(RECORD_KINDS, { message: `must be one of ${RECORD_KINDS.join(', ')}` }),
      external_id: externalId,
      title: z.string().trim().max(MAX_TITLE_CHARS, `must be at most ${MAX_TITLE_CHARS} characters`).nullish(),
      attributes: attributesSchema(limits.attributesMaxBytes).default({}),
      company_external_id: externalId.nullish(),
    })
    .superRefine((record, ctx) => {
      if (record.kind === 'company' && record.company_external_id) {
        ctx.addIssue({ code: 'custom', path: ['company_external_id'], message: 'is only for records of other kinds: a company record is its own company' });
      }
    });
}

export type RecordSubmission = z.input<ReturnType<typeof recordSchema>>;
export type ParsedRecord = z.output<ReturnType<typeof recordSchema>>;

function depthExceeds(value: unknown, levelsLeft: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (levelsLeft === 0) return true;
  return Object.values(value).some((item) => depthExceeds(item, levelsLeft - 1));
}

/** Identifies what a record says; the key fields and the company link are compared on their own. */
export function contentHash(record: ParsedRecord): string {
  return createHash('sha256')
    .update(canonicalJson({ title: record.title ?? null, attributes: record.attributes }))
    .digest('hex');
}

/** JSON with object keys sorted, as jsonb stores them: the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The web domain an account's or a person's attributes name: `domain`, else the host of `website`, else the
 * domain of `email`; lower-cased, without `www.`. Anything that is not a domain name counts as none, and so
 * does a free-mail provider's: a contact at gmail.com belongs to no company by that.
 */
export function domainOf(attributes: Record<string, unknown>): string | null {
  const { domain, website, email } = attributes;
  const candidates = [
    typeof domain === 'string' ? domain : null,
    typeof website === 'string' ? hostOf(website) : null,
    typeof email === 'string' && email.includes('@') ? email.slice(email.lastIndexOf('@') + 1) : null,
  ];
  for (const candidate of candidates) {
    const normalized = candidate?.trim().toLowerCase().replace(/\.$/, '').replace(/^www\./, '');
    if (normalized && DOMAIN.test(normalized) && !isFreeMailDomain(normalized)) return normalized;
  }
  return null;
}

function hostOf(website: string): string | null {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(website.trim()) ? website.trim() : `http://${website.trim()}`).hostname;
  } catch {
    return null;
  }
}
