import { Redis } from 'ioredis';
import { maxBatch, SharedRateLimiter } from '../../apps/gateway/src/http/shared-rate-limiter';
import { testRedisUrl, testQueuePrefix } from '../support/env';

// Two limiter instances (two gateways) over the real Redis, sharing one key prefix of this test's own.
describe('SharedRateLimiter: one budget per key and second, drawn in batches by each instance', () => {
  const prefix = `{${testQueuePrefix('limiter')}}:ratelimit`;
  let redisA: Redis;
  let redisB: Redis;
  let serial = 0;
  const newKeyId = () => `key_limiter_${Date.now()}_${++serial}`;
  /** Holds Date.now() in the middle of one second, so a run cannot straddle two windows. */
  const holdSecond = (second: number) => jest.spyOn(Date, 'now').mockReturnValue(second * 1000 + 500);

  beforeAll(() => {
    redisA = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
    redisB = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    const keys = await redisA.keys(`${prefix}:*`);
    if (keys.length > 0) await redisA.del(...keys);
    redisA.disconnect();
    redisB.disconnect();
  });

  it('sizes a draw at 2 % of the limit, between 1 and 100', () => {
    expect([1, 3, 99, 100, 1000, 5000, 1_000_000].map(maxBatch)).toEqual([1, 1, 1, 2, 20, 100, 100]);
  });

  it('never admits more than the limit across two instances, refuses only with less than a batch unspent elsewhere, and needs few round trips', async () => {
    const limit = 500;
    const a = new SharedRateLimiter(redisA, prefix, limit);
    const b = new SharedRateLimiter(redisB, prefix, limit);
    const multiA = jest.spyOn(redisA, 'multi');
    const multiB = jest.spyOn(redisB, 'multi');
    const keyId = newKeyId();
    const second = Math.floor(Date.now() / 1000) + 10;
    holdSecond(second);
    let admitted = 0;
    let admittedAtFirstRefusal: number | null = null;
    // Bursts of concurrent requests, alternating between the instances, well past the limit.
    for (let burst = 0; burst < 40; burst++) {
      const limiter = burst % 2 === 0 ? a : b;
      const answers = await Promise.all(Array.from({ length: 20 }, () => limiter.take(keyId)));
      for (const ok of answers) {
        if (ok) admitted++;
        else if (admittedAtFirstRefusal === null) admittedAtFirstRefusal = admitted;
      }
    }
    expect(admitted).toBe(limit);
    expect(admittedAtFirstRefusal).toBeGreaterThanOrEqual(limit - (maxBatch(limit) - 1));
    expect(Number(await redisA.get(`${prefix}:${keyId}:${second}`))).toBeGreaterThanOrEqual(limit);
    // 800 requests: one Redis transaction per draw, not per request.
    expect(multiA.mock.calls.length + multiB.mock.calls.length).toBeLessThan(80);
  });

  it('shares the window with an instance counting one request at a time', async () => {
    const limit = 200;
    const batched = new SharedRateLimiter(redisA, prefix, limit);
    const exact = new SharedRateLimiter(redisB, prefix, limit, 1);
    const keyId = newKeyId();
    holdSecond(Math.floor(Date.now() / 1000) + 20);
    let admitted = 0;
    for (let i = 0; i < 300; i++) if (await (i % 3 === 0 ? exact : batched).take(keyId)) admitted++;
    expect(admitted).toBeLessThanOrEqual(limit);
    expect(admitted).toBeGreaterThanOrEqual(limit - (maxBatch(limit) - 1));
  });

  it('starts each second with a draw of one token, and a new second has a new budget', async () => {
    const limit = 1000;
    const a = new SharedRateLimiter(redisA, prefix, limit);
    const keyId = newKeyId();
    const second = Math.floor(Date.now() / 1000) + 30;
    holdSecond(second);
    expect(await a.take(keyId)).toBe(true);
    // A key used once in a second holds no tokens back from the other instances.
    expect(Number(await redisA.get(`${prefix}:${keyId}:${second}`))).toBe(1);
    await redisA.set(`${prefix}:${keyId}:${second}`, String(limit), 'EX', 5);
    expect(await a.take(keyId)).toBe(false);
    expect(a.take(keyId)).toBe(false); // known exhausted: no round trip until the second ends
    holdSecond(second + 1);
    expect(await a.take(keyId)).toBe(true);
  });

  it('rejects when Redis does not answer (the caller lets the request through)', async () => {
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    down.on('error', () => undefined);
    try {
      const limiter = new SharedRateLimiter(down, prefix, 100);
      await expect(limiter.take(newKeyId())).rejects.toThrow();
    } finally {
      down.disconnect();
    }
  });
});
