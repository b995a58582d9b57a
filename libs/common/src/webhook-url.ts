import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ApiError } from './api-error';

/** Loopback, private, link-local, unique-local, CGNAT and unspecified ranges, IPv4 and IPv6 (incl. IPv4-mapped). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPrivateAddress(mapped[1]);
  if (isIP(address) === 4) {
    const [a, b] = address.split('.').map(Number);
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224;
  }
  const lower = address.toLowerCase();
  return lower === '::' || lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower) || /^ff/.test(lower);
}

const invalid = (message: string) => ApiError.invalid(message, [{ field: 'url', message }], 'invalid_url');

/**
 * An endpoint URL must be http(s), carry no credentials, and (unless private URLs are allowed) resolve only to
 * public addresses. The worker checks the resolved address again at delivery time.
 */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('url must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('url must be an http or https URL');
  if (url.username || url.password) throw invalid('url must not carry credentials');
  if (url.hash) throw invalid('url must not have a fragment');
  if (allowPrivate) return url.toString();
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch {
    throw invalid(`url's host ${host} does not resolve`);
  }
  if (host === 'localhost' || addresses.some(isPrivateAddress)) throw invalid('url must not point at a loopback or private address');
  return url.toString();
}
