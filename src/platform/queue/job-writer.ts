import PgBoss from 'pg-boss';
import type { SqlRunner } from '../db/database';
import { BOSS_SCHEMA } from './boss';
import type { JobName, JobPayloads } from './jobs';

export interface NewJob<Name extends JobName> {
  /** Deterministic id: writing the same job twice inserts it once. */
  id: string;
  name: Name;
  data: JobPayloads[Name];
}

/** pg-boss never runs anything through this adapter: every insert names the caller's transaction. */
const NO_DEFAULT_CONNECTION: PgBoss.Db = {
  executeSql: () => Promise.reject(new Error('JobWriter writes only through a caller-supplied transaction')),
};

/**
 * Enqueues jobs inside the caller's transaction through pg-boss's own batch insert (its `db` option), so a
 * job exists exactly when the rows it refers to were committed. Queue policies (retries, dead letter) come
 * from the queue, as for `boss.send()`.
 */
export class JobWriter {
  private readonly boss = new PgBoss({ db: NO_DEFAULT_CONNECTION, schema: BOSS_SCHEMA });

  async insert<Name extends JobName>(client: SqlRunner, jobs: NewJob<Name>[]): Promise<void> {
    if (jobs.length === 0) return;
    let inserted = 0;
    const db: PgBoss.Db = {
      executeSql: async (text, values) => {
        const result = await client.query(text, values);
        inserted += result.rowCount ?? 0;
        return result;
      },
    };
    await this.boss.insert(jobs, { db });
    // pg-boss joins on the queue table and skips conflicts silently; a missing job must fail the transaction.
    if (inserted !== jobs.length) {
      throw new Error(`Enqueued ${inserted} of ${jobs.length} jobs: is every queue created (pebble migrate)?`);
    }
  }
}
