import { z } from 'zod';
import type { AuthContext } from '../platform/context/auth-context';
import { Database } from '../platform/db/database';
import { notFound } from '../platform/errors/pebble-error';
import { parseInput } from '../platform/validation/parse-input';
import type { IndexQueue } from '../search/index-queue';
import { Company } from './company.entity';
import { isFreeMailDomain } from './company-domains';

/** Roles that may create companies, on GraphQL and REST alike. */
export const COMPANY_WRITERS = ['admin', 'manager', 'integration'];

const MAX_ATTRIBUTES_BYTES = 16 * 1024;

export const companyInput = z.object({
  name: z.string().trim().min(1).max(200),
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .max(253)
    .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a domain name such as acme.example')
    .refine((domain) => !isFreeMailDomain(domain), 'must be the company\'s own domain, not a free-mail provider\'s such as gmail.com')
    .nullish(),
  externalId: z.string().trim().min(1).max(200).nullish(),
  attributes: z
    .record(z.string().max(100), z.unknown())
    .refine((value) => JSON.stringify(value).length <= MAX_ATTRIBUTES_BYTES, `must be at most ${MAX_ATTRIBUTES_BYTES} bytes as JSON`)
    .optional(),
});
export type CompanyInput = z.input<typeof companyInput>;

export const listCompaniesInput = z.object({
  first: z.number().int().min(1).max(100).default(20),
  after: z.string().uuid().nullish(),
});
export type ListCompaniesInput = z.input<typeof listCompaniesInput>;

/** CRM accounts of the caller's tenant. */
export class CompanyService {
  constructor(
    private readonly db: Database,
    private readonly indexQueue: IndexQueue,
  ) {}

  list(auth: AuthContext, args: ListCompaniesInput): Promise<Company[]> {
    const { first, after } = parseInput(listCompaniesInput, args);
    return this.db.withTenant(auth, (em) =>
      em.find(Company, after ? { id: { $gt: after } } : {}, { orderBy: { id: 'asc' }, limit: first }),
    );
  }

  get(auth: AuthContext, id: string): Promise<Company> {
    return this.db.withTenant(auth, async (em) => {
      const company = z.string().uuid().safeParse(id).success ? await em.findOne(Company, { id }) : null;
      if (!company) throw notFound('Company', id);
      return company;
    });
  }

  create(auth: AuthContext, input: CompanyInput): Promise<Company> {
    const { name, domain, externalId, attributes } = parseInput(companyInput, input);
    return this.db.withTenant(auth, async (em) => {
      const company = em.create(Company, { name, domain: domain ?? null, externalId: externalId ?? null, attributes: attributes ?? {} });
      await em.flush();
      await this.indexQueue.queue(Database.runnerOf(em), auth.tenantId, auth.correlationId, [{ type: 'company', id: company.id }]);
      return company;
    });
  }
}
