export interface RoutingTable {
  defaultProvider: string;
  currencyRoutes: Readonly<Record<string, string>>;
}

export type RoutingReason = 'request' | 'currency_route' | 'default';

/** The provider for a new payment: the body's `provider`, else the currency's route, else the default. */
export function chooseProvider(
  routing: RoutingTable,
  currency: string,
  requested?: string | null,
): { provider: string; reason: RoutingReason } {
  if (requested) return { provider: requested, reason: 'request' };
  // Own keys only: an inherited key ("constructor", "toString") must not read as a route.
  const routed = Object.hasOwn(routing.currencyRoutes, currency) ? routing.currencyRoutes[currency] : undefined;
  if (routed) return { provider: routed, reason: 'currency_route' };
  return { provider: routing.defaultProvider, reason: 'default' };
}

/** `NGN=provider,USD=other` parsing lives with the configuration that reads it. */
export { parsePairs } from '@app/common';
