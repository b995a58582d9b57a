import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, AppConfig } from '@app/common';
import { renderError } from '../http/error-envelope';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
const COOKIE = 'paygw_queues';
const SESSION_SECONDS = 8 * 3600;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time: both sides are hashed first, so neither their length nor their content leaks through timing. */
function sameSecret(presented: string, expectedHash: Buffer): boolean {
  return timingSafeEqual(sha256(presented), expectedHash);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/**
 * Who may open the queue dashboard. bull-board registers plain fastify routes, so Nest's ApiKeyGuard never runs
 * for them: this onRequest hook does its job. It accepts `Authorization: Bearer <admin key>`; for a browser, which
 * cannot send that header, it accepts the admin key once as `?key=`, answers with a session cookie and redirects to
 * the same page without the key. The cookie holds an expiry and an HMAC of it keyed with the admin key, so every
 * gateway instance accepts it without shared state, and rotating ADMIN_API_KEY ends every session.
 */
export class QueueDashboardAuth {
  private readonly adminHash: Buffer;

  constructor(
    private readonly adminKey: string,
    private readonly secureCookie: boolean,
  ) {
    this.adminHash = sha256(adminKey);
  }

  private sign(expires: number): string {
    return createHmac('sha256', this.adminKey).update(`queue-dashboard:${expires}`).digest('base64url');
  }

  sessionCookie(now = Date.now()): string {
    const expires = Math.floor(now / 1000) + SESSION_SECONDS;
    const attributes = [`Path=${QUEUE_DASHBOARD_PATH}`, `Max-Age=${SESSION_SECONDS}`, 'HttpOnly', 'SameSite=Strict'];
    if (this.secureCookie) attributes.push('Secure');
    return [`${COOKIE}=${expires}.${this.sign(expires)}`, ...attributes].join('; ');
  }

  validSession(value: string | undefined, now = Date.now()): boolean {
    const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
    if (!match || Number(match[1]) * 1000 <= now) return false;
    return timingSafeEqual(Buffer.from(this.sign(Number(match[1]))), Buffer.from(match[2]));
  }

  readonly onRequest = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const bearer = /^Bearer ([\x21-\x7e]{1,512})$/.exec(request.headers.authorization ?? '');
    if (bearer && sameSecret(bearer[1], this.adminHash)) return undefined;
    if (this.validSession(readCookie(request.headers.cookie, COOKIE))) return undefined;

    const key = (request.query as Record<string, unknown> | undefined)?.key;
    if (typeof key === 'string' && sameSecret(key, this.adminHash)) {
      const url = new URL(request.url, 'http://gateway');
      url.searchParams.delete('key');
      return reply
        .code(303)
        .header('Set-Cookie', this.sessionCookie())
        .header('Cache-Control', 'no-store')
        .header('Location', `${url.pathname}${url.search}`)
        .send();
    }
    const error = bearer || key !== undefined
      ? new ApiError(401, 'authentication', 'invalid_api_key', 'The admin API key is not valid')
      : new ApiError(401, 'authentication', 'missing_api_key', 'Send the admin key as "Authorization: Bearer <key>", or open ?key=<admin key> once in a browser');
    const rendered = renderError(error, String(request.id));
    return reply.code(rendered.status).headers(rendered.headers).send(rendered.body);
  };
}

/**
 * bull-board's page asks Google Fonts for its typeface, which fails offline and tells a third party who opens
 * the dashboard. The link is dropped (the page falls back to the system's sans-serif) and the Content-Security-Policy
 * lets the page load nothing from anywhere but the gateway.
 */
const EXTERNAL_FONTS = /<link[^>]+href="https:\/\/fonts\.(?:googleapis|gstatic)\.com[^>]*>\s*/g;
export const QUEUE_DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // bull-board's markup carries inline style attributes and one inline <style>.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

export function withoutExternalFonts(html: string): string {
  return html.replace(EXTERNAL_FONTS, '');
}

/** bull-board for the outbound webhook delivery queue at /admin/queues, behind the admin key. */
export function mountQueueDashboard(fastify: FastifyInstance, queue: Queue, config: AppConfig): void {
  const serverAdapter = new BullBoardFastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(queue as never)],
    // @bull-board/fastify carries its own copy of @bull-board/api's types; the runtime contract is the same.
    serverAdapter: serverAdapter as never,
    options: { uiConfig: { boardTitle: 'Payments gateway queues' } },
  });
  const auth = new QueueDashboardAuth(config.adminApiKey, config.publicBaseUrl.startsWith('https:'));
  // An encapsulated plugin: the hook guards the dashboard's routes and nothing else.
  void fastify.register(async (scope) => {
    scope.addHook('onRequest', auth.onRequest);
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.header('Content-Security-Policy', QUEUE_DASHBOARD_CSP);
      const type = String(reply.getHeader('content-type') ?? '');
      return typeof payload === 'string' && type.startsWith('text/html') ? withoutExternalFonts(payload) : payload;
    });
    await scope.register(serverAdapter.registerPlugin() as never, { prefix: QUEUE_DASHBOARD_PATH });
  });
}
