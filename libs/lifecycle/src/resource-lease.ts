import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { ApiError, APP_CONFIG, AppConfig } from '@app/common';
import { LeasedTable, LifecycleStore } from './lifecycle.store';

/** A lease this operation holds. Its final write may give it back in the same statement (`givenBack`). */
export interface HeldLease {
  readonly token: string;
  /** The operation's own write released the lease: nothing is left to release. */
  givenBack(): void;
}

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

  /** A token for a lease taken by the row's own INSERT (a new resource is born leased), then `runHeld`. */
  newToken(): string {
    return randomUUID();
  }

  async run<T>(table: LeasedTable, id: string, work: (lease: HeldLease) => Promise<T>): Promise<T> {
    const token = this.newToken();
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
    return this.runHeld(table, id, token, work);
  }

  /** Runs `work` under a lease already held by `token`, and releases it after, unless `work` gave it back. */
  async runHeld<T>(table: LeasedTable, id: string, token: string, work: (lease: HeldLease) => Promise<T>): Promise<T> {
    let held = true;
    try {
      return await work({ token, givenBack: () => (held = false) });
    } finally {
      if (held) await this.store.releaseLease(table, id, token);
    }
  }
}
