import { randomUUID } from 'node:crypto';
import type { SqlRunner } from '../platform/db/database';
import type { JobWriter, NewJob } from '../platform/queue/job-writer';
import { refKey, type SearchRef } from './search-ref';

/** Refs per `index_activity` job; a bigger write is split so no single job grows without bound. */
const REFS_PER_JOB = 500;

/**
 * Asks for objects to be (re)indexed from inside the transaction that wrote them, so an object is queued
 * exactly when it was committed and a rolled-back write queues nothing.
 */
export class IndexQueue {
  constructor(private readonly jobs: JobWriter) {}

  async queue(sql: SqlRunner, tenantId: string, correlationId: string, refs: SearchRef[]): Promise<void> {
    await this.jobs.insert(sql, IndexQueue.jobsFor(tenantId, correlationId, refs));
  }

  /** The jobs `queue` writes, for a caller that inserts them together with jobs of its own. */
  static jobsFor(tenantId: string, correlationId: string, refs: SearchRef[]): NewJob<'index_activity'>[] {
    const keys = [...new Set(refs.map(refKey))];
    const jobs: NewJob<'index_activity'>[] = [];
    for (let start = 0; start < keys.length; start += REFS_PER_JOB) {
      jobs.push({ id: randomUUID(), name: 'index_activity', data: { tenantId, correlationId, refs: keys.slice(start, start + REFS_PER_JOB) } });
    }
    return jobs;
  }
}
