import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { ProviderError } from '@app/payments';
import { ProviderHttp } from './provider-http';

/** Transport edge cases the provider fakes do not reach. */
describe('ProviderHttp', () => {
  const TOKEN = 'edge-case-token-123';
  let server: http.Server;
  let url: string;
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  let hits = 0;
  const clients: ProviderHttp[] = [];

  function client(timeoutMs = 1000): ProviderHttp {
    const c = new ProviderHttp({ provider: 'beta', baseUrl: url, apiToken: TOKEN, timeoutMs, retryDelaysMs: [1, 1] });
    clients.push(c);
    return c;
  }

  async function failure(promise: Promise<unknown>): Promise<ProviderError> {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as Error).message).not.toContain(TOKEN);
      expect(JSON.stringify(error)).not.toContain(TOKEN);
      return error as ProviderError;
    }
    throw new Error('expected a failure');
  }

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits += 1;
      req.resume();
      req.on('end', () => handler(req, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    hits = 0;
  });

  it('returns null for an empty 2xx body and parsed JSON otherwise', async () => {
    handler = (_req, res) => res.writeHead(204).end();
    await expect(client().request({ method: 'DELETE', path: '/x' })).resolves.toEqual({ status: 204, body: null });
    handler = (_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('{"a":1}');
    await expect(client().request({ method: 'GET', path: '/x' })).resolves.toEqual({ status: 200, body: { a: 1 } });
  });

  it('treats a redirect as bad_response and does not follow it', async () => {
    handler = (_req, res) => res.writeHead(302, { Location: 'http://127.0.0.1:1/elsewhere' }).end();
    const error = await failure(client().request({ method: 'POST', path: '/x', body: {} }));
    expect(error).toMatchObject({ kind: 'bad_response', providerStatus: 302 });
    expect(hits).toBe(1);
  });

  it('enforces the timeout as a deadline even while bytes keep trickling in', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('[');
      const timer = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(timer));
    };
    const started = Date.now();
    const error = await failure(client(150).request({ method: 'POST', path: '/x', body: {} }));
    expect(error).toMatchObject({ kind: 'timeout', retryable: false });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('quotes a short plain-text error body but not an HTML page, and redacts the token', async () => {
    handler = (_req, res) => res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`bad request for Bearer ${TOKEN}`);
    const plain = await failure(client().request({ method: 'POST', path: '/x', body: {} }));
    expect(plain.message).toBe('beta POST /x answered 400: bad request for Bearer [redacted]');
    handler = (_req, res) => res.writeHead(429, { 'Content-Type': 'text/html' }).end('<html>slow down</html>');
    const html = await failure(client().request({ method: 'GET', path: '/x' }));
    expect(html).toMatchObject({ kind: 'rejected', providerStatus: 429, retryable: false });
    expect(html.message).toBe('beta GET /x answered 429');
    expect(hits).toBe(2);
  });

  it('sends the bearer token and JSON body it was given', async () => {
    let seen: { auth?: string } = {};
    handler = (req, res) => {
      seen = { auth: req.headers.authorization };
      res.writeHead(201, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    };
    await expect(client().request({ method: 'POST', path: '/x', body: { amount: 1 } })).resolves.toEqual({ status: 201, body: { ok: true } });
    expect(seen.auth).toBe(`Bearer ${TOKEN}`);
  });

  it('does not retry a GET answered 4xx', async () => {
    handler = (_req, res) => res.writeHead(409, { 'Content-Type': 'application/json' }).end('{"message":"duplicate"}');
    const error = await failure(client().request({ method: 'GET', path: '/x' }));
    expect(error).toMatchObject({ kind: 'rejected', providerStatus: 409 });
    expect(error.message).toContain('duplicate');
    expect(hits).toBe(1);
  });

  it('maps an unknown host to unreachable', async () => {
    const c = new ProviderHttp({ provider: 'alpha', baseUrl: 'http://does-not-exist.invalid', apiToken: TOKEN, timeoutMs: 2000, retryDelaysMs: [] });
    clients.push(c);
    const error = await failure(c.request({ method: 'POST', path: '/x', body: {} }));
    expect(['unreachable', 'timeout']).toContain(error.kind);
  });

  it('abandons an answer larger than 5 MB as bad_response', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(Buffer.alloc(6 * 1024 * 1024, 0x20));
    };
    const error = await failure(client(5000).request({ method: 'POST', path: '/x', body: {} }));
    expect(error).toMatchObject({ kind: 'bad_response', retryable: false });
  });

  it('treats a connection dropped in the middle of the answer as an unknown outcome (server), never retried for a POST', async () => {
    handler = (req, res) => {
      res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': '100' });
      res.write('{"guid":"half');
      setImmediate(() => req.socket.destroy());
    };
    const error = await failure(client().request({ method: 'POST', path: '/x', body: {} }));
    expect(error).toMatchObject({ kind: 'server', retryable: false });
    expect(hits).toBe(1);
  });

  it('reuses one keep-alive connection for calls in sequence and ignores HTTP_PROXY', async () => {
    const sockets = new Set<unknown>();
    handler = (req, res) => {
      sockets.add(req.socket);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    };
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = 'http://127.0.0.1:1';
    try {
      const c = client();
      for (let i = 0; i < 3; i++) await expect(c.request({ method: 'GET', path: `/x${i}` })).resolves.toEqual({ status: 200, body: {} });
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
    }
    expect(hits).toBe(3);
    expect(sockets.size).toBe(1);
  });
});
