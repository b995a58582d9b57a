import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPlainObject } from './http';
import type { WebhookSender } from './webhook-sender';

export interface FaultSettings {
  latencyMs: number;
  /** Delays the answer after the call was carried out: the provider acted, but the caller may give up waiting. */
  responseDelayMs: number;
  failNext: number;
  failStatus: number;
  hang: boolean;
}

interface RequestRecord {
  method: string;
  path: string;
  at: string;
}

const NO_FAULTS: FaultSettings = { latencyMs: 0, responseDelayMs: 0, failNext: 0, failStatus: 500, hang: false };
const REQUEST_LOG_LIMIT = 1000;
const MAX_LATENCY_MS = 600_000;

/**
 * One sandbox's injected faults and its log of API calls. `hook` is installed on the provider API routes only,
 * so the control routes and the checkout pages keep answering while the "provider" misbehaves.
 */
export class FaultInjector {
  private settings: FaultSettings;
  private readonly hung = new Set<FastifyReply>();
  /** Aborted at shutdown so injected delays do not hold the server open. */
  private readonly shutdownSignal = new AbortController();
  private log: RequestRecord[] = [];
  private counts = new Map<string, number>();

  constructor(initial: Partial<FaultSettings> = {}) {
    this.settings = { ...NO_FAULTS, ...initial };
  }

  get current(): FaultSettings {
    return { ...this.settings };
  }

  readonly hook = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    this.record(request);
    if (this.settings.hang) return this.hold(reply);
    if (this.settings.latencyMs > 0) {
      try {
        await sleep(this.settings.latencyMs, undefined, { signal: this.shutdownSignal.signal });
      } catch {
        reply.raw.destroy();
        return new Promise<never>(() => undefined);
      }
    }
    if (this.settings.failNext > 0) {
      this.settings.failNext -= 1;
      return reply.code(this.settings.failStatus).send({ message: 'Injected failure' });
    }
    return undefined;
  };

  /** onSend: holds an answer whose work is already done (responseDelayMs). */
  readonly sendHook = async (): Promise<void> => {
    if (this.settings.responseDelayMs > 0) {
      await sleep(this.settings.responseDelayMs, undefined, { signal: this.shutdownSignal.signal }).catch(() => undefined);
    }
  };

  /** Returns a problem to report, or null once the settings are merged in. */
  update(body: unknown): string | null {
    if (!isPlainObject(body)) return 'body must be a JSON object';
    const next = { ...this.settings };
    for (const [key, value] of Object.entries(body)) {
      switch (key) {
        case 'latencyMs':
          if (typeof value !== 'number' || !(value >= 0 && value <= MAX_LATENCY_MS)) return `latencyMs must be a number from 0 to ${MAX_LATENCY_MS}`;
          next.latencyMs = value;
          break;
        case 'responseDelayMs':
          if (typeof value !== 'number' || !(value >= 0 && value <= MAX_LATENCY_MS)) return `responseDelayMs must be a number from 0 to ${MAX_LATENCY_MS}`;
          next.responseDelayMs = value;
          break;
        case 'failNext':
          if (!Number.isSafeInteger(value) || (value as number) < 0) return 'failNext must be a whole number';
          next.failNext = value as number;
          break;
        case 'failStatus':
          if (!Number.isInteger(value) || (value as number) < 400 || (value as number) > 599) return 'failStatus must be an HTTP status from 400 to 599';
          next.failStatus = value as number;
          break;
        case 'hang':
          if (typeof value !== 'boolean') return 'hang must be true or false';
          next.hang = value;
          break;
        default:
          // A misspelt fault would otherwise silently test nothing.
          return `unknown fault ${JSON.stringify(key)}`;
      }
    }
    this.settings = next;
    if (!next.hang) this.releaseHung();
    return null;
  }

  clear(): void {
    this.settings = { ...NO_FAULTS };
    this.releaseHung();
  }

  forgetRequests(): void {
    this.log = [];
    this.counts = new Map();
  }

  requests(): { data: RequestRecord[]; counts: Record<string, number> } {
    return { data: [...this.log], counts: Object.fromEntries(this.counts) };
  }

  /** Hung calls are cut off rather than resumed: a caller that gave up must not find the work done anyway. */
  releaseHung(): void {
    for (const reply of this.hung) reply.raw.destroy();
    this.hung.clear();
  }

  /** Cuts off hung and delayed calls so that closing the server does not wait for them. */
  shutdown(): void {
    this.shutdownSignal.abort();
    this.releaseHung();
  }

  private hold(reply: FastifyReply): Promise<never> {
    this.hung.add(reply);
    reply.raw.once('close', () => this.hung.delete(reply));
    return new Promise<never>(() => undefined);
  }

  private record(request: FastifyRequest): void {
    this.log.push({ method: request.method, path: request.url.split('?')[0], at: new Date().toISOString() });
    if (this.log.length > REQUEST_LOG_LIMIT) this.log.splice(0, this.log.length - REQUEST_LOG_LIMIT);
    // Counted per route pattern (`GET /api/payments/:guid/view`), so benchmarks can total calls per endpoint.
    const key = `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

export interface ControlTargets {
  faults: FaultInjector;
  webhooks: WebhookSender;
  /** Forgets the provider's own records (payments, payouts) and anything scheduled for them. */
  resetState(): void;
}

/**
 * Test and benchmark controls. They take no credentials: the sandboxes are local-only simulators
 * and listen on loopback by default.
 */
export function registerControlRoutes(app: FastifyInstance, { faults, webhooks, resetState }: ControlTargets): void {
  app.get('/__sandbox/faults', async () => faults.current);
  app.put('/__sandbox/faults', async (request, reply) => {
    const problem = faults.update(request.body);
    if (problem) return reply.code(400).send({ message: problem });
    return faults.current;
  });
  app.delete('/__sandbox/faults', async () => {
    faults.clear();
    return faults.current;
  });
  app.get('/__sandbox/requests', async () => faults.requests());
  app.delete('/__sandbox/requests', async (_request, reply) => {
    faults.forgetRequests();
    return reply.code(204).send();
  });
  app.get('/__sandbox/webhooks', async () => ({ data: webhooks.deliveries() }));
  app.delete('/__sandbox/state', async (_request, reply) => {
    resetState();
    webhooks.reset();
    faults.clear();
    faults.forgetRequests();
    return reply.code(204).send();
  });
  // Otherwise a hung or delayed call keeps its connection open and close() waits for it.
  app.addHook('preClose', async () => {
    faults.shutdown();
    webhooks.cancelAll();
  });
}
