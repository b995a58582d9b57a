import { ProviderName } from './payment.types';

export interface RoutingTable {
  defaultProvider: ProviderName;
  currencyRoutes: Readonly<Record<string, ProviderName>>;
}

export type RoutingReason = 'request' | 'currency_route' | 'default';

/** The provider for a new payment: the body's `provider`, else the currency's route, else the default. */
export function chooseProvider(
  routing: RoutingTable,
  currency: string,
  requested?: ProviderName | null,
): { provider: ProviderName; reason: RoutingReason } {
  if (requested) return { provider: requested, reason: 'request' };
  // Own keys only: an inherited key ("constructor", "toString") must not read as a route.
  const routed = Object.hasOwn(routing.currencyRoutes, currency) ? routing.currencyRoutes[currency] : undefined;
  if (routed) return { provider: routed, reason: 'currency_route' };
  return { provider: routing.defaultProvider, reason: 'default' };
}

/** Parses `NGN=flashpay,USD=flexiqash`; throws naming the bad entry. */
export function parsePairs(text: string): Array<[string, string]> {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const parts = entry.split('=').map((part) => part.trim());
      if (parts.length !== 2 || !parts[0] || !parts[1]) throw new Error(`"${entry}" is not KEY=value`);
      return [parts[0], parts[1]] as [string, string];
    });
}
