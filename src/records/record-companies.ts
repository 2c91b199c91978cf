import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { parentDomains } from '../companies/company-domains';
import { canonicalJson, domainOf, type ParsedRecord } from './record-submission';

/** A valid record of a call, with its position in the request. */
export interface IndexedRecord {
  index: number;
  record: ParsedRecord;
}

export interface CompanyLinks {
  /** The Company of each record (by request index); absent when it belongs to none. */
  companyOf: Map<number, string>;
  /** Companies created or changed, for indexing. */
  changed: string[];
}

interface CompanyRow {
  id: string;
  name: string;
  domain: string | null;
  external_id: string | null;
  source_system: string;
  attributes: Record<string, unknown>;
}

interface CompanyState extends CompanyRow {
  created: boolean;
  dirty: boolean;
}

/**
 * Upserts the Company of each `company` record and finds the Company of every other record, with a fixed
 * number of statements. A company record keeps the Company it was linked to before; otherwise the Company
 * is matched by external id (one of the same source system first), then by exact domain, else created.
 * Other records link by `company_external_id`, then by their domain or a parent of it.
 *
 * `previousCompanyOf` holds the stored company link of records that already exist, by request index.
 * Runs in the caller's transaction, after its tenant was set.
 */
export async function linkCompanies(
  client: PoolClient,
  tenantId: string,
  correlationId: string,
  records: IndexedRecord[],
  previousCompanyOf: Map<number, string | null>,
): Promise<CompanyLinks> {
  const accounts = records.filter(({ record }) => record.kind === 'company');
  const others = records.filter(({ record }) => record.kind !== 'company');
  const externalIds = [
    ...accounts.map(({ record }) => record.external_id),
    ...others.flatMap(({ record }) => (record.company_external_id ? [record.company_external_id] : [])),
  ];
  const domains = [
    ...accounts.flatMap(({ record }) => domainOf(record.attributes) ?? []),
    ...others.flatMap(({ record }) => parentDomains(domainOf(record.attributes) ?? '')),
  ];
  const previousIds = accounts.flatMap(({ index }) => previousCompanyOf.get(index) ?? []);
  if (externalIds.length === 0 && domains.length === 0) return { companyOf: new Map(), changed: [] };

  if (accounts.length > 0) {
    // Companies have no unique key to upsert on: two calls creating the same company must take turns. Only
    // this path updates companies, so the lock also keeps the rows read below current without locking them.
    await client.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`pebble.records.companies:${tenantId}`]);
  }
  const { rows } = await client.query<CompanyRow>(
    `select id, name, domain, external_id, source_system, attributes from companies
     where tenant_id = $1 and (id = any($2::uuid[]) or external_id = any($3::text[]) or domain = any($4::text[]))
     order by created_at, id`,
    [tenantId, [...new Set(previousIds)], [...new Set(externalIds)], [...new Set(domains)]],
  );
  const known = new Directory(rows.map((row) => ({ ...row, created: false, dirty: false })));

  const companyOf = new Map<number, string>();
  for (const { index, record } of accounts) {
    const domain = domainOf(record.attributes);
    const previous = previousCompanyOf.get(index);
    const company =
      (previous ? known.byId.get(previous) : undefined) ??
      known.withExternalId(record.external_id, record.source_system) ??
      (domain ? known.byDomain.get(domain) : undefined) ??
      known.add({ id: randomUUID(), name: '', domain, external_id: record.external_id, source_system: record.source_system, attributes: {}, created: true, dirty: false });
    apply(company, {
      name: record.title || nameAttribute(record.attributes) || record.external_id,
      domain: domain ?? company.domain,
      external_id: company.external_id ?? record.external_id,
      // Merged, not replaced: a company may be fed by several source systems and by users.
      attributes: { ...company.attributes, ...record.attributes },
    });
    known.index(company);
    companyOf.set(index, company.id);
  }
  for (const { index, record } of others) {
    const byExternalId = record.company_external_id ? known.withExternalId(record.company_external_id, record.source_system) : undefined;
    const company = byExternalId ?? parentDomains(domainOf(record.attributes) ?? '').map((domain) => known.byDomain.get(domain)).find(Boolean);
    if (company) companyOf.set(index, company.id);
  }

  const created = known.all().filter((company) => company.created);
  const updated = known.all().filter((company) => company.dirty && !company.created);
  if (created.length > 0) {
    await client.query(
      `insert into companies (id, tenant_id, source_system, correlation_id, name, domain, external_id, attributes)
       select x.id, $1, x.source_system, $2, x.name, x.domain, x.external_id, x.attributes
       from unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[]) as x(id, source_system, name, domain, external_id, attributes)`,
      [tenantId, correlationId, ...columns(created, (c) => [c.id, c.source_system, c.name, c.domain, c.external_id, JSON.stringify(c.attributes)])],
    );
  }
  if (updated.length > 0) {
    await client.query(
      `update companies c set name = x.name, domain = x.domain, external_id = x.external_id, attributes = x.attributes,
         correlation_id = $1, updated_at = now()
       from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[]) as x(id, name, domain, external_id, attributes)
       where c.id = x.id`,
      [correlationId, ...columns(updated, (c) => [c.id, c.name, c.domain, c.external_id, JSON.stringify(c.attributes)])],
    );
  }
  return { companyOf, changed: [...created, ...updated].map((company) => company.id) };
}

/** The companies a call can see: those read, plus those it creates as it goes, so later records find them. */
class Directory {
  readonly byId = new Map<string, CompanyState>();
  readonly byDomain = new Map<string, CompanyState>();
  private readonly byExternalId = new Map<string, CompanyState[]>();

  constructor(rows: CompanyState[]) {
    // Oldest first, so the oldest of several candidates is the one found.
    rows.forEach((row) => this.add(row));
  }

  add(company: CompanyState): CompanyState {
    this.byId.set(company.id, company);
    this.index(company);
    return company;
  }

  /** Makes a company findable by its current external id and domain; the first company to claim one keeps it. */
  index(company: CompanyState): void {
    if (company.domain && !this.byDomain.has(company.domain)) this.byDomain.set(company.domain, company);
    if (company.external_id) {
      const list = this.byExternalId.get(company.external_id) ?? [];
      if (!list.includes(company)) this.byExternalId.set(company.external_id, [...list, company]);
    }
  }

  /** External ids are only unique within a source system: one from the same system wins. */
  withExternalId(externalId: string, sourceSystem: string): CompanyState | undefined {
    const list = this.byExternalId.get(externalId) ?? [];
    return list.find((company) => company.source_system === sourceSystem) ?? list[0];
  }

  all(): CompanyState[] {
    return [...this.byId.values()];
  }
}

function apply(company: CompanyState, next: Pick<CompanyRow, 'name' | 'domain' | 'external_id' | 'attributes'>): void {
  const changed =
    company.name !== next.name ||
    company.domain !== next.domain ||
    company.external_id !== next.external_id ||
    canonicalJson(company.attributes) !== canonicalJson(next.attributes);
  if (!changed) return;
  Object.assign(company, next);
  company.dirty = true;
}

function nameAttribute(attributes: Record<string, unknown>): string | null {
  return typeof attributes.name === 'string' && attributes.name.trim() !== '' ? attributes.name.trim() : null;
}

/** Rows → one array per column, for `unnest`. */
export function columns<T>(rows: T[], values: (row: T) => unknown[]): unknown[][] {
  const result: unknown[][] = [];
  rows.forEach((row) => values(row).forEach((value, column) => (result[column] ??= []).push(value)));
  return result;
}
