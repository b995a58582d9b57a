import { ValueTransformer } from 'typeorm';

/**
 * Postgres `bigint` arrives as a string. Amounts are validated as safe integers before they are written, so reading
 * them back as numbers is exact; anything else is a corrupted row and must not be silently rounded.
 */
export const bigintAmount: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => {
    if (value === null || value === undefined) return value;
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed)) throw new Error(`stored amount ${value} is not a safe integer`);
    return parsed;
  },
};
