import { registerDecorator, ValidationOptions } from 'class-validator';
import { isKnownCurrency, MAX_MINOR_AMOUNT } from '@app/payments';

function rule(name: string, test: (value: unknown) => boolean, message: string, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName,
      options: { message, ...options },
      validator: { validate: test },
    });
}

/** A positive integer number of minor units that every provider can be sent exactly (at most 15 digits). */
export const IsMinorAmount = (options?: ValidationOptions) =>
  rule('isMinorAmount', (v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v <= MAX_MINOR_AMOUNT,
    `$property must be a positive whole number of minor units, at most ${MAX_MINOR_AMOUNT}`, options);

/** An upper-case ISO 4217 code the gateway knows the exponent of. */
export const IsCurrencyCode = (options?: ValidationOptions) =>
  rule('isCurrencyCode', (v) => isKnownCurrency(v), '$property must be an upper-case ISO 4217 currency code', options);

/** `metadata`: at most 20 keys of 1-40 characters, string values of at most 500 characters. */
export const IsStringMap = (options?: ValidationOptions) =>
  rule('isStringMap', (v) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
    const entries = Object.entries(v);
    return entries.length <= 20 && entries.every(([key, value]) => key.length >= 1 && key.length <= 40 && typeof value === 'string' && value.length <= 500);
  }, '$property must be an object of at most 20 string values (keys 1-40 characters, values at most 500)', options);
