import { currencyExponent, MoneyError } from './currency';

/**
 * Conversions between the gateway's integer minor units and a provider's decimal major units, done on decimal
 * strings with integer arithmetic only: no float ever carries an amount.
 *
 * A provider that speaks JSON numbers in major units hands us an IEEE double. JavaScript prints a double as the
 * shortest decimal that reads back to the same double, so any decimal of at most 15 significant digits survives
 * JSON.parse → String() unchanged. Amounts that need more digits than that are refused on the way out, and a
 * number that is not exactly representable in the currency's minor units is refused on the way in.
 */
const MAX_EXACT_DIGITS = 15;

/**
 * The largest amount the gateway accepts, in minor units: the largest with 15 digits. Any such amount, in any
 * currency, converts to a major-units double and back exactly, so an amount the API accepts is one every provider
 * can be sent (a larger one would pass validation and then fail at a provider that takes decimal major units).
 */
export const MAX_MINOR_AMOUNT = 999_999_999_999_999;

export function assertMinorAmount(minor: unknown): asserts minor is number {
  if (typeof minor !== 'number' || !Number.isSafeInteger(minor)) {
    throw new MoneyError('amount must be an integer number of minor units within ±2^53');
  }
}

/** 12399 USD → "123.99"; 5 JPY → "5"; 1234 KWD → "1.234"; -5 USD → "-0.05". */
export function minorToMajorString(minor: number, currency: string): string {
  assertMinorAmount(minor);
  const exponent = currencyExponent(currency);
  const negative = minor < 0;
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return (negative ? '-' : '') + whole + (exponent > 0 ? '.' + fraction : '');
}

/** "123.99" USD → 12399; "123.9" → 12390; "5" JPY → 5; "0.001" USD → MoneyError (finer than a cent). */
export function majorStringToMinor(major: string, currency: string): number {
  const exponent = currencyExponent(currency);
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(major.trim());
  if (!match) throw new MoneyError(`not a decimal amount: ${JSON.stringify(major)}`);
  const [, sign, whole, rawFraction = ''] = match;
  const fraction = rawFraction.replace(/0+$/, '');
  if (fraction.length > exponent) {
    throw new MoneyError(`${major} ${currency} has more decimals than the currency's ${exponent}`);
  }
  const digits = (whole + fraction.padEnd(exponent, '0')).replace(/^0+(?=\d)/, '');
  const minor = Number(digits);
  if (!Number.isSafeInteger(minor)) throw new MoneyError(`${major} ${currency} is too large`);
  return sign === '-' && minor !== 0 ? -minor : minor;
}

/** A provider's JSON number (major units) to integer minor units, exactly. */
export function majorNumberToMinor(major: unknown, currency: string): number {
  if (typeof major === 'string') return majorStringToMinor(major, currency);
  if (typeof major !== 'number' || !Number.isFinite(major)) {
    throw new MoneyError(`not a finite amount: ${JSON.stringify(major)}`);
  }
  // String() gives the shortest decimal that reads back as this double, e.g. 0.30000000000000004 stays itself
  // (and is then refused for having too many decimals), while 123.99 prints as "123.99".
  const text = String(major);
  if (/e/i.test(text)) throw new MoneyError(`amount ${text} is out of range`);
  return majorStringToMinor(text, currency);
}

/** Integer minor units to the JSON number a decimal-major-units provider expects, refusing any loss. */
export function minorToMajorNumber(minor: number, currency: string): number {
  const text = minorToMajorString(minor, currency);
  const significant = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '');
  if (significant.length > MAX_EXACT_DIGITS) {
    throw new MoneyError(`${text} ${currency} has more than ${MAX_EXACT_DIGITS} significant digits`);
  }
  const value = Number(text);
  if (majorNumberToMinor(value, currency) !== minor) throw new MoneyError(`${text} ${currency} cannot be sent exactly`);
  return value;
}
