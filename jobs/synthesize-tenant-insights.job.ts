import { z } from 'zod';
import { eachJob } from './job-failure';
import type { JobDefinition } from './registry';

const QUEUE = 'synthesize_tenant_insights';

const payloadSchema = z.object({
  tenantId: z.uuid(),
  correlationId: z.string().min(1).max(200),
  runId: z.uuid(),
  periodEnd: z.iso.datetime({ offset: true }),
  entityId: z.uuid().optional(),
});

/**
 * `synthesize_tenant_insights`: one tenant's insights. One job per fetch: a tenant's run calls a model once
 * per company, and jobs fetched together would wait their turn while their expiry clock runs. Safe to run
 * twice: insights are upserted by (entity, period), and companies the run already stored are skipped.
 */
export const synthesizeTenantInsightsJob: JobDefinition<'synthesize_tenant_insights'> = {
  options: { includeMetadata: true, batchSize: 1 },
  handle: (jobs, context) =>
    eachJob(QUEUE, jobs, payloadSchema, context, ({ tenantId, correlationId, runId, periodEnd, entityId }) =>
      context.services.synthesizer.synthesizeTenant(tenantId, { periodEnd: new Date(periodEnd), entityId, runId, correlationId }),
    ),
};
