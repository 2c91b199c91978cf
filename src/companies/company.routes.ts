import type { FastifyInstance } from 'fastify';
import type { Services } from '../services';
import { COMPANY_WRITERS, type CompanyInput } from './company.service';

const LIST_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { first: { type: 'string', pattern: '^[0-9]{1,3}$' }, after: { type: 'string', maxLength: 36 } },
} as const;

export function companyRoutes(app: FastifyInstance, { companies }: Services): void {
  app.get<{ Querystring: { first?: string; after?: string } }>('/api/v1/companies/', { schema: { querystring: LIST_QUERY } }, (request) =>
    companies.list(request.auth!, { first: request.query.first ? Number(request.query.first) : undefined, after: request.query.after }),
  );

  app.get<{ Params: { id: string } }>('/api/v1/companies/:id/', (request) => companies.get(request.auth!, request.params.id));

  app.post<{ Body: CompanyInput }>(
    '/api/v1/companies/',
    { config: { roles: COMPANY_WRITERS }, schema: { body: { type: 'object', maxProperties: 10 } } },
    async (request, reply) => reply.status(201).send(await companies.create(request.auth!, request.body)),
  );
}
