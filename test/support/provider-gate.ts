import type { PaymentProvider } from '@app/payments';

/** A provider call held at the gate: the test sees its arguments, then lets it go on or makes it fail. */
export interface HeldCall {
  /** Resolves with the call's arguments once the call reaches the gate. */
  readonly arrived: Promise<unknown[]>;
  /** Lets the held call reach the provider. */
  release(): void;
  /** Fails the held call with this error instead of calling the provider. */
  fail(error: unknown): void;
  /** Resolves when the provider has answered the released call (or it failed). */
  readonly done: Promise<void>;
}

interface Pending {
  arrivedResolve: (args: unknown[]) => void;
  go: Promise<{ error?: unknown }>;
  goResolve: (value: { error?: unknown }) => void;
  doneResolve: () => void;
}

/**
 * Wraps provider adapters so a test can stop one call mid-flight, deterministically: `hold` arms the gate for the
 * next call of that method, `arrived` says the call is waiting, and nothing reaches the provider until `release`.
 * This is how races are tested without sleeping: the competing operation runs while the first is held.
 */
export class ProviderGate {
  private readonly armed = new Map<string, Pending[]>();
  private readonly waiting = new Set<Pending>();
  /** Every call that passed the gate, in order: `provider.method`. */
  readonly calls: string[] = [];

  hold(provider: string, method: keyof PaymentProvider & string): HeldCall {
    let arrivedResolve!: (args: unknown[]) => void;
    const arrived = new Promise<unknown[]>((resolve) => (arrivedResolve = resolve));
    let goResolve!: (value: { error?: unknown }) => void;
    const go = new Promise<{ error?: unknown }>((resolve) => (goResolve = resolve));
    let doneResolve!: () => void;
    const done = new Promise<void>((resolve) => (doneResolve = resolve));
    const pending: Pending = { arrivedResolve, go, goResolve, doneResolve };
    const key = `${provider}.${method}`;
    this.armed.set(key, [...(this.armed.get(key) ?? []), pending]);
    return {
      arrived,
      done,
      release: () => goResolve({}),
      fail: (error: unknown) => goResolve({ error }),
    };
  }

  /** Lets every held call go (used when a test ends). */
  releaseAll(): void {
    for (const pending of this.waiting) pending.goResolve({});
    for (const list of this.armed.values()) for (const pending of list) pending.goResolve({});
    this.armed.clear();
  }

  count(provider: string, method: string): number {
    return this.calls.filter((call) => call === `${provider}.${method}`).length;
  }

  wrap<T extends PaymentProvider>(provider: T): T {
    return new Proxy(provider, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string' || property === 'health' || property === 'onCall' || property === 'constructor') {
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return async (...args: unknown[]) => {
          const key = `${target.name}.${property}`;
          const queue = this.armed.get(key);
          const pending = queue?.shift();
          if (queue && queue.length === 0) this.armed.delete(key);
          if (pending) {
            this.waiting.add(pending);
            pending.arrivedResolve(args);
            const { error } = await pending.go;
            this.waiting.delete(pending);
            if (error !== undefined) {
              pending.doneResolve();
              throw error;
            }
            this.calls.push(key);
            try {
              return await value.apply(target, args);
            } finally {
              pending.doneResolve();
            }
          }
          this.calls.push(key);
          return value.apply(target, args);
        };
      },
    });
  }
}

/**
 * Waits until `held` has its call, failing at once if `answer` (the request that should make the call) settles
 * first: a request that never reaches the provider would otherwise leave the test waiting until its timeout.
 */
export async function reached<T>(held: HeldCall, answer: Promise<T>): Promise<unknown[]> {
  return Promise.race([
    held.arrived,
    answer.then((settled) => {
      throw new Error(`the request answered before reaching the provider: ${JSON.stringify(settled).slice(0, 500)}`);
    }),
  ]);
}
