import { TopicPubSub } from '../../src/platform/graphql/pub-sub';
import { topics } from '../../src/platform/graphql/topics';
import type { OpsStats } from '../../src/ops/dead-letter.service';

const stats = (dlqCount: number): OpsStats => ({ dlqCount, queued: 0, active: 0, failedLastHour: 0 });

describe(TopicPubSub.name, () => {
  const a = topics.opsStats('tenant-a');
  const b = topics.opsStats('tenant-b');

  it("hands each subscriber its topic's payloads in order, buffered until read", async () => {
    const pubSub = new TopicPubSub();
    const first = pubSub.subscribe(a);
    const second = pubSub.subscribe(a);
    const other = pubSub.subscribe(b);

    pubSub.publish(a, stats(1));
    pubSub.publish(a, stats(2));

    expect(await first.next()).toEqual({ value: stats(1), done: false });
    expect(await first.next()).toEqual({ value: stats(2), done: false });
    expect(await second.next()).toEqual({ value: stats(1), done: false });
    const pending = other.next();
    pubSub.publish(b, stats(7));
    expect(await pending).toEqual({ value: stats(7), done: false });
  });

  it('forgets a subscriber that returns, and the topic with its last subscriber', async () => {
    const pubSub = new TopicPubSub();
    const first = pubSub.subscribe(a);
    const second = pubSub.subscribe(a);
    const waiting = second.next();

    await first.return!();
    expect(pubSub.subscriberCount(a)).toBe(1);
    await second.return!();

    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(pubSub.hasSubscribers(a)).toBe(false);
    expect(pubSub.activeTopics()).toEqual([]);
  });

  it('says when a topic loses its last subscriber, and only then', async () => {
    const idle: string[] = [];
    const pubSub = new TopicPubSub(undefined, 256, (topic) => idle.push(topic));
    const first = pubSub.subscribe(a);
    const second = pubSub.subscribe(a);
    pubSub.subscribe(b);

    await first.return!();
    expect(idle).toEqual([]);
    await second.return!();
    await second.return!();
    expect(idle).toEqual([a]);

    pubSub.close();
    expect(idle).toEqual([a, b]);
  });

  it('drops the oldest payloads of a subscriber that does not read', async () => {
    const pubSub = new TopicPubSub(undefined, 2);
    const slow = pubSub.subscribe(a);

    for (let count = 1; count <= 5; count++) pubSub.publish(a, stats(count));

    expect(await slow.next()).toEqual({ value: stats(4), done: false });
    expect(await slow.next()).toEqual({ value: stats(5), done: false });
  });

  it('ends every subscription on close', async () => {
    const pubSub = new TopicPubSub();
    const subscription = pubSub.subscribe(a);
    const waiting = subscription.next();

    pubSub.close();

    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(pubSub.hasSubscribers(a)).toBe(false);
  });
});
