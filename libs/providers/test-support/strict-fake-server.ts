import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/*
 * A strict fake HTTP server for provider adapter tests. Routes are written from the provider's document (and, for
 * Flashpay, the README's assumption table). Any request the routes do not describe is recorded as a violation and
 * answered 599, so a test that only looks at the adapter's result still fails through `violations`.
 */

export interface FakeRequest {
  method: string;
  path: string;
  query: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown;
  params: Record<string, string>;
}

export type FakeReply =
  | { status: number; json?: unknown; text?: string; contentType?: string }
  /** Never answer (timeout tests). */
  | { hang: true }
  /** Close the socket without answering (reset / socket hang up tests). */
  | { destroy: true };

export type FakeHandler = (req: FakeRequest) => FakeReply;

export interface FakeRoute {
  method: string;
  /** `/api/payments/:guid/view` */
  path: string;
  handler: FakeHandler;
}

/** Returns problems with a request (headers, body), or an empty list. */
export type FakeCheck = (req: FakeRequest, route: FakeRoute) => string[];

/** Runs after the checks pass: a reply the provider would give before reaching the route (e.g. its 401), or null. */
export type FakeGate = (req: FakeRequest) => FakeReply | null;

interface Override {
  method: string;
  path: string;
  reply: FakeReply | FakeHandler;
  remaining: number;
}

export class StrictFakeServer {
  readonly violations: string[] = [];
  readonly requests: FakeRequest[] = [];
  private readonly overrides: Override[] = [];
  private readonly server: http.Server;
  private baseUrl = '';

  constructor(
    private readonly routes: FakeRoute[],
    private readonly check: FakeCheck,
    private readonly gate: FakeGate = () => null,
  ) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  get url(): string {
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Answer the next `times` requests to a route (after the strict checks pass) with `reply`. */
  override(method: string, path: string, reply: FakeReply | FakeHandler, times = Number.POSITIVE_INFINITY): void {
    this.overrides.push({ method, path, reply, remaining: times });
  }

  /** Requests that reached a route with this method and path pattern. */
  count(method: string, path: string): number {
    return this.requests.filter((r) => r.method === method && this.match(path, r.path) !== null).length;
  }

  reset(): void {
    this.violations.length = 0;
    this.requests.length = 0;
    this.overrides.length = 0;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const [path, query = ''] = (req.url ?? '').split('?');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const request: FakeRequest = { method: req.method ?? '', path, query, headers: req.headers, rawBody, body: undefined, params: {} };
      this.requests.push(request);
      const problems: string[] = [];
      if (rawBody !== '') {
        try {
          request.body = JSON.parse(rawBody);
        } catch {
          problems.push('body is not JSON');
        }
      }
      const route = this.routes.find((r) => r.method === request.method && this.match(r.path, path) !== null);
      if (!route) {
        const pathKnown = this.routes.some((r) => this.match(r.path, path) !== null);
        problems.push(pathKnown ? `method ${request.method} not allowed on ${path}` : `unknown path ${path}`);
      } else {
        request.params = this.match(route.path, path) ?? {};
        if (query) problems.push(`unexpected query string ?${query}`);
        problems.push(...this.check(request, route));
      }
      if (problems.length > 0 || !route) {
        this.violations.push(`${request.method} ${req.url}: ${problems.join('; ')}`);
        this.send(res, { status: 599, json: { violation: problems } });
        return;
      }
      const gated = this.gate(request);
      if (gated) {
        this.send(res, gated);
        return;
      }
      const override = this.overrides.find((o) => o.method === route.method && o.path === route.path && o.remaining > 0);
      let reply: FakeReply;
      if (override) {
        override.remaining -= 1;
        reply = typeof override.reply === 'function' ? override.reply(request) : override.reply;
      } else {
        reply = route.handler(request);
      }
      this.send(res, reply);
    });
  }

  private send(res: http.ServerResponse, reply: FakeReply): void {
    if ('hang' in reply) return;
    if ('destroy' in reply) {
      res.socket?.destroy();
      return;
    }
    if (reply.json !== undefined) {
      res.writeHead(reply.status, { 'Content-Type': reply.contentType ?? 'application/json' });
      res.end(JSON.stringify(reply.json));
    } else {
      res.writeHead(reply.status, reply.text !== undefined ? { 'Content-Type': reply.contentType ?? 'text/plain; charset=utf-8' } : {});
      res.end(reply.text ?? '');
    }
  }

  /** Matches `/a/:id/b` against a concrete path; returns the decoded params or null. */
  private match(pattern: string, path: string): Record<string, string> | null {
    const want = pattern.split('/');
    const got = path.split('/');
    if (want.length !== got.length) return null;
    const params: Record<string, string> = {};
    for (let i = 0; i < want.length; i += 1) {
      if (want[i].startsWith(':')) {
        if (got[i] === '') return null;
        params[want[i].slice(1)] = decodeURIComponent(got[i]);
      } else if (want[i] !== got[i]) {
        return null;
      }
    }
    return params;
  }
}

/* ---- body schemas ---- */

export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'null' | { object: BodySchema };
export interface FieldSpec {
  type: FieldType | FieldType[];
  required?: boolean;
}
export type BodySchema = Record<string, FieldSpec>;

function typeMatches(value: unknown, type: FieldType, at: string, problems: string[]): boolean {
  if (type === 'string') return typeof value === 'string';
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
  if (type === 'integer') return typeof value === 'number' && Number.isSafeInteger(value);
  if (type === 'boolean') return typeof value === 'boolean';
  if (type === 'null') return value === null;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  problems.push(...checkBody(value, type.object, at));
  return true;
}

/** Missing required fields, wrong types and unknown fields, each named by its path. */
export function checkBody(body: unknown, schema: BodySchema, at = 'body'): string[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [`${at} must be a JSON object`];
  const problems: string[] = [];
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(key in schema)) problems.push(`${at}.${key} is not a field the document describes`);
  }
  for (const [key, spec] of Object.entries(schema)) {
    if (!(key in record)) {
      if (spec.required) problems.push(`${at}.${key} is required`);
      continue;
    }
    const types = Array.isArray(spec.type) ? spec.type : [spec.type];
    const nested: string[] = [];
    if (!types.some((type) => typeMatches(record[key], type, `${at}.${key}`, nested))) {
      problems.push(`${at}.${key} has the wrong type (${JSON.stringify(record[key])})`);
    }
    problems.push(...nested);
  }
  return problems;
}
