import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { ApiError, APP_CONFIG, AppConfig } from '@app/common';
import { LeasedTable, LifecycleStore } from './lifecycle.store';

/**
 * Serializes the mutating operations on one payment or payout across instances: a short lease written on the row
 * (never a database lock held across a provider call). The lease outlives the longest operation it guards (a few
 * provider calls, each bounded by PROVIDER_TIMEOUT_MS), so an instance that dies holding it blocks the resource
 * for that long at most. A second operation waits for the lease; past that bound it answers 409 `resource_busy`.
 */
@Injectable()
export class ResourceLease {
  readonly ttlMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly store: LifecycleStore,
  ) {
    this.ttlMs = 4 * config.providerTimeoutMs + 5_000;
  }

  async run<T>(table: LeasedTable, id: string, work: () => Promise<T>): Promise<T> {
    const token = randomUUID();
    const giveUpAt = Date.now() + this.ttlMs + 1_000;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      const taken = await this.store.takeLease(table, id, token, this.ttlMs);
      if (taken === null) throw ApiError.notFound(table === 'payments' ? 'Payment' : 'Payout');
      if (taken) break;
      if (Date.now() > giveUpAt) {
        throw ApiError.conflict('resource_busy', `Another change of this ${table === 'payments' ? 'payment' : 'payout'} is in progress; retry shortly`);
      }
      await sleep(delay);
    }
    try {
      return await work();
    } finally {
      await this.store.releaseLease(table, id, token);
    }
  }
}
