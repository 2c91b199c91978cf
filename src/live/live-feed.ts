import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CARDS_CHANNEL } from '../cards/card.notifications';
import { INSIGHTS_CHANNEL } from '../insights/insight-synthesizer';
import type { OpsStatsReading } from '../ops/dead-letter.service';
import { OPS_CHANNEL } from '../ops/ops.notifications';
import type { AuthContext } from '../platform/context/auth-context';
import { PgListener } from '../platform/db/listener';
import { Coalescer } from '../platform/graphql/coalescer';
import { TopicPubSub } from '../platform/graphql/pub-sub';
import { tenantOf, topics, type OpsStatsTopic, type Topic } from '../platform/graphql/topics';
import type { Logger } from '../platform/logging/logger';
import type { Services } from '../services';

const opsNotification = z.object({ topic: z.enum(['dlq', 'queue']), tenantId: z.uuid() });
const cardsNotification = z.object({ tenantId: z.uuid(), cardIds: z.array(z.uuid()) });
const insightNotification = z.object({ tenantId: z.uuid(), insightId: z.uuid() });

/** While a tenant has jobs in `active`, its figures are read again this often: pg-boss completes jobs without a NOTIFY. */
const ACTIVE_POLL_MS = 2000;
/** `failedLastHour`'s window: no failure leaves it later than this after a read. */
const FAILED_WINDOW_MS = 60 * 60 * 1000;
/** Added to the wait for a failure to leave the window, so a timer that fires a little early does not read it still inside. */
const FAILED_WINDOW_SLACK_MS = 50;
/** Cards or insights loaded per query when a burst is flushed. */
const ROWS_PER_LOAD = 500;

export interface LiveFeedOptions {
  /** The database to LISTEN on (the app role's URL). */
  url: string;
  services: Pick<Services, 'deadLetters' | 'cards' | 'insights'>;
  logger: Logger;
  /** Least time between two updates of one topic of one tenant. */
  intervalMs: number;
}

/**
 * The api process's end of the live events: ONE Postgres listener on the channels that workers and other api
 * processes NOTIFY on commit, turned into typed topic publications for this process's subscribers. Work is
 * done per tenant per coalesced tick and only for topics someone here subscribes to: the figures of a storm of
 * dead letters are read once per tick, not once per dead letter or per subscriber.
 */
export class LiveFeed {
  readonly pubSub: TopicPubSub;
  private readonly listener: PgListener;
  private readonly stats: Coalescer<string>;
  private readonly cards: Coalescer<string, string>;
  private readonly insights: Coalescer<string, string>;
  /** The figures each tenant's subscribers last got, so unchanged figures are not sent again. */
  private readonly lastStats = new Map<string, string>();
  private readonly polls = new Map<string, NodeJS.Timeout>();
  /** Per tenant, the time its `failedLastHour` drops by itself (Postgres's clock) and the timer that reads it then. */
  private readonly windowEnds = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private listenedBefore = false;
  private readonly listening: Promise<void>;
  private markListening!: () => void;

  constructor(private readonly options: LiveFeedOptions) {
    const { logger, intervalMs } = options;
    this.pubSub = new TopicPubSub(logger, undefined, (topic) => this.idle(topic));
    const failed = (what: string) => (tenantId: string, error: unknown) => logger.warn({ tenant_id: tenantId, err: error }, `live ${what} update failed`);
    this.stats = new Coalescer(intervalMs, (tenantId) => this.publishStats(tenantId), failed('ops stats'));
    this.cards = new Coalescer(intervalMs, (tenantId, ids) => this.publishCards(tenantId, ids), failed('card'));
    this.insights = new Coalescer(intervalMs, (tenantId, ids) => this.publishInsights(tenantId, ids), failed('insight'));
    this.listening = new Promise((resolve) => (this.markListening = resolve));
    this.listener = new PgListener(
      options.url,
      [OPS_CHANNEL, CARDS_CHANNEL, INSIGHTS_CHANNEL],
      { notify: (payload, channel) => this.received(payload, channel), connected: () => this.connected() },
      logger,
    );
  }

  /** Starts listening; waits for the first LISTEN at most `waitMs` (the listener keeps retrying on its own). */
  async start(waitMs = 5000): Promise<void> {
    this.listener.start();
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), waitMs)));
    if (await Promise.race([this.listening.then(() => false), gaveUp])) {
      this.options.logger.warn({ waitMs }, 'live events are not listening yet; subscriptions get events once Postgres answers');
    }
    clearTimeout(timer);
  }

  /** Ends every subscription and stops listening. */
  async stop(): Promise<void> {
    this.pubSub.close();
    for (const tenantId of new Set([...this.polls.keys(), ...this.windowEnds.keys()])) this.cancelRereads(tenantId);
    await this.listener.stop();
    await Promise.all([this.stats.stop(), this.cards.stop(), this.insights.stop()]);
  }

  /** When this process will next read a tenant's figures with no event, for its oldest failure leaving the hour; null if it will not. */
  failedLastHourDropsAt(tenantId: string): Date | null {
    const pending = this.windowEnds.get(tenantId);
    return pending ? new Date(pending.at) : null;
  }

  private received(payload: string, channel: string): void {
    let json: unknown;
    try {
      json = JSON.parse(payload);
    } catch {
      this.options.logger.warn({ channel, payload: payload.slice(0, 200) }, 'ignoring a notification that is not JSON');
      return;
    }
    if (channel === OPS_CHANNEL) {
      const event = opsNotification.safeParse(json);
      if (event.success && this.pubSub.hasSubscribers(topics.opsStats(event.data.tenantId))) this.stats.add(event.data.tenantId);
    } else if (channel === CARDS_CHANNEL) {
      const event = cardsNotification.safeParse(json);
      if (event.success && this.pubSub.hasSubscribers(topics.cardCreated(event.data.tenantId))) this.cards.add(event.data.tenantId, event.data.cardIds);
    } else if (channel === INSIGHTS_CHANNEL) {
      const event = insightNotification.safeParse(json);
      if (event.success && this.pubSub.hasSubscribers(topics.insightSynthesized(event.data.tenantId))) this.insights.add(event.data.tenantId, [event.data.insightId]);
    }
  }

  private connected(): void {
    if (this.listenedBefore) {
      // What was announced while the connection was down is lost; the figures at least can be read again.
      const tenants = this.pubSub.activeTopics().filter((topic): topic is OpsStatsTopic => topic.startsWith('ops/'));
      for (const topic of tenants) this.stats.add(tenantOf(topic));
    }
    this.listenedBefore = true;
    this.markListening();
  }

  private async publishStats(tenantId: string): Promise<void> {
    const topic = topics.opsStats(tenantId);
    const reading = this.pubSub.hasSubscribers(topic) ? await this.options.services.deadLetters.readStats(feedAuth(tenantId)) : null;
    // Checked again after the read: the last subscriber may have left (or the feed stopped) meanwhile, and its
    // timers went with it; none is scheduled for no one.
    if (!reading || !this.pubSub.hasSubscribers(topic)) {
      this.lastStats.delete(tenantId);
      return;
    }
    const { stats } = reading;
    this.pollWhileActive(tenantId, stats.active > 0);
    this.rereadAtWindowEnd(tenantId, reading);
    const figures = JSON.stringify(stats);
    if (this.lastStats.get(tenantId) === figures) return;
    this.lastStats.set(tenantId, figures);
    this.pubSub.publish(topic, stats);
  }

  /** pg-boss completes or fails a job after its handler returns, with no NOTIFY: while jobs are active, look again. */
  private pollWhileActive(tenantId: string, active: boolean): void {
    const pending = this.polls.get(tenantId);
    if (pending) clearTimeout(pending);
    this.polls.delete(tenantId);
    if (!active) return;
    const timer = setTimeout(() => {
      this.polls.delete(tenantId);
      this.stats.add(tenantId);
    }, ACTIVE_POLL_MS);
    timer.unref();
    this.polls.set(tenantId, timer);
  }

  /**
   * `failedLastHour` also drops with no event at all, when its oldest failure turns an hour old: read the figures
   * again then. One timer per tenant, kept while the time it waits for stays the same.
   */
  private rereadAtWindowEnd(tenantId: string, { failedLastHourDropsAt: dropsAt, readAt }: OpsStatsReading): void {
    const pending = this.windowEnds.get(tenantId);
    if (pending && pending.at === dropsAt?.getTime()) return;
    clearTimeout(pending?.timer);
    this.windowEnds.delete(tenantId);
    if (!dropsAt) return;
    // Waited by Postgres's clock, which decides what the window holds. Capped: a failure dated ahead of that clock
    // would otherwise ask for more than setTimeout holds, and it would fire at once, over and over.
    const wait = Math.min(Math.max(0, dropsAt.getTime() - readAt.getTime()), FAILED_WINDOW_MS) + FAILED_WINDOW_SLACK_MS;
    const timer = setTimeout(() => {
      this.windowEnds.delete(tenantId);
      this.stats.add(tenantId);
    }, wait);
    timer.unref();
    this.windowEnds.set(tenantId, { at: dropsAt.getTime(), timer });
  }

  /** A tenant's last subscriber here left: its figures need no reading again until someone subscribes. */
  private idle(topic: Topic): void {
    const tenantId = tenantOf(topic);
    if (topic === topics.opsStats(tenantId)) this.cancelRereads(tenantId);
  }

  private cancelRereads(tenantId: string): void {
    clearTimeout(this.polls.get(tenantId));
    this.polls.delete(tenantId);
    clearTimeout(this.windowEnds.get(tenantId)?.timer);
    this.windowEnds.delete(tenantId);
  }

  private async publishCards(tenantId: string, cardIds: string[]): Promise<void> {
    const topic = topics.cardCreated(tenantId);
    for (let start = 0; start < cardIds.length && this.pubSub.hasSubscribers(topic); start += ROWS_PER_LOAD) {
      // Loaded under the tenant's RLS: a notification naming another tenant's card ids finds nothing.
      const cards = await this.options.services.cards.byIds(feedAuth(tenantId), cardIds.slice(start, start + ROWS_PER_LOAD));
      for (const card of cards) this.pubSub.publish(topic, card);
    }
  }

  private async publishInsights(tenantId: string, insightIds: string[]): Promise<void> {
    const topic = topics.insightSynthesized(tenantId);
    // A tenant's run stores (and announces) its companies' insights one by one: read each tick's in one query.
    for (let start = 0; start < insightIds.length && this.pubSub.hasSubscribers(topic); start += ROWS_PER_LOAD) {
      // Loaded under the tenant's RLS: another tenant's insight (or one gone since) finds nothing to tell.
      const insights = await this.options.services.insights.byIds(feedAuth(tenantId), insightIds.slice(start, start + ROWS_PER_LOAD));
      for (const insight of insights) this.pubSub.publish(topic, insight);
    }
  }
}

/** Who reads on the feed's behalf: the tenant the notification names, as a system caller. */
function feedAuth(tenantId: string): AuthContext {
  return { tenantId, userId: null, role: 'system', correlationId: `live-${randomUUID()}`, sourceSystem: 'live' };
}
