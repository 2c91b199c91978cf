import { GroupCommit, type GroupCommitOptions } from '../../src/platform/db/group-commit';

/** A promise the test settles by hand, to hold a write "in the database" for as long as it needs. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A stand-in for the batch writer: records every batch it is asked to write, how many run at once and which
 * items were committed; `fail` decides whether a batch throws (the whole batch, as a rolled-back transaction).
 */
class Recorder {
  readonly batches: number[][] = [];
  readonly committed: number[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    private readonly behaviour: { delayMs?: (batch: number[]) => number; fail?: (batch: number[]) => unknown; hold?: Promise<void> } = {},
  ) {}

  write = async (batch: number[]): Promise<string[]> => {
    this.batches.push([...batch]);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.behaviour.hold;
      await sleep(this.behaviour.delayMs?.(batch) ?? 1);
      const failure = this.behaviour.fail?.(batch);
      if (failure) throw failure;
      this.committed.push(...batch);
      return batch.map((item) => `result-${item}`);
    } finally {
      this.inFlight--;
    }
  };
}

const options = (overrides: Partial<GroupCommitOptions> = {}): GroupCommitOptions => ({
  maxItems: 10,
  maxWaitMs: 5,
  concurrency: 2,
  maxPending: 1000,
  ...overrides,
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('GroupCommit', () => {
  it('writes a batch as soon as it holds maxItems items, without waiting for maxWaitMs', async () => {
    const recorder = new Recorder();
    const commits = new GroupCommit(recorder.write, options({ maxItems: 3, maxWaitMs: 60_000, concurrency: 2 }));
    const started = performance.now();
    await expect(Promise.all(range(6).map((item) => commits.submit(item)))).resolves.toHaveLength(6);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(recorder.batches).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
  });

  it('writes a smaller batch once its oldest item has waited maxWaitMs', async () => {
    const recorder = new Recorder();
    const commits = new GroupCommit(recorder.write, options({ maxItems: 100, maxWaitMs: 80 }));
    const started = performance.now();
    const first = commits.submit(1);
    await sleep(20);
    const second = commits.submit(2);
    expect(recorder.batches).toEqual([]);
    await expect(Promise.all([first, second])).resolves.toEqual(['result-1', 'result-2']);
    // The clock starts with the first item, not the last one: the late item does not push the deadline back.
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(75);
    expect(elapsed).toBeLessThan(80 + 20 + 500);
    expect(recorder.batches).toEqual([[1, 2]]);
  });

  it('never has more than `concurrency` batches in flight', async () => {
    const recorder = new Recorder({ delayMs: () => 10 });
    const commits = new GroupCommit(recorder.write, options({ maxItems: 2, concurrency: 3 }));
    await Promise.all(range(40).map((item) => commits.submit(item)));
    expect(recorder.maxInFlight).toBe(3);
    expect(recorder.committed.sort((a, b) => a - b)).toEqual(range(40));
  });

  it('keeps to `concurrency` while it retries a failed batch to find the bad item', async () => {
    const recorder = new Recorder({ fail: (batch) => batch.includes(5) && new Error('poisoned') });
    const commits = new GroupCommit(recorder.write, options({ maxItems: 8, concurrency: 1 }));
    const results = await Promise.allSettled(range(8).map((item) => commits.submit(item)));
    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(1);
    expect(recorder.maxInFlight).toBe(1);
  });

  it("answers every caller with its own item's result, in submission order across batches", async () => {
    // Later batches finish first, so a mix-up between batches or positions would show.
    const recorder = new Recorder({ delayMs: (batch) => 40 - batch[0] });
    const commits = new GroupCommit(recorder.write, options({ maxItems: 4, concurrency: 4 }));
    const results = await Promise.all(range(16).map((item) => commits.submit(item)));
    expect(results).toEqual(range(16).map((item) => `result-${item}`));
    expect(recorder.batches).toHaveLength(4);
  });

  it('writes the neighbours of a bad item and fails only the bad item, with its own error', async () => {
    const poison = new Error('item 5 violates a constraint');
    const recorder = new Recorder({ fail: (batch) => batch.includes(5) && poison });
    const commits = new GroupCommit(recorder.write, options({ maxItems: 8 }));
    const results = await Promise.allSettled(range(8).map((item) => commits.submit(item)));

    expect(results[5]).toEqual({ status: 'rejected', reason: poison });
    for (const item of range(8).filter((i) => i !== 5)) expect(results[item]).toEqual({ status: 'fulfilled', value: `result-${item}` });
    // The whole batch was tried first; every good item was then committed exactly once.
    expect(recorder.batches[0]).toEqual(range(8));
    expect(recorder.committed.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 6, 7]);
  });

  it('fails two bad items in one batch separately and still writes the rest', async () => {
    const recorder = new Recorder({ fail: (batch) => (batch.includes(2) || batch.includes(6)) && new Error(`bad batch ${batch.join(',')}`) });
    const commits = new GroupCommit(recorder.write, options({ maxItems: 8 }));
    const results = await Promise.allSettled(range(8).map((item) => commits.submit(item)));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(recorder.committed.sort((a, b) => a - b)).toEqual([0, 1, 3, 4, 5, 7]);
  });

  it('maps an unreachable database to SERVICE_UNAVAILABLE for every item, without retrying item by item', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const recorder = new Recorder({ fail: () => refused });
    const commits = new GroupCommit(recorder.write, options({ maxItems: 4 }));
    const results = await Promise.allSettled(range(4).map((item) => commits.submit(item)));

    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        kind: 'SERVICE_UNAVAILABLE',
        code: 'DATABASE_UNAVAILABLE',
        status: 503,
        details: { retryAfterSeconds: expect.any(Number) },
      });
    }
    expect(recorder.batches).toEqual([[0, 1, 2, 3]]);
  });

  it('recognises an outage reported as a Postgres SQLSTATE (57P01, admin shutdown) too', async () => {
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const commits = new GroupCommit(new Recorder({ fail: () => shutdown }).write, options());
    await expect(commits.submit(1)).rejects.toMatchObject({ kind: 'SERVICE_UNAVAILABLE', code: 'DATABASE_UNAVAILABLE' });
  });

  it('refuses with OVERLOADED (503, retry-after) once maxPending items wait, and still writes the waiting ones', async () => {
    const hold = gate();
    const recorder = new Recorder({ hold: hold.opened });
    const commits = new GroupCommit(recorder.write, options({ maxItems: 1, concurrency: 1, maxPending: 2 }));
    const accepted = [commits.submit(0), commits.submit(1), commits.submit(2)]; // 0 is in flight, 1 and 2 wait
    await expect(commits.submit(3)).rejects.toMatchObject({ kind: 'SERVICE_UNAVAILABLE', code: 'OVERLOADED', details: { retryAfterSeconds: expect.any(Number) } });
    hold.open();
    await expect(Promise.all(accepted)).resolves.toEqual(['result-0', 'result-1', 'result-2']);
    expect(recorder.committed).toEqual([0, 1, 2]);
    // Once the queue has emptied, new items are welcome again.
    await expect(commits.submit(4)).resolves.toBe('result-4');
  });

  it('writes items that arrived while every slot was busy as soon as a slot frees up, not after maxWaitMs', async () => {
    const hold = gate();
    const recorder = new Recorder({ hold: hold.opened });
    const commits = new GroupCommit(recorder.write, options({ maxItems: 2, maxWaitMs: 60_000, concurrency: 1 }));
    const first = Promise.all([commits.submit(0), commits.submit(1)]);
    const late = commits.submit(2);
    hold.open();
    const started = performance.now();
    await first;
    await expect(late).resolves.toBe('result-2');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(recorder.batches).toEqual([[0, 1], [2]]);
  });

  describe('drain()', () => {
    it('resolves at once when nothing was submitted', async () => {
      const commits = new GroupCommit(new Recorder().write, options());
      await expect(commits.drain()).resolves.toBeUndefined();
    });

    it('writes items still waiting for their batch at once, not after maxWaitMs', async () => {
      const recorder = new Recorder();
      const commits = new GroupCommit(recorder.write, options({ maxItems: 10, maxWaitMs: 60_000 }));
      const submitted = Promise.all(range(3).map((item) => commits.submit(item)));
      const started = performance.now();
      await commits.drain();
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(recorder.batches).toEqual([[0, 1, 2]]);
      await expect(submitted).resolves.toEqual(['result-0', 'result-1', 'result-2']);
    });

    it('resolves only after every batch, queued or in flight, has been written or has failed', async () => {
      const recorder = new Recorder({ delayMs: () => 30, fail: (batch) => batch.includes(99) && new Error('bad') });
      const commits = new GroupCommit(recorder.write, options({ maxItems: 3, maxWaitMs: 60_000, concurrency: 1 }));
      const submitted = [...range(7), 99].map((item) => commits.submit(item).catch(() => 'failed'));
      await commits.drain();
      expect(recorder.inFlight).toBe(0);
      expect(recorder.committed.sort((a, b) => a - b)).toEqual(range(7));
      await expect(Promise.all(submitted)).resolves.toEqual([...range(7).map((item) => `result-${item}`), 'failed']);
    });
  });
});
