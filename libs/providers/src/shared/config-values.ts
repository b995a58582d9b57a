import { ConfigError, type Env } from '@app/common';
import { isKnownCurrency } from '@app/payments';

/** One ISO 4217 code from a provider variable, upper-cased; the error names the variable, never the value. */
export function currencyValue(variable: string, value: string): string {
  const code = value.trim().toUpperCase();
  if (!isKnownCurrency(code)) throw new ConfigError(variable, 'names a currency that is not an ISO 4217 code');
  return code;
}

/** A comma-separated list of ISO 4217 codes, at least one, without repeats. */
export function currencyList(env: Env, variable: string, fallback: string): string[] {
  const raw = env[variable] === undefined || env[variable] === '' ? fallback : env[variable]!;
  const codes = raw
    .split(',')
    .map((code) => code.trim())
    .filter(Boolean)
    .map((code) => currencyValue(variable, code));
  if (codes.length === 0) throw new ConfigError(variable, 'must list at least one currency');
  return [...new Set(codes)];
}
