import { maxAttempts, parseRetryAfter, retryDelayMs } from './retry-policy';

describe('retry policy', () => {
  const schedule = [5_000, 300_000, 1_800_000];

  it('gives one attempt more than the schedule has delays', () => {
    expect(maxAttempts(schedule)).toBe(4);
  });

  it('waits schedule[attempt - 1] with at most 20 % jitter either way', () => {
    expect(retryDelayMs(schedule, 1, null, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(schedule, 2, null, () => 0)).toBe(240_000);
    expect(retryDelayMs(schedule, 3, null, () => 1)).toBe(2_160_000);
    for (let i = 0; i < 200; i++) {
      const delay = retryDelayMs(schedule, 1, null);
      expect(delay).toBeGreaterThanOrEqual(4_000);
      expect(delay).toBeLessThanOrEqual(6_000);
    }
  });

  it('uses the last delay for attempts past the schedule', () => {
    expect(retryDelayMs(schedule, 9, null, () => 0.5)).toBe(1_800_000);
  });

  it('never comes back before Retry-After, and keeps the schedule when it is longer', () => {
    expect(retryDelayMs(schedule, 1, 60_000, () => 0.5)).toBe(60_000);
    expect(retryDelayMs(schedule, 2, 1_000, () => 0.5)).toBe(300_000);
  });

  it('reads Retry-After as seconds or an HTTP date, clamped to [1 s, 1 h]', () => {
    const now = Date.parse('2024-11-22T10:00:00Z');
    expect(parseRetryAfter('1', now)).toBe(1_000);
    expect(parseRetryAfter('0', now)).toBe(1_000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('86400', now)).toBe(3_600_000);
    expect(parseRetryAfter('Fri, 22 Nov 2024 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 22 Nov 2024 09:00:00 GMT', now)).toBe(1_000);
    expect(parseRetryAfter(['5', '9'], now)).toBe(5_000);
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
  });
});
