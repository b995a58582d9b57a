import { createHmac, randomUUID } from 'node:crypto';
import fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { FaultInjector, registerControlRoutes } from './faults';
import { registerFlexiqashCheckout } from './flexiqash.checkout';
import {
  createPayment,
  type FlexiqashTransaction,
  type StoredPayment,
  validateNewPayment,
  validatePaymentChanges,
  validationFailureBody,
  webhookPayload,
} from './flexiqash.model';
import { baseUrlOf, registerBodyParsers, registerErrorHandler, requireBearer } from './http';
import { DEFAULT_SANDBOX_OPTIONS, withDefaults } from './options';
import { WebhookSender } from './webhook-sender';

export interface FlexiqashSandboxOptions {
  apiToken: string;
  /** Empty URL or secret: no webhooks, as for a payee without them. */
  webhookUrl: string;
  webhookSecret: string;
  /** The account's currency, which FlexiQash's amounts do not carry; the checkout page shows it. */
  currency: string;
  webhookRetryDelayMs: number;
  latencyMs: number;
  logger: boolean;
}

const DEFAULTS: FlexiqashSandboxOptions = {
  apiToken: DEFAULT_SANDBOX_OPTIONS.flexiqashApiToken,
  webhookUrl: DEFAULT_SANDBOX_OPTIONS.flexiqashWebhookUrl,
  webhookSecret: DEFAULT_SANDBOX_OPTIONS.flexiqashWebhookSecret,
  currency: DEFAULT_SANDBOX_OPTIONS.flexiqashCurrency,
  webhookRetryDelayMs: DEFAULT_SANDBOX_OPTIONS.webhookRetryDelayMs,
  latencyMs: DEFAULT_SANDBOX_OPTIONS.latencyMs,
  logger: DEFAULT_SANDBOX_OPTIONS.logger,
};

type GuidParams = { Params: { guid: string } };

/** Laravel answers a missing model with this plain-text body, not JSON. */
function paymentNotFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).type('text/plain; charset=utf-8').send('Payment not found');
}

/** FlexiQash's API as its document describes it, in memory. Call `listen` on the result. */
export function buildFlexiqashSandbox(options: Partial<FlexiqashSandboxOptions> = {}): FastifyInstance {
  const settings = withDefaults(DEFAULTS, options);
  const app = fastify({ logger: settings.logger });
  const payments = new Map<string, StoredPayment>();
  const faults = new FaultInjector({ latencyMs: settings.latencyMs });
  const webhooks = new WebhookSender(settings.webhookRetryDelayMs, app.log);

  registerBodyParsers(app, 'empty');
  registerErrorHandler(app, { message: 'Server Error' });
  registerControlRoutes(app, { faults, webhooks, resetState: () => payments.clear() });

  const notifyTransaction = (stored: StoredPayment, transaction: FlexiqashTransaction): void => {
    if (!settings.webhookUrl || !settings.webhookSecret) return;
    // Signed over the exact bytes sent, so the receiver can verify before parsing.
    const body = Buffer.from(JSON.stringify(webhookPayload(stored.payment, transaction)));
    const signature = createHmac('sha256', settings.webhookSecret).update(body).digest('hex');
    webhooks.send(settings.webhookUrl, body, { 'x-flexiqash-signature': `sha256=${signature}` });
  };
  registerFlexiqashCheckout(app, payments, notifyTransaction, settings.currency);

  void app.register(
    async (api) => {
      api.addHook('onRequest', faults.hook);
      api.addHook('onSend', faults.sendHook);
      api.addHook('onRequest', requireBearer(settings.apiToken, { message: 'Unauthenticated.' }));

      api.get('/payments', async () => [...payments.values()].map((stored) => stored.payment));

      api.post('/payments/new', async (request, reply) => {
        const input = validateNewPayment(request.body);
        if (!input.ok) return reply.code(422).send(validationFailureBody(input.errors));
        const guid = randomUUID();
        const payment = createPayment(input.value, guid, `${baseUrlOf(request)}/payment/${guid}/request`);
        payments.set(guid, { payment, archived: false, transactions: [] });
        return reply.code(201).send(payment);
      });

      api.get<GuidParams>('/payments/:guid/view', async (request, reply) => {
        const stored = payments.get(request.params.guid);
        return stored ? stored.payment : paymentNotFound(reply);
      });

      api.patch<GuidParams>('/payments/:guid/update', async (request, reply) => {
        const stored = payments.get(request.params.guid);
        if (!stored) return paymentNotFound(reply);
        const changes = validatePaymentChanges(request.body);
        if (!changes.ok) return reply.code(422).send(validationFailureBody(changes.errors));
        Object.assign(stored.payment, changes.value);
        return { success: true };
      });

      api.delete<GuidParams>('/payments/:guid/delete', async (request, reply) => {
        if (!payments.delete(request.params.guid)) return paymentNotFound(reply);
        return reply.code(204).send();
      });

      for (const action of ['archive', 'unarchive'] as const) {
        api.patch<GuidParams>(`/payments/:guid/${action}`, async (request, reply) => {
          const stored = payments.get(request.params.guid);
          if (!stored) return paymentNotFound(reply);
          stored.archived = action === 'archive';
          return { success: true };
        });
      }

      api.get<GuidParams>('/payments/:guid/transactions', async (request, reply) => {
        const stored = payments.get(request.params.guid);
        return stored ? stored.transactions : paymentNotFound(reply);
      });
    },
    { prefix: '/api' },
  );

  return app;
}
