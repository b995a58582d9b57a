import { boundedGetOrMake, boundedSet } from './bounded-map';

describe('bounded Map helpers', () => {
  it('forget the oldest key when a new one would pass the limit, and nothing when a key is updated', () => {
    const map = new Map<string, number>();
    boundedSet(map, 'a', 1, 2);
    boundedSet(map, 'b', 2, 2);
    boundedSet(map, 'a', 3, 2);
    expect([...map]).toEqual([['a', 3], ['b', 2]]);
    boundedSet(map, 'c', 4, 2);
    expect([...map]).toEqual([['b', 2], ['c', 4]]);
  });

  it('make a missing value once and keep it', () => {
    const map = new Map<string, string>();
    let made = 0;
    const make = () => `v${++made}`;
    expect(boundedGetOrMake(map, 'k', 10, make)).toBe('v1');
    expect(boundedGetOrMake(map, 'k', 10, make)).toBe('v1');
    expect(made).toBe(1);
  });
});
