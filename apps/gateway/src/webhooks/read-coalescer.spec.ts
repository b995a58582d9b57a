import { ReadCoalescer } from './read-coalescer';

/** A read the test finishes by hand, counting how many were started. */
function reads() {
  const started: Array<{ finish: () => void; fail: (error: Error) => void }> = [];
  const read = () =>
    new Promise<void>((resolve, reject) => {
      started.push({ finish: resolve, fail: reject });
    });
  return { started, read };
}

const flush = async () => {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
};

describe('ReadCoalescer', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('runs a first read at once, and joins callers during it into one trailing read after the interval', async () => {
    const coalescer = new ReadCoalescer(1000, () => Date.now());
    const { started, read } = reads();
    const first = coalescer.run('p1', read);
    expect(started).toHaveLength(1);
    const joined = [coalescer.run('p1', read), coalescer.run('p1', read), coalescer.run('p1', read)];
    expect(started).toHaveLength(1);
    started[0].finish();
    await first;
    await flush();
    expect(started).toHaveLength(1); // the interval has not passed
    jest.advanceTimersByTime(999);
    await flush();
    expect(started).toHaveLength(1);
    jest.advanceTimersByTime(1);
    await flush();
    expect(started).toHaveLength(2);
    started[1].finish();
    await Promise.all(joined);
  });

  it('keeps keys apart, and a caller after the interval starts a read at once', async () => {
    const coalescer = new ReadCoalescer(1000, () => Date.now());
    const { started, read } = reads();
    const a = coalescer.run('a', read);
    const b = coalescer.run('b', read);
    expect(started).toHaveLength(2);
    started[0].finish();
    started[1].finish();
    await Promise.all([a, b]);
    jest.advanceTimersByTime(1000);
    const later = coalescer.run('a', read);
    expect(started).toHaveLength(3);
    started[2].finish();
    await later;
  });

  it('a failed read fails its callers, and the trailing read still runs for those who came during it', async () => {
    const coalescer = new ReadCoalescer(1000, () => Date.now());
    const { started, read } = reads();
    const first = coalescer.run('p', read);
    const second = coalescer.run('p', read);
    started[0].fail(new Error('provider down'));
    await expect(first).rejects.toThrow('provider down');
    jest.advanceTimersByTime(1000);
    await flush();
    expect(started).toHaveLength(2);
    started[1].finish();
    await expect(second).resolves.toBeUndefined();
  });

  it('forgets a key once its interval has passed with nothing waiting', async () => {
    const coalescer = new ReadCoalescer(1000, () => Date.now());
    const { started, read } = reads();
    const one = coalescer.run('p', read);
    started[0].finish();
    await one;
    expect(coalescer.size).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(coalescer.size).toBe(0);
  });
});
