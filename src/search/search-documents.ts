import { createHash } from 'node:crypto';
import type { SqlRunner } from '../platform/db/database';
import type { SearchRef, SearchType } from './search-ref';

/** The text of one object as the index sees it: what is embedded and what full-text search matches. */
export interface SearchDocument {
  type: SearchType;
  id: string;
  title: string;
  content: string;
  /** SHA-256 of title and content: an unchanged hash means there is nothing to re-embed. */
  contentHash: string;
  sourceSystem: string;
  correlationId: string;
}

/** Longest content kept per object; the start of a long email says what it is about, and vectors cannot hold more. */
export const MAX_CONTENT_CHARS = 20_000;
const MAX_TITLE_CHARS = 300;
const CARD_EMAIL_EXCERPT_CHARS = 1_000;
const MAX_ATTRIBUTE_LINES = 200;

type Row = Record<string, unknown>;
type Renderer = (row: Row) => { title: string; lines: (string | null)[] };

/** One query per type: the columns each renderer reads, for the ids asked, of the tenant asked (RLS checks it too). */
const LOADERS: Record<SearchType, { sql: string; render: Renderer }> = {
  email: {
    // Only what the sender wrote: processing changes an email's status, never its document.
    sql: `select id, source_system, correlation_id, subject, from_address, from_name, to_addresses, cc_addresses, body, attachments
          from emails where id = any($1::uuid[]) and tenant_id = $2`,
    render: (row) => ({
      title: text(row.subject) || '(no subject)',
      lines: [
        `From: ${row.from_name ? `${text(row.from_name)} <${text(row.from_address)}>` : text(row.from_address)}`,
        field('To', addresses(row.to_addresses)),
        field('Cc', addresses(row.cc_addresses)),
        `Subject: ${text(row.subject)}`,
        field('Attachments', list(row.attachments).map((attachment) => text((attachment as Row).name)).filter(Boolean).join(', ')),
        '',
        text(row.body),
      ],
    }),
  },
  card: {
    sql: `select c.id, c.source_system, c.correlation_id, c.title, c."column", c.category, c.priority, c.email_count,
            co.name as company_name, co.domain as company_domain, e.from_address, e.from_name, e.body
          from cards c left join companies co on co.id = c.company_id left join emails e on e.id = c.first_email_id
          where c.id = any($1::uuid[]) and c.tenant_id = $2`,
    render: (row) => ({
      title: text(row.title),
      lines: [
        `Card: ${text(row.title)}`,
        field('Column', row.column),
        field('Category', row.category),
        field('Priority', row.priority),
        field('Company', [row.company_name, row.company_domain].filter(Boolean).join(', ')),
        field('From', row.from_name ? `${text(row.from_name)} <${text(row.from_address)}>` : row.from_address),
        field('Emails', row.email_count),
        '',
        text(row.body).slice(0, CARD_EMAIL_EXCERPT_CHARS),
      ],
    }),
  },
  company: {
    sql: `select id, source_system, correlation_id, name, domain, external_id, attributes from companies where id = any($1::uuid[]) and tenant_id = $2`,
    render: (row) => ({
      title: text(row.name),
      lines: [`Company: ${text(row.name)}`, field('Domain', row.domain), field('External id', row.external_id), ...attributeLines(row.attributes)],
    }),
  },
  record: {
    sql: `select r.id, r.source_system, r.correlation_id, r.kind, r.external_id, r.title, r.attributes, co.name as company_name
          from business_records r left join companies co on co.id = r.company_id where r.id = any($1::uuid[]) and r.tenant_id = $2`,
    render: (row) => ({
      title: text(row.title) || `${text(row.kind)} ${text(row.external_id)}`,
      lines: [
        `${capitalise(text(row.kind))}: ${text(row.title) || text(row.external_id)}`,
        field('External id', row.external_id),
        field('Source system', row.source_system),
        field('Company', row.company_name),
        ...attributeLines(row.attributes),
      ],
    }),
  },
  activity: {
    sql: `select id, source_system, correlation_id, entity_type, entity_id, kind, payload, occurred_at from activity_events where id = any($1::uuid[]) and tenant_id = $2`,
    render: (row) => ({
      title: `${text(row.kind)} (${text(row.entity_type)})`,
      lines: [`Event: ${text(row.kind)}`, field('Entity', `${text(row.entity_type)} ${text(row.entity_id)}`), field('When', iso(row.occurred_at)), ...attributeLines(row.payload)],
    }),
  },
};

/**
 * Builds the documents of the given objects of one tenant, reading them inside the caller's transaction.
 * Objects that no longer exist are absent from the result.
 */
export async function loadDocuments(sql: SqlRunner, tenantId: string, refs: SearchRef[]): Promise<SearchDocument[]> {
  const documents: SearchDocument[] = [];
  for (const [type, ids] of groupIds(refs)) {
    const { sql: query, render } = LOADERS[type];
    const { rows } = await sql.query(query, [ids, tenantId]);
    for (const row of rows as Row[]) documents.push(toDocument(type, row, render(row)));
  }
  return documents;
}

function toDocument(type: SearchType, row: Row, { title, lines }: { title: string; lines: (string | null)[] }): SearchDocument {
  const cleanTitle = clean(title).slice(0, MAX_TITLE_CHARS);
  const content = clean(lines.filter((line): line is string => line !== null).join('\n')).slice(0, MAX_CONTENT_CHARS);
  return {
    type,
    id: String(row.id),
    title: cleanTitle,
    content,
    contentHash: createHash('sha256').update(cleanTitle).update('\0').update(content).digest('hex'),
    sourceSystem: text(row.source_system),
    correlationId: text(row.correlation_id),
  };
}

function groupIds(refs: SearchRef[]): Map<SearchType, string[]> {
  const groups = new Map<SearchType, Set<string>>();
  for (const { type, id } of refs) groups.set(type, (groups.get(type) ?? new Set()).add(id));
  return new Map([...groups].map(([type, ids]) => [type, [...ids]]));
}

/**
 * Structured data as `field: value` lines, nested keys joined with dots (`shipping.city: Berlin`), so a
 * record reads like text to the embedder and its values are words to full-text search.
 */
export function attributeLines(value: unknown): string[] {
  const lines: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (lines.length >= MAX_ATTRIBUTE_LINES) return;
    if (Array.isArray(node)) {
      if (node.every((item) => item === null || typeof item !== 'object')) lines.push(`${path}: ${node.map(String).join(', ')}`);
      else node.forEach((item, index) => walk(item, `${path}[${index}]`));
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) walk(child, path ? `${path}.${humanise(key)}` : humanise(key));
    } else if (node !== null && node !== undefined && node !== '') {
      lines.push(`${path || 'value'}: ${String(node)}`);
    }
  };
  walk(value, '');
  return lines;
}

/** `unit_price` and `unitPrice` → `unit price`: words the tokenizers of both halves split the same way. */
function humanise(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
}

function field(label: string, value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  return `${label}: ${value instanceof Date ? value.toISOString() : String(value)}`;
}

function addresses(value: unknown): string {
  return list(value)
    .map((item) => (typeof item === 'string' ? item : [text((item as Row).name), text((item as Row).address)].filter(Boolean).join(' ')))
    .join(', ');
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

function iso(value: unknown): string | null {
  return value instanceof Date ? value.toISOString() : value ? String(value) : null;
}

function capitalise(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

/** Snippet markers (\u0001, \u0002) are reserved for highlighting, and full-text search has no use for other control characters. */
function clean(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ').trim();
}
