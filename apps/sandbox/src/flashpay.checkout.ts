import type { FastifyInstance, FastifyReply } from 'fastify';
import { renderCheckoutPage, renderOutcomePage } from './checkout.page';
import { currentView, type FlashpayPayment, formatMinorUnits, SANDBOX_PAYER_ACCOUNT } from './flashpay.model';

const PROVIDER = 'Flashpay';

type IdParams = { Params: { id: string } };

function page(reply: FastifyReply, status: number, title: string, message: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(renderOutcomePage(PROVIDER, title, message));
}

/** The hosted page a payment's default `callbackUrl` points at; public like the real one. */
export function registerFlashpayCheckout(
  app: FastifyInstance,
  payments: Map<string, FlashpayPayment>,
  onStatusChange: (payment: FlashpayPayment) => void,
): void {
  app.get<IdParams>('/checkout/:id', async (request, reply) => {
    const stored = payments.get(request.params.id);
    if (!stored) return page(reply, 404, 'Payment not found', 'There is no such payment.');
    const payment = currentView(stored);
    const html = renderCheckoutPage({
      provider: PROVIDER,
      title: payment.description,
      details: [
        ['Amount', formatMinorUnits(payment.amount, payment.currency)],
        ['Pay to', payment.destinationAccountName],
        ['Reference', payment.reference],
        ['Status', payment.status],
      ],
      actions: payment.status === 'OPEN' ? { pay: `/checkout/${payment.id}/pay`, decline: `/checkout/${payment.id}/decline` } : undefined,
    });
    return reply.type('text/html; charset=utf-8').send(html);
  });

  for (const outcome of ['pay', 'decline'] as const) {
    app.post<IdParams>(`/checkout/:id/${outcome}`, async (request, reply) => {
      const stored = payments.get(request.params.id);
      if (!stored) return page(reply, 404, 'Payment not found', 'There is no such payment.');
      const { status } = currentView(stored);
      if (status !== 'OPEN') return page(reply, 409, 'Payment closed', `This payment is ${status}; nothing was charged.`);
      stored.status = outcome === 'pay' ? 'PAID' : 'FAILED';
      stored.updatedAt = new Date().toISOString();
      if (outcome === 'pay') {
        stored.originBankId = SANDBOX_PAYER_ACCOUNT.bankId;
        stored.originAccount = SANDBOX_PAYER_ACCOUNT.account;
        stored.originAccountName = SANDBOX_PAYER_ACCOUNT.name;
      }
      onStatusChange(stored);
      const amount = formatMinorUnits(stored.amount, stored.currency);
      return outcome === 'pay'
        ? page(reply, 200, 'Payment successful', `${amount} paid to ${stored.destinationAccountName}.`)
        : page(reply, 200, 'Payment declined', `The payment of ${amount} was declined.`);
    });
  }
}
