import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Answer only after this long (a slow receiver; deliveries in flight). */
  delayMs?: number;
  /** Answer only when `release()` is called (a receiver that hangs for as long as the test needs). */
  hold?: boolean;
}

export interface ReceivedWebhook {
  /** Arrival time (Date.now()). */
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  rawBody: string;
  /** The body as `standardwebhooks`' Webhook.verify returned it, when the signature checked out. */
  payload: unknown;
  /** Why verification failed, or null when the signature is valid. */
  verifyError: string | null;
  /** The status this receiver answered. */
  answered: number;
}

/**
 * A webhook consumer for the tests: a node:http server on 127.0.0.1 that records every request (raw body and
 * headers), verifies it the way a consumer would with the `standardwebhooks` package, and answers as told.
 */
export class Receiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly plan: Reply[] = [];
  private fallback: Reply = { status: 200 };
  private webhook: Webhook;
  private readonly sockets = new Set<import('node:net').Socket>();
  private held: Array<() => void> = [];
  /** Requests received and not answered yet. */
  open = 0;
  /** The most requests ever open at once. */
  maxOpen = 0;
  /** Replies held back by `delayMs`: cleared on close, so a 10-minute hang does not keep the test run alive. */
  private readonly delayed = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    secret: string,
  ) {
    this.webhook = new Webhook(secret);
  }

  static async start(secret: string): Promise<Receiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const receiver = new Receiver(server, `http://127.0.0.1:${port}`, secret);
    server.on('request', (req, res) => receiver.handle(req, res));
    server.on('connection', (socket) => {
      receiver.sockets.add(socket);
      socket.once('close', () => receiver.sockets.delete(socket));
    });
    return receiver;
  }

  /** Verifies with another secret from now on (an endpoint created through the API after the receiver started). */
  useSecret(secret: string): this {
    this.webhook = new Webhook(secret);
    return this;
  }

  /** The next `count` requests get `reply`; after them, the default (200 unless `always` changed it). */
  failNext(count: number, reply: Reply): this {
    for (let i = 0; i < count; i++) this.plan.push(reply);
    return this;
  }

  /** Every request not covered by `failNext` gets `reply`. */
  always(reply: Reply): this {
    this.fallback = reply;
    return this;
  }

  /** Distinct webhook ids received (a retry repeats its id). */
  uniqueIds(): Set<string> {
    return new Set(this.received.map((request) => request.headers['webhook-id']));
  }

  /** Resolves once `condition` holds, polling; rejects with `what` after `timeoutMs`. */
  async waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (received ${this.received.length})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Answers every request held so far (see `Reply.hold`); returns how many. */
  release(): number {
    const held = this.held.splice(0);
    for (const answer of held) answer();
    return held.length;
  }

  async close(): Promise<void> {
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    const at = Date.now();
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      let payload: unknown = null;
      let verifyError: string | null = null;
      try {
        payload = this.webhook.verify(rawBody, headers);
      } catch (error) {
        verifyError = (error as Error).message;
      }
      const reply = this.plan.shift() ?? this.fallback;
      this.received.push({ at, method: req.method ?? '', path: req.url ?? '', headers, rawBody, payload, verifyError, answered: reply.status });
      this.open += 1;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      let answered = false;
      const done = () => {
        if (answered) return;
        answered = true;
        this.open -= 1;
      };
      res.once('close', done);
      const answer = () => {
        done();
        if (res.destroyed) return;
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
        res.end(reply.status < 300 ? 'ok' : 'no');
      };
      if (reply.hold) return void this.held.push(answer);
      if (!reply.delayMs) return answer();
      const timer = setTimeout(() => {
        this.delayed.delete(timer);
        answer();
      }, reply.delayMs);
      this.delayed.add(timer);
    });
  }
}
