import type { PubSub } from 'type-graphql';
import type { Logger } from '../logging/logger';
import type { Topic, TopicPayload } from './topics';

/** One subscriber's queue of payloads not yet sent; graphql-ws pulls from it as fast as the socket drains. */
class TopicIterator<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private done = false;
  private dropped = 0;

  constructor(
    private readonly maxBuffered: number,
    private readonly detach: () => void,
    private readonly onFirstDrop: () => void,
  ) {}

  push(value: T): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value, done: false });
      return;
    }
    this.buffer.push(value);
    // A client that stops reading must not make the process hold every event for it: the oldest go first.
    if (this.buffer.length > this.maxBuffered) {
      this.buffer.shift();
      if (this.dropped++ === 0) this.onFirstDrop();
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Called by graphql-ws when the client completes the subscription or the socket closes. */
  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.end();
    return Promise.reject(error);
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.buffer.length = 0;
    this.detach();
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * In-process fan-out of typed topics, given to type-graphql as `pubSub`. Only the process's listener
 * publishes (see LiveFeed): events from any process reach it through Postgres, never through here.
 */
export class TopicPubSub implements PubSub {
  private readonly subscribers = new Map<Topic, Set<TopicIterator<unknown>>>();

  constructor(
    private readonly logger?: Logger,
    private readonly maxBuffered = 256,
    /** Called when a topic loses its last subscriber, so work kept for it (timers) can end with it. */
    private readonly idle?: (topic: Topic) => void,
  ) {}

  publish<T extends Topic>(topic: T, payload: TopicPayload<T>): void {
    for (const subscriber of this.subscribers.get(topic) ?? []) subscriber.push(payload);
  }

  subscribe<T extends Topic>(topic: T): AsyncIterableIterator<TopicPayload<T>> {
    let set = this.subscribers.get(topic);
    if (!set) {
      set = new Set();
      this.subscribers.set(topic, set);
    }
    const subscribers = set;
    const iterator: TopicIterator<unknown> = new TopicIterator(
      this.maxBuffered,
      () => {
        subscribers.delete(iterator);
        if (subscribers.size === 0 && this.subscribers.get(topic) === subscribers) {
          this.subscribers.delete(topic);
          this.idle?.(topic);
        }
      },
      () => this.logger?.warn({ topic, maxBuffered: this.maxBuffered }, 'subscriber is not reading; dropping its oldest events'),
    );
    subscribers.add(iterator);
    return iterator as TopicIterator<TopicPayload<T>>;
  }

  hasSubscribers(topic: Topic): boolean {
    return this.subscribers.has(topic);
  }

  subscriberCount(topic: Topic): number {
    return this.subscribers.get(topic)?.size ?? 0;
  }

  /** Topics with at least one subscriber in this process. */
  activeTopics(): Topic[] {
    return [...this.subscribers.keys()];
  }

  /** Ends every subscription, as at shutdown. */
  close(): void {
    for (const set of [...this.subscribers.values()]) for (const subscriber of [...set]) subscriber.end();
    this.subscribers.clear();
  }
}
