import { chooseProvider, parsePairs, RoutingTable } from '@app/payments';

describe('chooseProvider', () => {
  const routing: RoutingTable = { defaultProvider: 'flexiqash', currencyRoutes: { NGN: 'flashpay', USD: 'flexiqash' } };

  it('prefers the request over the currency route', () => {
    expect(chooseProvider(routing, 'NGN', 'flexiqash')).toEqual({ provider: 'flexiqash', reason: 'request' });
  });

  it('uses the currency route when the request names none', () => {
    expect(chooseProvider(routing, 'NGN')).toEqual({ provider: 'flashpay', reason: 'currency_route' });
    expect(chooseProvider(routing, 'NGN', null)).toEqual({ provider: 'flashpay', reason: 'currency_route' });
  });

  it('falls back to the default provider', () => {
    expect(chooseProvider(routing, 'EUR')).toEqual({ provider: 'flexiqash', reason: 'default' });
    expect(chooseProvider({ defaultProvider: 'flashpay', currencyRoutes: {} }, 'USD')).toEqual({
      provider: 'flashpay',
      reason: 'default',
    });
  });

  it('does not treat inherited object keys as routes', () => {
    for (const currency of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(chooseProvider(routing, currency)).toEqual({ provider: 'flexiqash', reason: 'default' });
    }
  });
});

describe('parsePairs', () => {
  it('parses KEY=value pairs, trimming blanks and skipping empty entries', () => {
    expect(parsePairs(' NGN = flashpay , USD=flexiqash,, ')).toEqual([
      ['NGN', 'flashpay'],
      ['USD', 'flexiqash'],
    ]);
    expect(parsePairs('')).toEqual([]);
  });

  it.each(['NGN', 'NGN=', '=flashpay', 'NGN=flashpay=x', 'USD=flexiqash,EUR'])('refuses %p naming the entry', (text) => {
    expect(() => parsePairs(text)).toThrow(/is not KEY=value/);
  });

  it('names the bad entry in the error', () => {
    expect(() => parsePairs('USD=flexiqash,EUR')).toThrow('"EUR" is not KEY=value');
  });
});
