import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, LookupFunction } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig, isPrivateAddress } from '@app/common';
import { honoursRetryAfter, parseRetryAfter } from './retry-policy';

/** Enough to see a receiver's answer; the rest is not read (a receiver cannot make us buffer megabytes). */
const MAX_RESPONSE_BYTES = 4 * 1024;
/** What the attempt history keeps of an answer. */
export const KEPT_RESPONSE_BYTES = 1024;

/** Why an attempt got no 2xx, for the attempt history and for deciding nothing else (retries read the status). */
export type AttemptErrorKind = 'http_status' | 'redirect' | 'timeout' | 'connection' | 'dns' | 'refused' | 'invalid_url';

export interface WebhookResponse {
  /** The receiver's HTTP status, or null when there was none (refused, DNS, connection, timeout). */
  status: number | null;
  /** Retry-After on a 429 or 503, clamped to [1 s, 1 h]. */
  retryAfterMs: number | null;
  durationMs: number;
  /** Why the attempt failed, for the attempt record; never contains the URL, headers or secret. */
  error: string | null;
  errorKind: AttemptErrorKind | null;
  /** The first KEPT_RESPONSE_BYTES of the answer's body (UTF-8, a cut character replaced), or null without one. */
  body: string | null;
}

class PrivateAddressError extends Error {
  readonly code = 'EPRIVATEADDRESS';
}

/**
 * DNS lookup that drops loopback, private and link-local answers. Node connects only to what the lookup returns,
 * so the check holds for the address actually used: a name rebound to 127.0.0.1 after an endpoint was saved is
 * still refused at delivery time.
 */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    const answer = callback as (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
    if (error) return answer(error, options.all ? [] : '');
    const allowed = addresses.filter((entry) => !isPrivateAddress(entry.address));
    if (allowed.length === 0) return answer(new PrivateAddressError(`refused: ${hostname} resolves only to private addresses`), options.all ? [] : '');
    if (options.all) return answer(null, allowed);
    return answer(null, allowed[0].address, allowed[0].family);
  });
};

/** POSTs one signed webhook body. Never throws: every outcome is a WebhookResponse the processor records. */
@Injectable()
export class WebhookClient {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  post(url: string, body: string, headers: Record<string, string>): Promise<WebhookResponse> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return Promise.resolve({ status: null, retryAfterMs: null, durationMs: 0, error: 'endpoint URL is not valid', errorKind: 'invalid_url', body: null });
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      return Promise.resolve({ status: null, retryAfterMs: null, durationMs: 0, error: 'endpoint URL must be http or https', errorKind: 'invalid_url', body: null });
    }
    const allowPrivate = this.config.webhooks.allowPrivateUrls;
    const host = target.hostname.replace(/^\[|\]$/g, '');
    // An IP literal is connected to without a lookup, so it is checked here.
    if (!allowPrivate && isIP(host) && isPrivateAddress(host)) {
      return Promise.resolve({ status: null, retryAfterMs: null, durationMs: 0, error: `refused: ${host} is a private address`, errorKind: 'refused', body: null });
    }

    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<WebhookResponse>((resolve) => {
      let settled = false;
      const finish = (result: Omit<WebhookResponse, 'durationMs'>, abort: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (abort) request.destroy();
        resolve({ ...result, durationMs: elapsed() });
      };
      const request = send(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'payments-gateway-webhooks/1' },
          lookup: allowPrivate ? undefined : publicOnlyLookup,
          // Redirects are never followed (node:http does not); a 3xx is recorded as a failed attempt below.
        },
        (response: IncomingMessage) => {
          const status = response.statusCode ?? 0;
          const kept: Buffer[] = [];
          let keptBytes = 0;
          const outcome = (): Omit<WebhookResponse, 'durationMs'> => ({
            status,
            retryAfterMs: honoursRetryAfter(status) ? parseRetryAfter(response.headers['retry-after']) : null,
            error: status >= 200 && status < 300 ? null : status >= 300 && status < 400 ? `redirect (${status}) not followed` : `responded ${status}`,
            errorKind: status >= 200 && status < 300 ? null : status >= 300 && status < 400 ? 'redirect' : 'http_status',
            body: keptBytes === 0 ? null : Buffer.concat(kept).subarray(0, KEPT_RESPONSE_BYTES).toString('utf8'),
          });
          let read = 0;
          response.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (keptBytes < KEPT_RESPONSE_BYTES) {
              kept.push(chunk);
              keptBytes += chunk.length;
            }
            if (read > MAX_RESPONSE_BYTES) finish(outcome(), true);
          });
          response.once('end', () => finish(outcome(), false));
          response.once('error', () => finish(outcome(), true));
        },
      );
      const timer = setTimeout(
        () =>
          finish({ status: null, retryAfterMs: null, error: `timed out after ${this.config.webhooks.timeoutMs} ms`, errorKind: 'timeout', body: null }, true),
        this.config.webhooks.timeoutMs,
      );
      request.once('error', (error: NodeJS.ErrnoException) =>
        finish({ status: null, retryAfterMs: null, error: describe(error), errorKind: errorKind(error), body: null }, true),
      );
      request.end(body);
    });
  }
}

function errorKind(error: NodeJS.ErrnoException): AttemptErrorKind {
  if (error instanceof PrivateAddressError) return 'refused';
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN' || error.code === 'ENODATA') return 'dns';
  return 'connection';
}

/** Node's own messages name the error and the address (`connect ECONNREFUSED 1.2.3.4:443`), never the path or headers. */
function describe(error: NodeJS.ErrnoException): string {
  return (error.message || error.code || 'request failed').slice(0, 300);
}
