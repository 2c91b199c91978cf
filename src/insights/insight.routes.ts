import type { FastifyInstance } from 'fastify';
import { PebbleError } from '../platform/errors/pebble-error';
import type { Services } from '../services';
import type { InsightSynthesis } from './insight-synthesis.entity';
import { INSIGHT_READERS, INSIGHT_WRITERS } from './insight.service';

const LIST_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    entity_id: { type: 'string', maxLength: 36 },
    first: { type: 'string', pattern: '^[0-9]{1,3}$' },
    after: { type: 'string', maxLength: 36 },
  },
} as const;

const SYNTHESIZE_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: { entity_id: { type: 'string', maxLength: 36 }, period_end: { type: 'string', maxLength: 40 } },
} as const;

interface ListQuery {
  entity_id?: string;
  first?: string;
  after?: string;
}

export function insightRoutes(app: FastifyInstance, { insights }: Services): void {
  app.get<{ Querystring: ListQuery }>('/api/v1/insights/', { config: { roles: INSIGHT_READERS }, schema: { querystring: LIST_QUERY } }, async (request) => {
    const { entity_id: entityId, first, after } = request.query;
    const page = await withWireNames(() => insights.list(request.auth!, { entityId, first: first ? Number(first) : undefined, after }));
    return page.map(insightBody);
  });

  app.get<{ Params: { id: string } }>('/api/v1/insights/:id/', { config: { roles: INSIGHT_READERS } }, async (request) =>
    insightBody(await insights.get(request.auth!, request.params.id)),
  );

  // 202: the synthesis is queued, not done; its insights appear as the worker stores them.
  app.post<{ Body: { entity_id?: string; period_end?: string } | undefined }>(
    '/api/v1/insights/synthesize/',
    { config: { roles: INSIGHT_WRITERS }, schema: { body: SYNTHESIZE_BODY } },
    async (request, reply) => {
      const { entity_id: entityId, period_end: periodEnd } = request.body ?? {};
      const run = await withWireNames(() => insights.request(request.auth!, { entityId, periodEnd }));
      return reply.status(202).send({ run_id: run.runId, period_start: run.periodStart, period_end: run.periodEnd });
    },
  );
}

const WIRE_NAMES: Record<string, string> = { entityId: 'entity_id', periodEnd: 'period_end' };

/** Errors of the shared validation name the fields as this shim's callers send them. */
async function withWireNames<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const fields = error instanceof PebbleError ? error.details.fields : undefined;
    if (fields) Object.assign(error as PebbleError, { details: { ...(error as PebbleError).details, fields: fields.map((f) => ({ ...f, field: WIRE_NAMES[f.field] ?? f.field })) } });
    throw error;
  }
}

function insightBody(insight: InsightSynthesis) {
  return {
    id: insight.id,
    entity_type: insight.entityType,
    entity_id: insight.entityId,
    period_start: insight.periodStart,
    period_end: insight.periodEnd,
    score: insight.score,
    previous_score: insight.previousScore,
    trend: insight.trend,
    direction: insight.direction,
    components: insight.components,
    signals: insight.signals,
    previous_signals: insight.previousSignals,
    summary: insight.summary,
    provider: insight.provider,
    model: insight.model,
    prompt_version: insight.promptVersion,
    fallback_reason: insight.fallbackReason,
    timings: insight.timings,
    run_id: insight.runId,
    correlation_id: insight.correlationId,
    created_at: insight.createdAt,
    updated_at: insight.updatedAt,
  };
}
