import { randomFillSync } from 'node:crypto';
import { boundedGetOrMake } from './bounded-map';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

function encodeTime(ms: number): string {
  let out = '';
  let value = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

/**
 * Random bytes are drawn from a pool refilled 4 KB at a time from the same CSPRNG: a crypto.randomBytes call per id
 * (two per create) showed up at 2 % of a create's profile, a call into C++ and a new Buffer each time. Each byte is
 * used once.
 */
const pool = Buffer.alloc(4096);
let used = pool.length;

function encodeRandom(length: number): string {
  if (used + length > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[pool[used + i] % 32];
  used += length;
  return out;
}

/**
 * `pay_01jd…`: a prefix, then the creation time and 80 random bits, so ids sort by creation time. Lists page by
 * id, which gives a stable order without a second sort key.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  return `${prefix}_${encodeTime(now)}${encodeRandom(16)}`;
}

/** Each prefix's pattern, made once (the prefixes are a fixed set). */
const idPatterns = new Map<string, RegExp>();

export function isId(prefix: string, value: unknown): value is string {
  return typeof value === 'string' && boundedGetOrMake(idPatterns, prefix, 64, () => new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`)).test(value);
}
