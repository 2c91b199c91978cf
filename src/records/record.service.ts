import { z } from 'zod';
import type { AuthContext } from '../platform/context/auth-context';
import { Database } from '../platform/db/database';
import { notFound, PebbleError, type FieldProblem } from '../platform/errors/pebble-error';
import { parseInput } from '../platform/validation/parse-input';
import type { IndexQueue } from '../search/index-queue';
import { BusinessRecord, RECORD_KINDS } from './business-record.entity';
import { writeRecords, type StoredRecord } from './record-batch-writer';
import type { IndexedRecord } from './record-companies';
import { recordBatchSchema, recordSchema, type ParsedRecord, type RecordLimits } from './record-submission';

/** Roles that may write records, on GraphQL and REST alike. */
export const RECORD_WRITERS = ['admin', 'integration'];

/** One problem with one record of a call; `field` names it from the request root, e.g. `records[3].external_id`. */
export interface RejectedRecord extends FieldProblem {
  index: number;
}

/** The outcome of a call: every record is either stored or rejected, never both. */
export interface UpsertRecordsResult {
  stored: StoredRecord[];
  rejected: RejectedRecord[];
}

const listInput = z.object({
  kind: z.enum(RECORD_KINDS).nullish(),
  companyId: z.uuid().nullish(),
  first: z.number().int().min(1).max(100).default(20),
  after: z.uuid().nullish(),
});
export type ListRecordsInput = z.input<typeof listInput>;

/** US-BKP-007: CRM/ERP records of the caller's tenant, upserted by their key in the source system. */
export class RecordService {
  private readonly batchSchema: ReturnType<typeof recordBatchSchema>;
  private readonly recordSchema: ReturnType<typeof recordSchema>;

  constructor(
    private readonly db: Database,
    private readonly indexQueue: IndexQueue,
    limits: RecordLimits,
  ) {
    this.batchSchema = recordBatchSchema(limits);
    this.recordSchema = recordSchema(limits);
  }

  /**
   * Stores every valid record of `{ records: [...] }` in one transaction and reports each invalid one by
   * index and field; a bad record never holds back the good ones. Only a call that is wrong as a whole
   * (no records, too many) is refused outright.
   */
  async upsert(auth: AuthContext, input: unknown): Promise<UpsertRecordsResult> {
    const envelope = this.batchSchema.safeParse(input);
    // parseInput would walk every record for NUL characters before its depth is checked; each record gets
    // that walk below, on its own. It is called here only to name what is wrong with the call as a whole.
    const { records } = envelope.success ? envelope.data : parseInput(this.batchSchema, input);
    const valid: IndexedRecord[] = [];
    const rejected: RejectedRecord[] = [];
    const firstWithKey = new Map<string, number>();
    records.forEach((raw, index) => {
      const parsed = this.parseRecord(raw, index);
      if (Array.isArray(parsed)) {
        rejected.push(...parsed);
        return;
      }
      // One statement cannot upsert the same row twice, and which of two versions should win is anyone's guess.
      const key = JSON.stringify([parsed.source_system, parsed.kind, parsed.external_id]);
      const first = firstWithKey.get(key);
      if (first !== undefined) {
        rejected.push({ index, field: `records[${index}].external_id`, message: `repeats records[${first}]: same source_system, kind and external_id` });
        return;
      }
      firstWithKey.set(key, index);
      valid.push({ index, record: parsed });
    });
    if (valid.length === 0) return { stored: [], rejected };

    const stored = await this.db.transaction(async (client) => {
      await Database.setTenant(client, auth.tenantId);
      const written = await writeRecords(client, auth.tenantId, auth.correlationId, valid);
      await this.indexQueue.queue(client, auth.tenantId, auth.correlationId, written.refs);
      return written.stored;
    });
    return { stored, rejected };
  }

  get(auth: AuthContext, id: string): Promise<BusinessRecord> {
    return this.db.withTenant(auth, async (em) => {
      const record = z.uuid().safeParse(id).success ? await em.findOne(BusinessRecord, { id }) : null;
      if (!record) throw notFound('Record', id);
      return record;
    });
  }

  /** Newest first; `after` is the id of the last record of the previous page. */
  list(auth: AuthContext, input: ListRecordsInput): Promise<BusinessRecord[]> {
    const { kind, companyId, first, after } = parseInput(listInput, input);
    return this.db.withTenant(auth, async (em) => {
      // Keyset on (created_at, id): ids are random, and one call creates its records with one timestamp.
      const cursor = after ? await em.findOne(BusinessRecord, { id: after }, { fields: ['createdAt'] }) : null;
      if (after && !cursor) throw notFound('Record', after);
      return em.find(
        BusinessRecord,
        {
          ...(kind ? { kind } : {}),
          ...(companyId ? { companyId } : {}),
          ...(cursor ? { $or: [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { $lt: cursor.id } }] } : {}),
        },
        { orderBy: { createdAt: 'desc', id: 'desc' }, limit: first },
      );
    });
  }

  /** The parsed record, or its problems named from the request root. */
  private parseRecord(raw: unknown, index: number): ParsedRecord | RejectedRecord[] {
    try {
      return parseInput(this.recordSchema, raw);
    } catch (error) {
      if (!(error instanceof PebbleError) || error.kind !== 'BAD_USER_INPUT' || !error.details.fields) throw error;
      return error.details.fields.map(({ field, message }) => ({
        index,
        field: field === 'input' ? `records[${index}]` : `records[${index}].${field}`,
        message,
      }));
    }
  }
}
