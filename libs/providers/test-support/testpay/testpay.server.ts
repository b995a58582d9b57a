import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TestpayPayment } from './testpay.provider';

/** Testpay's side: an in-memory payments API on a free port, checking the Bearer token. */
export class TestpayServer {
  readonly payments = new Map<string, TestpayPayment>();
  private server: Server | null = null;
  url = '';

  constructor(private readonly token: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The payer pays: what the provider's checkout would do. */
  pay(id: string): void {
    this.payments.get(id)!.state = 'paid';
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, { error: 'unauthorized' });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://testpay');
    if (req.method === 'POST' && url.pathname === '/payments') {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { amount: number; currency: string; reference: string };
      const payment: TestpayPayment = { id: `tp_${randomUUID()}`, amount: body.amount, currency: body.currency, state: 'open', reference: body.reference };
      this.payments.set(payment.id, payment);
      return send(201, payment);
    }
    if (req.method === 'GET' && url.pathname === '/payments') {
      const reference = url.searchParams.get('reference');
      return send(200, { items: [...this.payments.values()].filter((p) => p.reference === reference) });
    }
    const match = /^\/payments\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && match) {
      const payment = this.payments.get(decodeURIComponent(match[1]));
      return payment ? send(200, payment) : send(404, { error: 'not found' });
    }
    send(404, { error: 'no route' });
  }
}
