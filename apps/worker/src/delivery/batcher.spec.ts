import { Batcher } from './batcher';

/** A `run` whose calls stay open until the test releases them. */
function controlledRun() {
  const calls: Array<{ items: number[]; release(): void; fail(error: Error): void }> = [];
  const run = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ items, release: () => resolve(items.map((n) => `r${n}`)), fail: reject });
    });
  return { calls, run };
}

/** Lets pending callbacks and the batcher's next turn of the event loop run. */
const turn = async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('Batcher', () => {
  it('sends a lone item at once, by itself', async () => {
    const { calls, run } = controlledRun();
    const batcher = new Batcher(run, { maxBatch: 10, maxConcurrent: 1 });
    const result = batcher.submit(1);
    await turn();
    expect(calls.map((c) => c.items)).toEqual([[1]]);
    calls[0].release();
    await expect(result).resolves.toBe('r1');
  });

  it('gathers the items submitted while every call is busy and sends them together, each getting its own result', async () => {
    const { calls, run } = controlledRun();
    const batcher = new Batcher(run, { maxBatch: 10, maxConcurrent: 1 });
    const first = batcher.submit(1);
    await turn();
    const later = [2, 3, 4].map((n) => batcher.submit(n));
    await turn();
    expect(calls).toHaveLength(1);
    calls[0].release();
    await first;
    await turn();
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]]);
    calls[1].release();
    await expect(Promise.all(later)).resolves.toEqual(['r2', 'r3', 'r4']);
  });

  it('keeps batches at maxBatch and runs at most maxConcurrent at once', async () => {
    const { calls, run } = controlledRun();
    const batcher = new Batcher(run, { maxBatch: 2, maxConcurrent: 2 });
    const results = [1, 2, 3, 4, 5, 6, 7].map((n) => batcher.submit(n));
    await turn();
    expect(calls.map((c) => c.items)).toEqual([[1, 2], [3, 4]]);
    calls[0].release();
    await results[0];
    await turn();
    expect(calls.map((c) => c.items)).toEqual([[1, 2], [3, 4], [5, 6]]);
    calls[1].release();
    calls[2].release();
    await Promise.all(results.slice(0, 6));
    await turn();
    expect(calls[3].items).toEqual([7]);
    calls[3].release();
    await expect(Promise.all(results)).resolves.toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
  });

  it('rejects every item of a failed batch and goes on with the next', async () => {
    const { calls, run } = controlledRun();
    const batcher = new Batcher(run, { maxBatch: 10, maxConcurrent: 1 });
    const failed = [1, 2].map((n) => batcher.submit(n));
    await turn();
    const next = batcher.submit(3);
    calls[0].fail(new Error('connection lost'));
    await expect(Promise.all(failed.map((p) => p.catch((e: Error) => e.message)))).resolves.toEqual(['connection lost', 'connection lost']);
    await turn();
    calls[1].release();
    await expect(next).resolves.toBe('r3');
  });

  it('rejects a batch whose run returned the wrong number of results', async () => {
    const batcher = new Batcher(async (items: number[]) => items.slice(1), { maxBatch: 10, maxConcurrent: 1 });
    await expect(Promise.all([batcher.submit(1), batcher.submit(2)])).rejects.toThrow('batch of 2 returned 1 results');
  });
});
