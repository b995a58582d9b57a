import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/common';
import { WebhookRepository } from '@app/persistence';
import { PeriodicTask } from '../periodic-task';

/**
 * After SECRETS_ENCRYPTION_KEY is rotated (the old key moved to SECRETS_ENCRYPTION_OLD_KEYS), re-seals every webhook
 * endpoint secret still sealed under an old key, so the old key can then be dropped. Runs when the worker starts and
 * again every RETENTION_INTERVAL; a pass with nothing to do is one small query. No lock is needed: each row is
 * rewritten only if unchanged since read, so two workers at once re-seal each row once between them.
 */
@Injectable()
export class SecretResealService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SecretReseal');
  private readonly task = new PeriodicTask(this.logger, 're-sealing endpoint secrets', () => this.runOnce(), () => this.config.retention.intervalMs);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly webhooks: WebhookRepository,
  ) {}

  onApplicationBootstrap(): void {
    // Not awaited: start-up does not wait for it (a pass that fails is logged and tried again on the timer).
    this.task.start(0);
  }

  /** Resolves once the pass in progress (the start-up one, right after start) has finished. */
  async idle(): Promise<void> {
    await this.task.idle();
  }

  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
  }

  /** One pass; returns how many endpoints it re-sealed under the current key. */
  async runOnce(): Promise<number> {
    const { resealed, unopenable } = await this.webhooks.resealSecrets();
    if (resealed > 0) this.logger.log(`re-sealed the secrets of ${resealed} webhook endpoints under key "${this.config.secrets.currentId}"`);
    if (unopenable.length > 0) {
      this.logger.warn(
        `${unopenable.length} webhook endpoint secrets are sealed under a key missing from SECRETS_ENCRYPTION_OLD_KEYS and cannot be re-sealed (first: ${unopenable[0]})`,
      );
    }
    return resealed;
  }
}
