import type { FastifyInstance } from 'fastify';
import type { Config } from '../platform/config/config';
import { badInput } from '../platform/errors/pebble-error';
import type { Services } from '../services';
import type { BusinessRecord } from './business-record.entity';
import { RECORD_WRITERS } from './record.service';

const LIST_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kind: { type: 'string', maxLength: 20 },
    company_id: { type: 'string', maxLength: 36 },
    first: { type: 'string', pattern: '^[0-9]{1,3}$' },
    after: { type: 'string', maxLength: 36 },
  },
} as const;

interface ListQuery {
  kind?: string;
  company_id?: string;
  first?: string;
  after?: string;
}

export function recordRoutes(app: FastifyInstance, { records }: Services, config: Config): void {
  // A JSON parser of its own, encapsulated in this plugin, for the bulk body limit (413 above it).
  void app.register(async (scope) => {
    const parseJson = scope.getDefaultJsonParser('error', 'error');
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: config.RECORDS_JSON_LIMIT_BYTES }, (request, body, done) =>
      parseJson(request, body as string, (error, value) => (error ? done(badInput([{ field: 'body', message: 'is not valid JSON' }])) : done(null, value))),
    );

    // 200 when every record was stored; 400 when any was rejected, still listing those stored beside it.
    scope.post<{ Body: unknown }>('/api/v1/records/', { config: { roles: RECORD_WRITERS } }, async (request, reply) => {
      const { stored, rejected } = await records.upsert(request.auth!, request.body);
      if (rejected.length === 0) return reply.status(200).send({ stored });
      const problem = badInput(rejected);
      return reply.status(problem.status).send({ detail: problem.message, code: problem.code, errors: rejected, stored });
    });
  });

  app.get<{ Querystring: ListQuery }>('/api/v1/records/', { schema: { querystring: LIST_QUERY } }, async (request) => {
    const { kind, company_id: companyId, first, after } = request.query;
    const page = await records.list(request.auth!, { kind: kind as BusinessRecord['kind'] | undefined, companyId, first: first ? Number(first) : undefined, after });
    return page.map(recordBody);
  });

  app.get<{ Params: { id: string } }>('/api/v1/records/:id/', async (request) => recordBody(await records.get(request.auth!, request.params.id)));
}

function recordBody(record: BusinessRecord) {
  return {
    id: record.id,
    source_system: record.sourceSystem,
    kind: record.kind,
    external_id: record.externalId,
    title: record.title,
    attributes: record.attributes,
    company_id: record.companyId,
    correlation_id: record.correlationId,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}
