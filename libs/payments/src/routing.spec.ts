import { chooseProvider, parsePairs, RoutingTable } from '@app/payments';

describe('chooseProvider', () => {
  const routing: RoutingTable = { defaultProvider: 'alpha', currencyRoutes: { NGN: 'beta', USD: 'alpha' } };

  it('prefers the request over the currency route', () => {
    expect(chooseProvider(routing, 'NGN', 'alpha')).toEqual({ provider: 'alpha', reason: 'request' });
  });

  it('uses the currency route when the request names none', () => {
    expect(chooseProvider(routing, 'NGN')).toEqual({ provider: 'beta', reason: 'currency_route' });
    expect(chooseProvider(routing, 'NGN', null)).toEqual({ provider: 'beta', reason: 'currency_route' });
  });

  it('falls back to the default provider', () => {
    expect(chooseProvider(routing, 'EUR')).toEqual({ provider: 'alpha', reason: 'default' });
    expect(chooseProvider({ defaultProvider: 'beta', currencyRoutes: {} }, 'USD')).toEqual({
      provider: 'beta',
      reason: 'default',
    });
  });

  it('does not treat inherited object keys as routes', () => {
    for (const currency of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(chooseProvider(routing, currency)).toEqual({ provider: 'alpha', reason: 'default' });
    }
  });
});

describe('parsePairs', () => {
  it('parses KEY=value pairs, trimming blanks and skipping empty entries', () => {
    expect(parsePairs(' NGN = beta , USD=alpha,, ')).toEqual([
      ['NGN', 'beta'],
      ['USD', 'alpha'],
    ]);
    expect(parsePairs('')).toEqual([]);
  });

  it.each(['NGN', 'NGN=', '=beta', 'NGN=beta=x', 'USD=alpha,EUR'])('refuses %p naming the entry', (text) => {
    expect(() => parsePairs(text)).toThrow(/is not KEY=value/);
  });

  it('names the bad entry in the error', () => {
    expect(() => parsePairs('USD=alpha,EUR')).toThrow('"EUR" is not KEY=value');
  });
});
