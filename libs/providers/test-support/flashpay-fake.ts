import { BodySchema, checkBody, FakeRequest, FakeRoute, StrictFakeServer } from './strict-fake-server';

/*
 * Flashpay as its document (flashpay-api.txt) plus the adapter README's assumption table describe it. Documented:
 * `GET /api/v1/payment/{id}` with `Authorization: Bearer <token>` answering the payment object. Assumed (README):
 * POST/GET /api/v1/payment, GET /api/v1/beneficiaries, POST /api/v1/payout, GET /api/v1/payout/{id}; JSON bodies
 * with `Content-Type: application/json`; amounts are integers in minor units. Unknown ids answer 404.
 */

export interface FlashpayFakePayment {
  id: string;
  amount: number;
  ownerId: string;
  currency: string;
  reference: string;
  originBankId: string | null;
  originAccount: string | null;
  originAccountName: string | null;
  destinationBankId: string;
  destinationAccount: string;
  destinationAccountName: string;
  description: string;
  status: string;
  callbackUrl: string;
  statusWebhook: string | null;
  createdAt: string;
  updatedAt: string | null;
  expiresAt: string | null;
}

export interface FlashpayFakePayout {
  id: string;
  amount: number;
  currency: string;
  reference: string;
  description: string | null;
  beneficiaryId: string | null;
  destinationBankId: string;
  destinationAccount: string;
  destinationAccountName: string;
  status: string;
  createdAt: string;
  updatedAt: string | null;
}

const CURRENCY = /^[A-Z]{3}$/;

const CREATE_PAYMENT_SCHEMA: BodySchema = {
  amount: { type: 'integer', required: true },
  currency: { type: 'string', required: true },
  reference: { type: 'string', required: true },
  description: { type: 'string', required: true },
  destinationBankId: { type: 'string' },
  destinationAccount: { type: 'string' },
  destinationAccountName: { type: 'string' },
  statusWebhook: { type: 'string', required: true },
};

const CREATE_PAYOUT_SCHEMA: BodySchema = {
  amount: { type: 'integer', required: true },
  currency: { type: 'string', required: true },
  reference: { type: 'string', required: true },
  description: { type: 'string' },
  beneficiaryId: { type: 'string' },
  destinationBankId: { type: 'string' },
  destinationAccount: { type: 'string' },
  destinationAccountName: { type: 'string' },
};

export const FLASHPAY_FAKE_BENEFICIARIES = [
  { id: 'ben_1', name: 'Ada Obi', bankId: 'bank_gtb', accountNumber: '0123456789', accountName: 'ADA OBI' },
  { id: 'ben_2', name: 'Alphabets Inc', bankId: 'dqv8ldz5mk4eu7ykcvrr8g84', accountNumber: '1234ABCXXX', accountName: 'Alphabets Inc' },
];

export class FlashpayFake {
  readonly payments = new Map<string, FlashpayFakePayment>();
  readonly payouts = new Map<string, FlashpayFakePayout>();
  /** Answer lists as a bare array instead of {data: [...]}. */
  bareLists = false;
  allowWrongToken = false;
  readonly server: StrictFakeServer;
  private sequence = 0;

  constructor(
    readonly token: string,
    basePath = '/api/v1',
  ) {
    const notFound = { status: 404, json: { message: 'Not found' } };
    const list = (items: unknown[]) => ({ status: 200, json: this.bareLists ? items : { data: items } });
    const routes: FakeRoute[] = [
      { method: 'GET', path: `${basePath}/payment`, handler: () => list([...this.payments.values()]) },
      {
        method: 'GET',
        path: `${basePath}/payment/:id`,
        handler: (req) => {
          const payment = this.payments.get(req.params.id);
          return payment ? { status: 200, json: payment } : notFound;
        },
      },
      {
        method: 'POST',
        path: `${basePath}/payment`,
        handler: (req) => {
          const body = req.body as Record<string, string & number>;
          const payment = this.seedPayment({
            amount: body.amount,
            currency: body.currency,
            reference: body.reference,
            description: body.description,
            destinationBankId: body.destinationBankId ?? 'dqv8ldz5mk4eu7ykcvrr8g84',
            destinationAccount: body.destinationAccount ?? '1234ABCXXX',
            destinationAccountName: body.destinationAccountName ?? 'Alphabets Inc',
            statusWebhook: body.statusWebhook,
          });
          return { status: 201, json: payment };
        },
      },
      { method: 'GET', path: `${basePath}/beneficiaries`, handler: () => list(FLASHPAY_FAKE_BENEFICIARIES) },
      {
        method: 'POST',
        path: `${basePath}/payout`,
        handler: (req) => {
          const body = req.body as Record<string, string & number>;
          const beneficiary = FLASHPAY_FAKE_BENEFICIARIES.find((b) => b.id === body.beneficiaryId);
          if (body.beneficiaryId && !beneficiary) return { status: 422, json: { message: 'Unknown beneficiary' } };
          this.sequence += 1;
          const payout: FlashpayFakePayout = {
            id: `po${String(this.sequence).padStart(22, '0')}`,
            amount: body.amount,
            currency: body.currency,
            reference: body.reference,
            description: body.description ?? null,
            beneficiaryId: beneficiary?.id ?? null,
            destinationBankId: beneficiary?.bankId ?? body.destinationBankId,
            destinationAccount: beneficiary?.accountNumber ?? body.destinationAccount,
            destinationAccountName: beneficiary?.accountName ?? body.destinationAccountName,
            status: 'PENDING',
            createdAt: '2024-06-24T16:09:59.085Z',
            updatedAt: null,
          };
          this.payouts.set(payout.id, payout);
          return { status: 201, json: payout };
        },
      },
      {
        method: 'GET',
        path: `${basePath}/payout/:id`,
        handler: (req) => {
          const payout = this.payouts.get(req.params.id);
          return payout ? { status: 200, json: payout } : notFound;
        },
      },
    ];
    this.server = new StrictFakeServer(
      routes,
      (req, route) => this.check(req, route),
      (req) => (req.headers.authorization === `Bearer ${this.token}` ? null : { status: 401, json: { message: 'Unauthorized' } }),
    );
  }

  get violations(): string[] {
    return this.server.violations;
  }

  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** A payment shaped exactly like the document's example. */
  seedPayment(fields: Partial<FlashpayFakePayment> = {}): FlashpayFakePayment {
    this.sequence += 1;
    const payment: FlashpayFakePayment = {
      id: `pm${String(this.sequence).padStart(22, '0')}`,
      amount: 1080000,
      ownerId: 'k235v1ujhhnpwv0zmyk4by6t',
      currency: 'NGN',
      reference: 'somerandomreferenceforwatch2',
      originBankId: null,
      originAccount: null,
      originAccountName: null,
      destinationBankId: 'dqv8ldz5mk4eu7ykcvrr8g84',
      destinationAccount: '1234ABCXXX',
      destinationAccountName: 'Alphabets Inc',
      description: 'Watch purchase',
      status: 'OPEN',
      callbackUrl: 'https://pay.flashpayweb.com',
      statusWebhook: null,
      createdAt: '2024-06-24T16:09:59.085Z',
      updatedAt: null,
      expiresAt: null,
      ...fields,
    };
    this.payments.set(payment.id, payment);
    return payment;
  }

  private check(req: FakeRequest, route: FakeRoute): string[] {
    const problems: string[] = [];
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || !/^Bearer \S+$/.test(auth)) problems.push('Authorization: Bearer <token> missing or malformed');
    else if (auth !== `Bearer ${this.token}` && !this.allowWrongToken) problems.push('Authorization carries the wrong token');
    if (route.method === 'POST') {
      if (req.headers['content-type'] !== 'application/json') problems.push('Content-Type must be application/json');
      const schema = route.path.endsWith('/payout') ? CREATE_PAYOUT_SCHEMA : CREATE_PAYMENT_SCHEMA;
      const bodyProblems = checkBody(req.body, schema);
      problems.push(...bodyProblems);
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (bodyProblems.length === 0 && !CURRENCY.test(String(body.currency))) problems.push('currency must be an upper-case ISO 4217 code');
      if (bodyProblems.length === 0 && (body.amount as number) <= 0) problems.push('amount must be positive');
      if (schema === CREATE_PAYOUT_SCHEMA && bodyProblems.length === 0) {
        const destination = ['destinationBankId', 'destinationAccount', 'destinationAccountName'].filter((k) => k in body);
        const byBeneficiary = 'beneficiaryId' in body;
        if (byBeneficiary === (destination.length > 0) || (!byBeneficiary && destination.length !== 3)) {
          problems.push('a payout names either beneficiaryId or all three destination fields');
        }
      }
      if (schema === CREATE_PAYMENT_SCHEMA && bodyProblems.length === 0 && !/^https?:\/\/.+\/webhooks\/flashpay$/.test(String(body.statusWebhook))) {
        problems.push('statusWebhook must be the gateway webhook URL');
      }
    } else if (req.rawBody !== '') {
      problems.push(`${route.method} ${route.path} takes no body`);
    }
    return problems;
  }
}
