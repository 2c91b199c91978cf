import { CommonError, databaseUnavailable } from '../errors/pebble-error';
import { isDatabaseUnavailable } from './unavailable';

export interface GroupCommitOptions {
  /** A batch is written as soon as it holds this many items ... */
  maxItems: number;
  /** ... or once its oldest item has waited this long. */
  maxWaitMs: number;
  /** Batches in flight at once; while they commit, the next batch fills up. */
  concurrency: number;
  /** Items waiting beyond this are refused at once instead of queueing without bound. */
  maxPending: number;
}

interface Waiter<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/**
 * Turns many concurrent single-item writes into few multi-row transactions. Each caller still waits for
 * the commit that contains its item, so an answer always means "durable" (or an error, never both).
 */
export class GroupCommit<Item, Result> {
  private pending: Waiter<Item, Result>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private idle: (() => void)[] = [];

  constructor(
    /** Writes one batch in one transaction and returns one result per item, in order. */
    private readonly write: (items: Item[]) => Promise<Result[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  submit(item: Item): Promise<Result> {
    if (this.pending.length >= this.options.maxPending) {
      return Promise.reject(new CommonError('OVERLOADED', 'Too many writes are waiting for the database; retry shortly', { retryAfterSeconds: 1 }));
    }
    return new Promise<Result>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.options.maxItems) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    });
  }

  /** Resolves once everything submitted so far has been written (or has failed). */
  drain(): Promise<void> {
    if (this.pending.length === 0 && this.inFlight === 0) return Promise.resolve();
    this.flush();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.pending.length > 0 && this.inFlight < this.options.concurrency) {
      void this.run(this.pending.splice(0, this.options.maxItems));
    }
  }

  private async run(batch: Waiter<Item, Result>[]): Promise<void> {
    this.inFlight++;
    try {
      await this.settle(batch);
    } finally {
      this.inFlight--;
      // Whatever arrived during the commit has already waited that long: write it now.
      if (this.pending.length > 0) this.flush();
      else if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async settle(batch: Waiter<Item, Result>[]): Promise<void> {
    try {
      const results = await this.write(batch.map((waiter) => waiter.item));
      batch.forEach((waiter, index) => waiter.resolve(results[index]));
    } catch (error) {
      if (batch.length > 1 && !isDatabaseUnavailable(error)) {
        // One bad item must not fail its neighbours: bisect until the culprit is alone and only it gets the
        // error. The halves run one after the other, in this batch's slot, so a retry never exceeds `concurrency`.
        const middle = Math.ceil(batch.length / 2);
        await this.settle(batch.slice(0, middle));
        await this.settle(batch.slice(middle));
        return;
      }
      const reported = isDatabaseUnavailable(error) ? databaseUnavailable() : error;
      for (const waiter of batch) waiter.reject(reported);
    }
  }
}
