import { Coalescer } from '../../src/platform/graphql/coalescer';

describe(Coalescer.name, () => {
  const flushes: { key: string; items: number[]; at: number }[] = [];
  const errors: unknown[] = [];
  let started: number;
  let flushImpl: (key: string, items: number[]) => Promise<void>;
  let coalescer: Coalescer<string, number>;

  beforeEach(() => {
    jest.useFakeTimers();
    started = Date.now();
    flushes.length = 0;
    errors.length = 0;
    flushImpl = async () => undefined;
    coalescer = new Coalescer<string, number>(
      250,
      (key, items) => {
        flushes.push({ key, items, at: Date.now() - started });
        return flushImpl(key, items);
      },
      (_key, error) => errors.push(error),
    );
  });
  afterEach(async () => {
    await coalescer.stop();
    jest.useRealTimers();
  });

  it('flushes the first change of a quiet key at once', async () => {
    coalescer.add('t1', [1]);

    await jest.advanceTimersByTimeAsync(0);

    expect(flushes).toEqual([{ key: 't1', items: [1], at: 0 }]);
  });

  it('turns a burst into one flush per interval, the last one holding the last change', async () => {
    for (let i = 1; i <= 100; i++) {
      coalescer.add('t1', [i]);
      await jest.advanceTimersByTimeAsync(10);
    }
    await jest.advanceTimersByTimeAsync(1000);

    // 1 s of changes: at 0, 250, 500, 750 and the trailing one at 1000.
    expect(flushes.map((flush) => flush.at)).toEqual([0, 250, 500, 750, 1000]);
    expect(flushes.flatMap((flush) => flush.items)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(flushes.at(-1)!.items).toContain(100);
  });

  it('never runs two flushes of one key at once: a change during a slow flush waits for it', async () => {
    let finish!: () => void;
    flushImpl = () => new Promise<void>((resolve) => (finish = resolve));
    coalescer.add('t1', [1]);
    await jest.advanceTimersByTimeAsync(0);

    coalescer.add('t1', [2]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(flushes).toHaveLength(1);

    flushImpl = async () => undefined;
    finish();
    await jest.advanceTimersByTimeAsync(0);
    expect(flushes.map((flush) => flush.items)).toEqual([[1], [2]]);
  });

  it('keeps keys apart', async () => {
    coalescer.add('t1', [1]);
    coalescer.add('t2', [2]);

    await jest.advanceTimersByTimeAsync(0);

    expect(flushes).toEqual([
      { key: 't1', items: [1], at: 0 },
      { key: 't2', items: [2], at: 0 },
    ]);
  });

  it('reports a failed flush and keeps flushing later changes', async () => {
    flushImpl = async () => {
      throw new Error('database down');
    };
    coalescer.add('t1', [1]);
    await jest.advanceTimersByTimeAsync(0);
    flushImpl = async () => undefined;

    coalescer.add('t1', [2]);
    await jest.advanceTimersByTimeAsync(250);

    expect(errors).toEqual([new Error('database down')]);
    expect(flushes.map((flush) => flush.items)).toEqual([[1], [2]]);
  });

  it('forgets a key after a quiet interval, so its next change flushes at once again', async () => {
    coalescer.add('t1', [1]);
    await jest.advanceTimersByTimeAsync(300);
    expect(coalescer.size).toBe(0);

    coalescer.add('t1', [2]);
    await jest.advanceTimersByTimeAsync(0);

    expect(flushes.map((flush) => flush.at)).toEqual([0, 300]);
  });

  it('flushes nothing after stop', async () => {
    coalescer.add('t1', [1]);
    await coalescer.stop();

    await jest.advanceTimersByTimeAsync(1000);

    expect(flushes).toEqual([]);
  });
});
