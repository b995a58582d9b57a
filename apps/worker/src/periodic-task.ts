import { Logger } from '@nestjs/common';

/**
 * Work the worker repeats: run by a chain of timeouts rather than an interval, so a slow run never overlaps the
 * next one; a run that fails is logged and the chain goes on. `stop()` ends the chain and waits for the run in
 * progress. The timers are unref'd: they never keep the process alive on their own.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    private readonly logger: Logger,
    /** What the log line calls it: "<what> failed (…)". */
    private readonly what: string,
    private readonly run: () => Promise<unknown>,
    private readonly intervalMs: () => number,
  ) {}

  /** The first run comes after `firstDelayMs` (0: right now, so `idle()` already waits for it). */
  start(firstDelayMs = this.intervalMs()): void {
    if (firstDelayMs === 0) this.fire();
    else this.schedule(firstDelayMs);
  }

  /** True once `stop()` was called: a long run checks it between batches and ends early. */
  get stopping(): boolean {
    return this.stopped;
  }

  /** Resolves once the run in progress, if any, has finished. */
  async idle(): Promise<void> {
    await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private fire(): void {
    this.running = this.run()
      .catch((error: Error) => this.logger.warn(`${this.what} failed (${error.message}); next try in ${this.intervalMs()} ms`))
      .finally(() => {
        this.running = null;
        this.schedule(this.intervalMs());
      });
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.fire(), delayMs);
    this.timer.unref();
  }
}
