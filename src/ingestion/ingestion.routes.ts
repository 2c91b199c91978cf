import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../platform/config/config';
import { badInput } from '../platform/errors/pebble-error';
import type { Services } from '../services';
import { INGESTION_WRITERS, type IngestionStatusView } from './ingestion.service';

/** A JSON body together with the bytes it was parsed from, which are stored as received. */
interface JsonBody {
  value: unknown;
  raw: Buffer;
}

const RECEIPT = {
  202: {
    type: 'object',
    properties: { tracking_id: { type: 'string' }, status: { type: 'string' } },
  },
} as const;

export function ingestionRoutes(app: FastifyInstance, { ingestion }: Services, config: Config): void {
  // Own content-type parsers, encapsulated in this plugin: the JSON text is kept, MIME arrives as bytes,
  // and each has its own size limit (413 above it). Every other type, text/plain included, is answered 415.
  void app.register(async (scope) => {
    const parseJson = scope.getDefaultJsonParser('error', 'error');
    scope.removeAllContentTypeParsers();
    // Read as bytes, not as a string: decoding first would replace invalid UTF-8 and `raw` would not be what was sent.
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: config.INGEST_JSON_LIMIT_BYTES }, (request, raw, done) =>
      parseJson(request, (raw as Buffer).toString('utf8'), (error, value) =>
        error ? done(badInput([{ field: 'body', message: 'is not valid JSON' }])) : done(null, { value, raw: raw as Buffer }),
      ),
    );
    scope.addContentTypeParser('message/rfc822', { parseAs: 'buffer', bodyLimit: config.INGEST_MIME_LIMIT_BYTES }, (_request, raw, done) => done(null, raw));

    scope.post<{ Body: JsonBody | Buffer }>(
      '/api/v1/ingestion/email/',
      { config: { roles: INGESTION_WRITERS }, schema: { response: RECEIPT } },
      async (request, reply) => {
        const key = idempotencyKey(request);
        const body = request.body;
        const receipt = Buffer.isBuffer(body)
          ? await ingestion.ingestMime(request.auth!, body, key)
          : await ingestion.ingestJson(request.auth!, body?.value, body?.raw ?? Buffer.alloc(0), key);
        if (receipt.replayed) reply.header('idempotent-replayed', 'true');
        return reply.status(202).send({ tracking_id: receipt.trackingId, status: receipt.status });
      },
    );

    scope.get<{ Params: { trackingId: string } }>('/api/v1/ingestion/email/:trackingId/', async (request) =>
      statusBody(await ingestion.status(request.auth!, request.params.trackingId)),
    );
  });
}

function idempotencyKey(request: FastifyRequest): string | null {
  const header = request.headers['idempotency-key'];
  if (Array.isArray(header)) throw badInput([{ field: 'Idempotency-Key', message: 'must be sent once' }]);
  return header ?? null;
}

function statusBody(view: IngestionStatusView) {
  return {
    tracking_id: view.trackingId,
    status: view.status,
    subject: view.subject,
    from: view.fromAddress,
    message_id: view.messageId,
    source_system: view.sourceSystem,
    accepted_at: view.acceptedAt,
    updated_at: view.updatedAt,
    processing_started_at: view.processingStartedAt,
    finished_at: view.finishedAt,
    card_id: view.cardId,
    last_error: view.lastError,
  };
}
