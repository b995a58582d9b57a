import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { API_KEY_REVOKED_CHANNEL as REVOCATION_CHANNEL } from '@app/persistence';

/**
 * Listens on Postgres for revoked API keys (NOTIFY sent by the revoking transaction) and reports whether it is
 * listening right now. While it is not (connecting, Postgres restarting), nobody may trust a cached key.
 */
export class RevocationListener {
  private readonly logger = new Logger(RevocationListener.name);
  private client: Client | null = null;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  listening = false;
  /** Hashes heard lately, so a revoker that asks just after the notification arrived is answered at once. */
  private readonly recent = new Set<string>();
  private readonly waiters = new Map<string, Array<() => void>>();

  constructor(
    private readonly databaseUrl: string,
    private readonly onRevoked: (keyHash: string) => void,
    private readonly onGap: () => void,
  ) {}

  /** Resolves when the revocation of `hash` has been heard, or after `timeoutMs`, or at once when not listening. */
  heard(hash: string, timeoutMs: number): Promise<void> {
    if (!this.listening || this.recent.has(hash)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.set(hash, (this.waiters.get(hash) ?? []).filter((waiter) => waiter !== done));
        resolve();
      }, timeoutMs);
      this.waiters.set(hash, [...(this.waiters.get(hash) ?? []), done]);
    });
  }

  private hear(hash: string): void {
    this.onRevoked(hash);
    this.recent.add(hash);
    if (this.recent.size > 1000) this.recent.delete(this.recent.values().next().value!);
    for (const done of this.waiters.get(hash) ?? []) done();
    this.waiters.delete(hash);
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
    const client = new Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5000 });
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
      if (message.channel === REVOCATION_CHANNEL && message.payload) this.hear(message.payload);
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
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
