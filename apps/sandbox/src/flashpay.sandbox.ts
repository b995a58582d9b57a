import fastify, { type FastifyInstance } from 'fastify';
import { FaultInjector, registerControlRoutes } from './faults';
import { registerFlashpayCheckout } from './flashpay.checkout';
import {
  BENEFICIARIES,
  checkPaymentRequest,
  checkPayoutRequest,
  createPaymentRecord,
  currentView,
  type FlashpayPayment,
  type FlashpayPayout,
  payoutOutcome,
} from './flashpay.model';
import { baseUrlOf, registerBodyParsers, registerErrorHandler, requireBearer } from './http';
import { flashpayId } from './ids';
import { DEFAULT_SANDBOX_OPTIONS, withDefaults } from './options';
import { WebhookSender } from './webhook-sender';

export interface FlashpaySandboxOptions {
  apiToken: string;
  /** Prefix of every API route; '' serves them at the root. */
  basePath: string;
  webhookRetryDelayMs: number;
  /** How long a payout stays PENDING before it settles. */
  payoutSettleMs: number;
  latencyMs: number;
  logger: boolean;
}

const DEFAULTS: FlashpaySandboxOptions = {
  apiToken: DEFAULT_SANDBOX_OPTIONS.flashpayApiToken,
  basePath: DEFAULT_SANDBOX_OPTIONS.flashpayBasePath,
  webhookRetryDelayMs: DEFAULT_SANDBOX_OPTIONS.webhookRetryDelayMs,
  payoutSettleMs: DEFAULT_SANDBOX_OPTIONS.payoutSettleMs,
  latencyMs: DEFAULT_SANDBOX_OPTIONS.latencyMs,
  logger: DEFAULT_SANDBOX_OPTIONS.logger,
};

type IdParams = { Params: { id: string } };
type ListQuery = { Querystring: { reference?: string } };

/**
 * Flashpay's API in memory. Its document spells out only `GET {base}/payment/{id}`; the other routes and the
 * payout shape are assumptions (see README). Call `listen` on the result.
 */
export function buildFlashpaySandbox(options: Partial<FlashpaySandboxOptions> = {}): FastifyInstance {
  const settings = withDefaults(DEFAULTS, options);
  const app = fastify({ logger: settings.logger });
  const payments = new Map<string, FlashpayPayment>();
  const payouts = new Map<string, FlashpayPayout>();
  // Indexes keep the duplicate check and `?reference=` constant-time under benchmark volumes.
  const paymentIdByReference = new Map<string, string>();
  const payoutReferences = new Set<string>();
  const settlements = new Set<NodeJS.Timeout>();
  const faults = new FaultInjector({ latencyMs: settings.latencyMs });
  const webhooks = new WebhookSender(settings.webhookRetryDelayMs, app.log);

  const forgetEverything = (): void => {
    payments.clear();
    payouts.clear();
    paymentIdByReference.clear();
    payoutReferences.clear();
    for (const timer of settlements) clearTimeout(timer);
    settlements.clear();
  };

  registerBodyParsers(app, 'reject');
  registerErrorHandler(app, { message: 'Internal server error' });
  registerControlRoutes(app, { faults, webhooks, resetState: forgetEverything });
  app.addHook('onClose', async () => forgetEverything());

  registerFlashpayCheckout(app, payments, (payment) => {
    // The document shows no signature: the gateway re-reads the payment instead of trusting this body.
    if (payment.statusWebhook) webhooks.send(payment.statusWebhook, Buffer.from(JSON.stringify(payment)));
  });

  const settle = (payout: FlashpayPayout): void => {
    const timer = setTimeout(() => {
      settlements.delete(timer);
      payout.status = payoutOutcome(payout.amount);
      payout.updatedAt = new Date().toISOString();
    }, settings.payoutSettleMs);
    settlements.add(timer);
  };

  void app.register(
    async (api) => {
      api.addHook('onRequest', faults.hook);
      api.addHook('onSend', faults.sendHook);
      api.addHook('onRequest', requireBearer(settings.apiToken, { message: 'Unauthorized' }));

      api.post('/payment', async (request, reply) => {
        const checked = checkPaymentRequest(request.body);
        if (!checked.ok) return reply.code(400).send({ message: 'Validation failed', errors: checked.errors });
        if (paymentIdByReference.has(checked.value.reference)) return reply.code(409).send({ message: 'Duplicate reference' });
        const id = flashpayId();
        const payment = createPaymentRecord(id, checked.value, `${baseUrlOf(request)}/checkout/${id}`, new Date());
        payments.set(id, payment);
        paymentIdByReference.set(payment.reference, id);
        return reply.code(201).send(payment);
      });

      api.get<ListQuery>('/payment', async (request) => {
        const { reference } = request.query;
        if (reference !== undefined) {
          const payment = payments.get(paymentIdByReference.get(reference) ?? '');
          return { data: payment ? [currentView(payment)] : [] };
        }
        return { data: [...payments.values()].reverse().map((payment) => currentView(payment)) };
      });

      api.get<IdParams>('/payment/:id', async (request, reply) => {
        const payment = payments.get(request.params.id);
        return payment ? currentView(payment) : reply.code(404).send({ message: 'Payment not found' });
      });

      api.get('/beneficiaries', async () => ({ data: BENEFICIARIES }));

      api.post('/payout', async (request, reply) => {
        const checked = checkPayoutRequest(request.body);
        if (!checked.ok) return reply.code(400).send({ message: 'Validation failed', errors: checked.errors });
        const input = checked.value;
        const beneficiary = input.beneficiaryId === undefined ? undefined : BENEFICIARIES.find((entry) => entry.id === input.beneficiaryId);
        if (input.beneficiaryId !== undefined && !beneficiary) return reply.code(404).send({ message: 'Beneficiary not found' });
        if (payoutReferences.has(input.reference)) return reply.code(409).send({ message: 'Duplicate reference' });
        const payout: FlashpayPayout = {
          id: flashpayId(),
          amount: input.amount,
          currency: input.currency,
          reference: input.reference,
          description: input.description,
          beneficiaryId: beneficiary?.id ?? null,
          destinationBankId: beneficiary?.bankId ?? (input.destinationBankId as string),
          destinationAccount: beneficiary?.accountNumber ?? (input.destinationAccount as string),
          destinationAccountName: beneficiary?.accountName ?? (input.destinationAccountName as string),
          status: 'PENDING',
          createdAt: new Date().toISOString(),
          updatedAt: null,
        };
        payouts.set(payout.id, payout);
        payoutReferences.add(payout.reference);
        settle(payout);
        return reply.code(201).send(payout);
      });

      api.get<IdParams>('/payout/:id', async (request, reply) => {
        const payout = payouts.get(request.params.id);
        return payout ?? reply.code(404).send({ message: 'Payout not found' });
      });
    },
    { prefix: settings.basePath.replace(/\/+$/, '') },
  );

  return app;
}
