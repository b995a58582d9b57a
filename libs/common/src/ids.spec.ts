import { isId, newId } from './ids';

describe('newId', () => {
  it('makes well-formed ids that sort by creation time', () => {
    const earlier = newId('pay', Date.UTC(2026, 0, 1));
    const later = newId('pay', Date.UTC(2026, 0, 2));
    expect(isId('pay', earlier)).toBe(true);
    expect(isId('po', earlier)).toBe(false);
    expect(isId('pay', `${earlier}x`)).toBe(false);
    expect(isId('pay', 42)).toBe(false);
    expect(earlier < later).toBe(true);
  });

  it('never repeats its random part, also across refills of its random pool', () => {
    const now = Date.now();
    // 16 bytes an id from a 4 KB pool: 3,000 ids refill it about a dozen times.
    const random = Array.from({ length: 3000 }, () => newId('evt', now).slice(-16));
    expect(new Set(random).size).toBe(random.length);
    // Every character of the alphabet turns up in every position (16 × 32 cells, about 94 draws each).
    for (let position = 0; position < 16; position++) expect(new Set(random.map((id) => id[position])).size).toBe(32);
  });
});
