import { Client } from 'pg';
import type { Logger } from '../logging/logger';

export interface ListenerHandlers {
  /** A `NOTIFY` arrived on one of the channels. */
  notify(payload: string, channel: string): void;
  /** (Re)connected and listening: notifications sent while disconnected are lost, so reload state here. */
  connected(): void;
}

const MAX_BACKOFF_MS = 10_000;

/**
 * One dedicated connection that `LISTEN`s on one or more channels and comes back on its own after Postgres goes away,
 * backing off up to 10 s between attempts.
 */
export class PgListener {
  private client: Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private attempts = 0;
  private readonly channels: readonly string[];

  constructor(
    private readonly url: string,
    channels: string | readonly string[],
    private readonly handlers: ListenerHandlers,
    private readonly logger: Logger,
  ) {
    this.channels = typeof channels === 'string' ? [channels] : [...channels];
    if (this.channels.length === 0) throw new Error('A listener needs at least one channel');
    for (const channel of this.channels) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`Invalid channel name ${channel}`);
    }
  }

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.url, application_name: 'pebble-listener' });
    client.on('notification', (message) => {
      if (this.channels.includes(message.channel)) this.handlers.notify(message.payload ?? '', message.channel);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(this.channels.map((channel) => `listen ${channel}`).join('; '));
    } catch (error) {
      this.lost(client, error as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    if (this.attempts > 0) this.logger.info({ channels: this.channels }, 'listener reconnected');
    this.attempts = 0;
    this.handlers.connected();
  }

  private lost(client: Client, error?: Error): void {
    if (this.client && this.client !== client) return;
    this.client = null;
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    if (this.stopped || this.retry) return;
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** this.attempts++);
    this.logger.warn({ channels: this.channels, err: error, retryInMs: delay }, 'listener connection lost');
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, delay);
  }
}
