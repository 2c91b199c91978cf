import { RequestBatcher } from '../../src/search/request-batcher';

/** A server stand-in: records each request (its kind and items) and holds it until the test releases it. */
class Server {
  readonly requests: { kind: string; items: number[] }[] = [];
  private readonly held: { release(): void; fail(error: Error): void }[] = [];

  send = (kind: string, items: number[]): Promise<string[]> => {
    this.requests.push({ kind, items });
    return new Promise((resolve, reject) => {
      this.held.push({ release: () => resolve(items.map((item) => `${kind}:${item}`)), fail: reject });
    });
  };

  get inFlight(): number {
    return this.held.length;
  }

  /** Answers the oldest request still held. */
  release(): void {
    this.held.shift()!.release();
  }

  fail(error: Error): void {
    this.held.shift()!.fail(error);
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe(RequestBatcher.name, () => {
  it('sends a request at once and alone while a slot is free', async () => {
    const server = new Server();
    const batcher = new RequestBatcher(server.send, { concurrency: 2, maxItems: 8 });
    const first = batcher.submit('a', 1);
    const second = batcher.submit('a', 2);
    expect(server.requests).toEqual([
      { kind: 'a', items: [1] },
      { kind: 'a', items: [2] },
    ]);
    server.release();
    server.release();
    await expect(Promise.all([first, second])).resolves.toEqual(['a:1', 'a:2']);
  });

  it('sends what waited for a slot together, up to maxItems per request, each answer to its own caller', async () => {
    const server = new Server();
    const batcher = new RequestBatcher(server.send, { concurrency: 1, maxItems: 3 });
    const answers = [1, 2, 3, 4, 5, 6].map((item) => batcher.submit('a', item));
    expect(server.requests).toEqual([{ kind: 'a', items: [1] }]);
    server.release();
    await tick();
    expect(server.requests.at(-1)).toEqual({ kind: 'a', items: [2, 3, 4] });
    expect(server.inFlight).toBe(1);
    server.release();
    await tick();
    expect(server.requests.at(-1)).toEqual({ kind: 'a', items: [5, 6] });
    server.release();
    await expect(Promise.all(answers)).resolves.toEqual(['a:1', 'a:2', 'a:3', 'a:4', 'a:5', 'a:6']);
  });

  it('never puts items of two kinds in one request, and gives each kind its own slots', async () => {
    const server = new Server();
    const batcher = new RequestBatcher(server.send, { concurrency: 1, maxItems: 8 });
    const answers = [batcher.submit('a', 1), batcher.submit('b', 1), batcher.submit('a', 2), batcher.submit('b', 2), batcher.submit('a', 3)];
    expect(server.requests).toEqual([
      { kind: 'a', items: [1] },
      { kind: 'b', items: [1] },
    ]);
    server.release();
    server.release();
    await tick();
    expect(server.requests.slice(2)).toEqual([
      { kind: 'a', items: [2, 3] },
      { kind: 'b', items: [2] },
    ]);
    server.release();
    server.release();
    await expect(Promise.all(answers)).resolves.toEqual(['a:1', 'b:1', 'a:2', 'b:2', 'a:3']);
  });

  it('fails every item of a failed request, frees its slot, and sends the next ones as usual', async () => {
    const server = new Server();
    const batcher = new RequestBatcher(server.send, { concurrency: 1, maxItems: 8 });
    const first = batcher.submit('a', 1);
    const waiting = [batcher.submit('a', 2), batcher.submit('a', 3)];
    server.fail(new Error('connection reset'));
    await expect(first).rejects.toThrow('connection reset');
    await tick();
    expect(server.requests.at(-1)).toEqual({ kind: 'a', items: [2, 3] });
    server.fail(new Error('still down'));
    await Promise.all(waiting.map((answer) => expect(answer).rejects.toThrow('still down')));
    const later = batcher.submit('a', 4);
    expect(server.requests.at(-1)).toEqual({ kind: 'a', items: [4] });
    server.release();
    await expect(later).resolves.toBe('a:4');
  });
});
