import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { API_KEY_REVOKED_CHANNEL as REVOCATION_CHANNEL } from '@app/persistence';
import { boundedSet } from '@app/common';

/** Each listener, once it has dropped a revoked key, says so here (payload: the key's hash). */
const ACK_CHANNEL = `${REVOCATION_CHANNEL}_ack`;
/** How the listeners' connections are named, so a revoker can count them in pg_stat_activity. */
export const REVOCATION_LISTENER_APP_NAME = 'paygw-revocation-listener';
const REMEMBERED = 1000;

/**
 * Listens on Postgres for revoked API keys (NOTIFY sent by the revoking transaction) and reports whether it is
 * listening right now. While it is not (connecting, Postgres restarting), nobody may trust a cached key.
 *
 * Postgres hands a notification to every listener at commit, but each instance reads it from its own socket in its
 * own time: a revoker that answered as soon as it heard its own copy let another instance accept the key for a few
 * milliseconds more (1 of 97 trials). So every listener acknowledges each revocation once it has dropped the key,
 * and the revoker waits for as many acknowledgements as there are listeners.
 */
export class RevocationListener {
  private readonly logger = new Logger(RevocationListener.name);
  private client: Client | null = null;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  listening = false;
  /** Acknowledgements counted per hash lately, so a revoker that asks after they arrived is answered at once. */
  private readonly acks = new Map<string, number>();
  private readonly waiters = new Map<string, Array<() => void>>();

  constructor(
    private readonly databaseUrl: string,
    private readonly onRevoked: (keyHash: string) => void,
    private readonly onGap: () => void,
  ) {}

  /** How many listeners (of every instance, this one included) are connected to this database now. */
  async listeners(): Promise<number> {
    if (!this.client || !this.listening) return 0;
    try {
      const { rows } = await this.client.query<{ count: string }>(
        `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
        [REVOCATION_LISTENER_APP_NAME],
      );
      return Number(rows[0].count);
    } catch {
      return 0;
    }
  }

  /**
   * Resolves once `expected` listeners have acknowledged the revocation of `hash`, or after `timeoutMs` (a listener
   * that died meanwhile never will; its instance has cleared its cache, or its cache's TTL bounds the rest).
   */
  acknowledged(hash: string, expected: number, timeoutMs: number): Promise<void> {
    if (!this.listening || (this.acks.get(hash) ?? 0) >= expected) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if ((this.acks.get(hash) ?? 0) < expected) return;
        clearTimeout(timer);
        this.waiters.set(hash, (this.waiters.get(hash) ?? []).filter((waiter) => waiter !== check));
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.set(hash, (this.waiters.get(hash) ?? []).filter((waiter) => waiter !== check));
        resolve();
      }, timeoutMs);
      this.waiters.set(hash, [...(this.waiters.get(hash) ?? []), check]);
    });
  }

  /** Resolves once this listener has heard (and acknowledged) the revocation of `hash`, or after `timeoutMs`. */
  heard(hash: string, timeoutMs: number): Promise<void> {
    return this.acknowledged(hash, 1, timeoutMs);
  }

  private hear(client: Client, hash: string): void {
    this.onRevoked(hash);
    // Sent after the key is dropped: whoever counts this acknowledgement knows this instance no longer accepts it.
    client.query(`SELECT pg_notify($1, $2)`, [ACK_CHANNEL, hash]).catch(() => undefined);
  }

  private acknowledge(hash: string): void {
    boundedSet(this.acks, hash, (this.acks.get(hash) ?? 0) + 1, REMEMBERED);
    for (const check of [...(this.waiters.get(hash) ?? [])]) check();
    if (this.waiters.get(hash)?.length === 0) this.waiters.delete(hash);
  }

  start(): void {
    void this.connect(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.listening = false;
    await this.client?.end().catch(() => undefined);
  }

  private async connect(attempt: number): Promise<void> {
    if (this.stopped) return;
    // TCP keep-alive notices a connection that died without a word sooner; the cache's TTL bounds it anyway.
    const client = new Client({
      connectionString: this.databaseUrl,
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      application_name: REVOCATION_LISTENER_APP_NAME,
    });
    const lost = () => {
      if (this.client !== client) return;
      this.client = null;
      this.listening = false;
      this.onGap();
      if (!this.stopped) this.retryTimer = setTimeout(() => void this.connect(attempt + 1), Math.min(5000, 200 * 2 ** Math.min(attempt, 5)));
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      if (!message.payload) return;
      if (message.channel === REVOCATION_CHANNEL) this.hear(client, message.payload);
      else if (message.channel === ACK_CHANNEL) this.acknowledge(message.payload);
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
      await client.query(`LISTEN ${ACK_CHANNEL}`);
      // Anything revoked while we were not listening is unknown to us: start from an empty cache.
      this.onGap();
      this.listening = true;
      attempt = 0;
    } catch (error) {
      if (attempt === 0) this.logger.warn(`not listening for key revocations yet: ${(error as Error).message}`);
      lost();
      await client.end().catch(() => undefined);
    }
  }
}
