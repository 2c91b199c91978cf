import { Client } from 'pg';
import type { Logger } from '../logging/logger';

export interface ListenerHandlers {
  /** A `NOTIFY` arrived on the channel. */
  notify(payload: string): void;
  /** (Re)connected and listening: notifications sent while disconnected are lost, so reload state here. */
  connected(): void;
}

const MAX_BACKOFF_MS = 10_000;

/**
 * One dedicated connection that `LISTEN`s on a channel and comes back on its own after Postgres goes away,
 * backing off up to 10 s between attempts.
 */
export class PgListener {
  private client: Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private attempts = 0;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly handlers: ListenerHandlers,
    private readonly logger: Logger,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`Invalid channel name ${channel}`);
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
      if (message.channel === this.channel) this.handlers.notify(message.payload ?? '');
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`listen ${this.channel}`);
    } catch (error) {
      this.lost(client, error as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    if (this.attempts > 0) this.logger.info({ channel: this.channel }, 'listener reconnected');
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
    this.logger.warn({ channel: this.channel, err: error, retryInMs: delay }, 'listener connection lost');
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, delay);
  }
}
