export interface BatcherOptions {
  /** Most items one call of `run` receives. */
  maxBatch: number;
  /** Most calls of `run` in progress at once; further items wait for one to finish and go together. */
  maxConcurrent: number;
}

interface Pending<I, O> {
  item: I;
  resolve(result: O): void;
  reject(error: unknown): void;
}

/**
 * Turns many small requests into few calls of `run`, the way group commit does: an item submitted while a call
 * is free goes out on the next turn of the event loop, alone if nothing else came; items submitted while every
 * call is busy are gathered and go together when one finishes. Under light load nothing waits; under heavy load
 * batches grow by themselves. `run` returns one result per item, in order; if it throws, every item of that
 * batch is rejected with its error.
 */
export class Batcher<I, O> {
  private readonly waiting: Array<Pending<I, O>> = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: BatcherOptions,
  ) {
    if (options.maxBatch < 1 || options.maxConcurrent < 1) throw new Error('maxBatch and maxConcurrent must be at least 1');
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.options.maxConcurrent || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.running < this.options.maxConcurrent && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.running += 1;
      this.execute(batch).finally(() => {
        this.running -= 1;
        this.schedule();
      });
    }
  }

  private async execute(batch: Array<Pending<I, O>>): Promise<void> {
    try {
      const results = await this.run(batch.map((pending) => pending.item));
      if (results.length !== batch.length) throw new Error(`batch of ${batch.length} returned ${results.length} results`);
      batch.forEach((pending, i) => pending.resolve(results[i]));
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}
