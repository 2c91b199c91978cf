import type { FastifyInstance } from 'fastify';
import type { Services } from '../services';

const SEARCH_QUERY = {
  type: 'object',
  required: ['q'],
  additionalProperties: false,
  properties: {
    q: { type: 'string' },
    types: { type: 'string', maxLength: 200 },
    limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
  },
} as const;

export function searchRoutes(app: FastifyInstance, { search }: Services): void {
  app.get<{ Querystring: { q: string; types?: string; limit?: string } }>('/api/v1/search/unified', { schema: { querystring: SEARCH_QUERY } }, async (request) => {
    const { q, types, limit } = request.query;
    const results = await search.search(request.auth!, {
      q,
      types: types === undefined ? undefined : types.split(',').map((type) => type.trim()),
      limit: limit === undefined ? undefined : Number(limit),
    });
    return {
      degraded: results.degraded,
      hits: results.hits.map((hit) => ({
        type: hit.type,
        id: hit.id,
        title: hit.title,
        snippet: hit.snippet,
        score: hit.score,
        vector_rank: hit.vectorRank,
        keyword_rank: hit.keywordRank,
      })),
    };
  });
}
