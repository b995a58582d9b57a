import { createHmac } from 'node:crypto';
import type { ProviderConfigSchema } from '@app/common';
import {
  CAPABILITIES,
  CapabilityError,
  CreateProviderPaymentInput,
  InboundWebhookError,
  InboundWebhookRequest,
  PaymentProvider,
  requireCapability,
} from '@app/payments';
import { flashpayModule, flexiqashModule, ProviderModule, ProviderRegistry } from '@app/providers';
import { FlashpayFake } from './flashpay-fake';
import { FlexiqashFake } from './flexiqash-fake';
import { FLASHPAY_TEST_TOKEN, FLEXIQASH_TEST_TOKEN, testConfig } from './test-config';
import { testpayModule } from './testpay/testpay.module';
import { TestpayServer } from './testpay/testpay.server';
import { signTestpay } from './testpay/testpay.webhook';

const FAST = { retryDelaysMs: [5, 10], logger: { warn: () => undefined } };
const FQ_SECRET = 'fq-contract-webhook-secret';
const TP_TOKEN = 'tp-contract-token-1234';
const TP_SECRET = 'tp-contract-webhook-secret';

/** What the suite needs from each provider's side: its server, its env, and a notification as the provider sends it. */
interface Subject {
  module: ProviderModule;
  currency: string;
  start(): Promise<Record<string, string>>;
  stop(): Promise<void>;
  /** A notification about this provider payment, as the provider would send it (signed where it signs). */
  notification(providerPaymentId: string): InboundWebhookRequest;
  /** The same notification with its signature broken, or null when the provider does not sign. */
  forged(providerPaymentId: string): InboundWebhookRequest | null;
  /** A body the handler must refuse as unusable (signed where it signs). */
  unusable(): InboundWebhookRequest;
}

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

const flexiqashFake = new FlexiqashFake(FLEXIQASH_TEST_TOKEN);
const flexiqashSign = (raw: Buffer) => `sha256=${createHmac('sha256', FQ_SECRET).update(raw).digest('hex')}`;
const flashpayFake = new FlashpayFake(FLASHPAY_TEST_TOKEN);
const testpayServer = new TestpayServer(TP_TOKEN);

const SUBJECTS: Subject[] = [
  {
    module: flexiqashModule,
    currency: 'USD',
    start: async () => ({ FLEXIQASH_BASE_URL: await flexiqashFake.start(), FLEXIQASH_WEBHOOK_SECRET: FQ_SECRET }),
    stop: () => flexiqashFake.stop(),
    notification: (id) => {
      const raw = body({ paymentReference: id, transaction: { amount: 1, status: 'success' } });
      return { rawBody: raw, headers: { 'x-flexiqash-signature': flexiqashSign(raw) } };
    },
    forged: (id) => ({ rawBody: body({ paymentReference: id }), headers: { 'x-flexiqash-signature': flexiqashSign(body({ paymentReference: 'other' })) } }),
    unusable: () => ({ rawBody: body({ transaction: {} }), headers: { 'x-flexiqash-signature': flexiqashSign(body({ transaction: {} })) } }),
  },
  {
    module: flashpayModule,
    currency: 'NGN',
    start: async () => ({ FLASHPAY_BASE_URL: await flashpayFake.start() }),
    stop: () => flashpayFake.stop(),
    notification: (id) => ({ rawBody: body({ id, status: 'PAID' }), headers: {} }),
    forged: () => null,
    unusable: () => ({ rawBody: body({ status: 'PAID' }), headers: {} }),
  },
  {
    module: testpayModule,
    currency: 'EUR',
    start: async () => ({ TESTPAY_BASE_URL: await testpayServer.start(), TESTPAY_API_TOKEN: TP_TOKEN, TESTPAY_WEBHOOK_SECRET: TP_SECRET }),
    stop: () => testpayServer.stop(),
    notification: (id) => {
      const raw = body({ event: 'payment.changed', payment_id: id });
      return { rawBody: raw, headers: { 'x-testpay-signature': signTestpay(TP_SECRET, raw) } };
    },
    forged: (id) => ({ rawBody: body({ event: 'payment.changed', payment_id: id }), headers: { 'x-testpay-signature': '0'.repeat(64) } }),
    unusable: () => {
      const raw = body({ event: 'payment.changed' });
      return { rawBody: raw, headers: { 'x-testpay-signature': signTestpay(TP_SECRET, raw) } };
    },
  },
];

const input = (currency: string, gatewayPaymentId: string): CreateProviderPaymentInput => ({
  gatewayPaymentId,
  amount: 12345,
  currency,
  description: 'Contract',
  reference: 'client-ref',
  payer: { name: 'Ada', email: 'ada@example.com' },
  payee: { bankId: 'dqv8ldz5mk4eu7ykcvrr8g84', accountNumber: '1234ABCXXX', accountName: 'Alphabets Inc' },
  metadata: {},
});

describe.each(SUBJECTS.map((subject) => [subject.module.name, subject] as const))('provider contract: %s', (name, subject) => {
  let provider: PaymentProvider;
  let env: Record<string, string>;

  beforeAll(async () => {
    env = await subject.start();
    const config = testConfig(env, [testpayModule.config as unknown as ProviderConfigSchema]);
    provider = subject.module.create(config, undefined, FAST);
  });
  afterAll(async () => {
    (provider as { onApplicationShutdown?: () => void }).onApplicationShutdown?.();
    await subject.stop();
  });

  it('is registered under its module name, with its configuration, currencies and probe address', () => {
    expect(provider.name).toBe(name);
    expect(subject.module.config.name).toBe(name);
    expect(new ProviderRegistry([provider]).get(name)).toBe(provider);
    expect(provider.currencies).toContain(subject.currency);
    expect(provider.configured).toBe(true);
    expect(Object.values(env)).toContain(provider.reachabilityUrl);
    for (const capability of provider.capabilities) expect(CAPABILITIES).toContain(capability);
  });

  it('creates a payment and reads it back, in integer minor units and the gateway status', async () => {
    const created = await requireCapability(provider, 'payments.create').createPayment(input(subject.currency, `pay_contract_${name}_1`));
    expect(created).toMatchObject({ amount: 12345, currency: subject.currency, status: 'pending' });
    expect(created.providerPaymentId).toEqual(expect.any(String));
    const read = await requireCapability(provider, 'payments.read').getPayment(created.providerPaymentId);
    expect(read).toMatchObject({ providerPaymentId: created.providerPaymentId, amount: 12345, currency: subject.currency, status: 'pending' });
  });

  it('finds a payment again by the gateway id it holds as reference (reconciliation), and null for one it never made', async () => {
    const gatewayId = `pay_contract_${name}_2`;
    const created = await provider.createPayment(input(subject.currency, gatewayId));
    expect(provider.findPaymentByReference).toBeDefined();
    expect(await provider.findPaymentByReference!(gatewayId)).toMatchObject({ providerPaymentId: created.providerPaymentId });
    expect(await provider.findPaymentByReference!('pay_never_made')).toBeNull();
  });

  it('turns its notification into a refresh of that payment, the same delivery into the same key, without calling out', async () => {
    expect(provider.inbound).toBeDefined();
    const handler = provider.inbound!;
    const hint = handler.parse(subject.notification('prov-id-1'));
    expect(hint).toMatchObject({ action: 'refresh', resource: 'payment', providerId: 'prov-id-1' });
    expect(handler.parse(subject.notification('prov-id-1'))).toEqual(hint);
    expect(handler.parse(subject.notification('prov-id-2'))).not.toEqual(hint);
  });

  it('refuses a forged notification (signed providers) and an unusable one, with the typed error', () => {
    const handler = provider.inbound!;
    const forged = subject.forged('prov-id-1');
    expect(handler.authenticated).toBe(forged !== null);
    if (forged) expect(() => handler.parse(forged)).toThrow(expect.objectContaining({ reason: 'invalid_signature' }));
    expect(() => handler.parse({ rawBody: undefined, headers: {} })).toThrow(InboundWebhookError);
    let error: unknown;
    try {
      handler.parse(subject.unusable());
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ name: 'InboundWebhookError', reason: 'invalid_webhook', field: { name: expect.any(String) } });
  });

  it('refuses what it did not declare: each missing capability, and a currency it does not take', async () => {
    const missing = CAPABILITIES.filter((capability) => !provider.capabilities.has(capability));
    for (const capability of missing) {
      expect(() => requireCapability(provider, capability)).toThrow(CapabilityError);
      expect(() => requireCapability(provider, capability)).toThrow(`${name} does not support ${capability}`);
    }
    const other = ['USD', 'NGN', 'EUR', 'JPY'].find((code) => !provider.currencies.includes(code))!;
    await expect(provider.createPayment(input(other, `pay_contract_${name}_3`))).rejects.toMatchObject({ name: 'CapabilityError', capability: 'currency' });
  });
});

describe('the contract suite', () => {
  it('runs the two shipped providers and the test-only one', () => {
    expect(SUBJECTS.map((subject) => subject.module.name)).toEqual(['flexiqash', 'flashpay', 'testpay']);
  });
});
