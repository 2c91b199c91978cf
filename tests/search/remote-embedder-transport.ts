import { performance } from 'node:perf_hooks';
import { EmbedderError, type Embedder } from '../../src/search/embedder';
import type { FakeServer, TransportBehaviour } from '../fakes/fake-server';

export interface TransportCase {
  /** The provider's wire-level fake, started for this test. */
  fake: FakeServer<TransportBehaviour, unknown>;
  /** The embedder under test, pointed at `fake` with a timeout of `timeoutMs`. */
  embedder: Embedder;
  /** The same embedder with another timeout. */
  withTimeout(timeoutMs: number): Embedder;
}

/**
 * The transport failures every remote embedder survives the same way (src/platform/http/post-json.ts), each
 * over its own provider's fake: no answer within the timeout, the caller aborting, the connection reset or
 * refused. `current` is read in each test, after the spec's `beforeEach` has started a fresh fake.
 */
export function itSurvivesTransportFailures(provider: string, timeoutMs: number, texts: string[], current: () => TransportCase): void {
  it(`throws a retryable EmbedderError when ${provider} does not answer within ${timeoutMs} ms`, async () => {
    const { fake, embedder } = current();
    fake.respondWith({ hang: true });
    const started = performance.now();

    const error = await embedder.embed(texts).catch((e: unknown) => e);

    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(EmbedderError);
    expect(error).toMatchObject({ retryable: true, message: `${provider} did not answer within ${timeoutMs} ms` });
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 20);
    expect(elapsed).toBeLessThan(timeoutMs + 700);
  });

  it('rejects with the caller’s abort reason as soon as the caller aborts, without waiting for the timeout', async () => {
    const { fake, withTimeout } = current();
    fake.respondWith({ hang: true });
    const slow = withTimeout(10_000);
    const controller = new AbortController();
    const reason = new Error('worker shutting down');
    setTimeout(() => controller.abort(reason), 50);
    const started = performance.now();

    await expect(slow.embed(texts, controller.signal)).rejects.toBe(reason);

    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('throws a retryable EmbedderError when the connection is reset or refused', async () => {
    const { fake, embedder } = current();
    fake.respondWith({ reset: true });
    const reset = await embedder.embed(texts).catch((e: unknown) => e);
    await fake.close();
    const refused = await embedder.embed(texts).catch((e: unknown) => e);

    for (const error of [reset, refused]) {
      expect(error).toBeInstanceOf(EmbedderError);
      expect(error).toMatchObject({ retryable: true, message: expect.stringContaining(`${provider} is unreachable`) });
    }
    expect((refused as Error).message).toContain('ECONNREFUSED');
  });
}
