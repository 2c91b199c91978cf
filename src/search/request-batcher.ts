interface Waiter<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

interface Kind<Item, Result> {
  waiting: Waiter<Item, Result>[];
  inFlight: number;
}

export interface RequestBatcherOptions {
  /** Requests of one kind in flight at once; a request that finds a free slot goes out at once, alone. */
  concurrency: number;
  /** Most items sent in one request. */
  maxItems: number;
}

/**
 * Sends concurrent requests of one kind as one. A request goes out at once while fewer than `concurrency` of
 * its kind are in flight, so a quiet service adds no wait; the rest wait for a slot and go out together. For
 * servers that answer many items per call for little more than one (a Chroma query takes many query vectors).
 */
export class RequestBatcher<Item, Result> {
  private readonly kinds = new Map<string, Kind<Item, Result>>();

  constructor(
    /** Sends the items of one kind as one request; answers one result per item, in order. */
    private readonly send: (kind: string, items: Item[]) => Promise<Result[]>,
    private readonly options: RequestBatcherOptions,
  ) {}

  submit(kind: string, item: Item): Promise<Result> {
    let state = this.kinds.get(kind);
    if (!state) {
      state = { waiting: [], inFlight: 0 };
      this.kinds.set(kind, state);
    }
    const queued = state;
    return new Promise<Result>((resolve, reject) => {
      queued.waiting.push({ item, resolve, reject });
      this.pump(kind, queued);
    });
  }

  private pump(kind: string, state: Kind<Item, Result>): void {
    while (state.waiting.length > 0 && state.inFlight < this.options.concurrency) {
      const batch = state.waiting.splice(0, this.options.maxItems);
      state.inFlight++;
      this.send(kind, batch.map((waiter) => waiter.item))
        .then(
          (results) => batch.forEach((waiter, index) => waiter.resolve(results[index]!)),
          (error: unknown) => batch.forEach((waiter) => waiter.reject(error)),
        )
        .finally(() => {
          state.inFlight--;
          if (state.waiting.length > 0) this.pump(kind, state);
          else if (state.inFlight === 0) this.kinds.delete(kind);
        });
    }
  }
}
