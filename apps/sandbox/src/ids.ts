import { randomInt } from 'node:crypto';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const ALPHANUMERICS = `${LETTERS}0123456789`;

/** Flashpay ids look like cuid2 (`szokiqnitlsqbi1g1fp9vhwo`): 24 lower-case alphanumerics, a letter first. */
export function flashpayId(): string {
  let id = LETTERS[randomInt(LETTERS.length)];
  while (id.length < 24) id += ALPHANUMERICS[randomInt(ALPHANUMERICS.length)];
  return id;
}
