import { BodySchema, checkBody, FakeRequest, FakeRoute, StrictFakeServer } from './strict-fake-server';

/*
 * FlexiQash as its document describes it (flexiqash-api.txt): eight routes under /api/payments, each with
 * `Authorization: Bearer <token>`, `Accept: application/json` and `Content-Type: application/json`; 401 answers
 * {"message": "Unauthenticated."}, 404 answers the plain text "Payment not found", DELETE answers 204.
 * Request bodies: the document shows only `{"name": null}` for create; the fields below are the adapter's
 * README assumptions (amount a JSON number in major units, payer, payee.reference).
 */

export interface FlexiqashFakePayment {
  guid: string;
  name: string | null;
  amount: number;
  link: string;
  payee: { guid: string; name: string; reference: string | null };
  payer: { name: string; email: string; reference: string | null } | null;
  archived: boolean;
}

export interface FlexiqashFakeTransaction {
  guid: string;
  payer: { payer_email: string; payer_name: string; payer_reference: string };
  payee: { payee_reference: string };
  amount_defined: number;
  is_paid: boolean;
  paid_at: string | null;
  status: { code: string; message: string };
  created_at: string;
}

const CREATE_SCHEMA: BodySchema = {
  name: { type: ['string', 'null'], required: true },
  amount: { type: 'number', required: true },
  payer: {
    type: { object: { name: { type: 'string', required: true }, email: { type: 'string', required: true }, reference: { type: 'string' } } },
  },
  payee: { type: { object: { reference: { type: 'string', required: true } } }, required: true },
};

const UPDATE_SCHEMA: BodySchema = {
  name: { type: 'string' },
  amount: { type: 'number' },
};

export class FlexiqashFake {
  readonly payments = new Map<string, FlexiqashFakePayment>();
  readonly transactions = new Map<string, FlexiqashFakeTransaction[]>();
  /** Requests with a well-formed but wrong token get the document's 401; tests that want that say so. */
  allowWrongToken = false;
  readonly server: StrictFakeServer;
  private sequence = 0;

  constructor(readonly token: string) {
    const notFound = { status: 404, text: 'Payment not found', contentType: 'text/html; charset=UTF-8' };
    const withPayment = (handler: (p: FlexiqashFakePayment, req: FakeRequest) => ReturnType<FakeRoute['handler']>) =>
      (req: FakeRequest) => {
        const payment = this.payments.get(req.params.guid);
        return payment ? handler(payment, req) : notFound;
      };
    const routes: FakeRoute[] = [
      { method: 'GET', path: '/api/payments', handler: () => ({ status: 200, json: [...this.payments.values()].map(view) }) },
      { method: 'GET', path: '/api/payments/:guid/view', handler: withPayment((p) => ({ status: 200, json: view(p) })) },
      {
        method: 'POST',
        path: '/api/payments/new',
        handler: (req) => {
          const body = req.body as { name: string | null; amount: number; payer?: { name: string; email: string; reference?: string }; payee: { reference: string } };
          this.sequence += 1;
          const guid = `00000000-0000-4000-8000-${String(this.sequence).padStart(12, '0')}`;
          const payment: FlexiqashFakePayment = {
            guid,
            name: body.name,
            amount: body.amount,
            link: `https://flexiqash.com/payment/${guid}/request`,
            payee: { guid: '11111111-1111-4111-8111-111111111111', name: 'Carib Guide Inc.', reference: body.payee.reference },
            payer: body.payer ? { name: body.payer.name, email: body.payer.email, reference: body.payer.reference ?? null } : null,
            archived: false,
          };
          this.payments.set(guid, payment);
          return { status: 201, json: view(payment) };
        },
      },
      {
        method: 'PATCH',
        path: '/api/payments/:guid/update',
        handler: withPayment((p, req) => {
          const body = req.body as { name?: string; amount?: number };
          if (body.name !== undefined) p.name = body.name;
          if (body.amount !== undefined) p.amount = body.amount;
          return { status: 200, json: { success: true } };
        }),
      },
      {
        method: 'DELETE',
        path: '/api/payments/:guid/delete',
        handler: withPayment((p) => {
          this.payments.delete(p.guid);
          return { status: 204 };
        }),
      },
      {
        method: 'PATCH',
        path: '/api/payments/:guid/archive',
        handler: withPayment((p) => {
          p.archived = true;
          return { status: 200, json: { success: true } };
        }),
      },
      {
        method: 'PATCH',
        path: '/api/payments/:guid/unarchive',
        handler: withPayment((p) => {
          p.archived = false;
          return { status: 200, json: { success: true } };
        }),
      },
      {
        method: 'GET',
        path: '/api/payments/:guid/transactions',
        handler: withPayment((p) => ({ status: 200, json: this.transactions.get(p.guid) ?? [] })),
      },
    ];
    this.server = new StrictFakeServer(
      routes,
      (req, route) => this.check(req, route),
      // The document's answer to a token it does not know.
      (req) => (req.headers.authorization === `Bearer ${this.token}` ? null : { status: 401, json: { message: 'Unauthenticated.' } }),
    );
  }

  get violations(): string[] {
    return this.server.violations;
  }

  /** A payment as FlexiQash would already hold it. */
  seed(payment: Partial<FlexiqashFakePayment> & { guid: string }): FlexiqashFakePayment {
    const full: FlexiqashFakePayment = {
      name: 'Membership',
      amount: 123.99,
      link: `https://flexiqash.com/payment/${payment.guid}/request`,
      payee: { guid: '11111111-1111-4111-8111-111111111111', name: 'Carib Guide Inc.', reference: 'pay_seeded' },
      payer: { name: 'John Smith', email: 'john@example.com', reference: 'Membership' },
      archived: false,
      ...payment,
    };
    this.payments.set(full.guid, full);
    return full;
  }

  private check(req: FakeRequest, route: FakeRoute): string[] {
    const problems: string[] = [];
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || !/^Bearer \S+$/.test(auth)) problems.push('Authorization: Bearer <token> missing or malformed');
    else if (auth !== `Bearer ${this.token}` && !this.allowWrongToken) problems.push('Authorization carries the wrong token');
    if (req.headers.accept !== 'application/json') problems.push(`Accept must be application/json (got ${JSON.stringify(req.headers.accept)})`);
    if (req.headers['content-type'] !== 'application/json') problems.push(`Content-Type must be application/json (got ${JSON.stringify(req.headers['content-type'])})`);
    const withBody = route.method === 'POST' || route.path.endsWith('/update');
    if (withBody) {
      problems.push(...checkBody(req.body, route.method === 'POST' ? CREATE_SCHEMA : UPDATE_SCHEMA));
    } else if (req.rawBody !== '') {
      problems.push(`${route.method} ${route.path} takes no body`);
    }
    return problems;
  }

  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

function view(p: FlexiqashFakePayment) {
  return { guid: p.guid, name: p.name, amount: p.amount, link: p.link, payee: p.payee, payer: p.payer };
}
