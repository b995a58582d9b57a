import type { FastifyInstance, FastifyReply } from 'fastify';
import { renderCheckoutPage, renderOutcomePage } from './checkout.page';
import { createTransaction, type FlexiqashTransaction, type StoredPayment } from './flexiqash.model';

const PROVIDER = 'FlexiQash';

type GuidParams = { Params: { guid: string } };

function page(reply: FastifyReply, status: number, title: string, message: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(renderOutcomePage(PROVIDER, title, message));
}

/** The payment link's page (`/payment/{guid}/request`), public like the real one. */
export function registerFlexiqashCheckout(
  app: FastifyInstance,
  payments: Map<string, StoredPayment>,
  onTransaction: (stored: StoredPayment, transaction: FlexiqashTransaction) => void,
  currency: string,
): void {
  // FlexiQash amounts are major units of the account's one currency, which the payment itself does not name.
  const amount = (payment: StoredPayment['payment']) => `${payment.amount} ${currency}`;
  const isPaid = (stored: StoredPayment) => stored.transactions.some((transaction) => transaction.is_paid);

  app.get<GuidParams>('/payment/:guid/request', async (request, reply) => {
    const stored = payments.get(request.params.guid);
    if (!stored) return page(reply, 404, 'Payment not found', 'This payment link does not exist or was deleted.');
    const { payment } = stored;
    const paid = isPaid(stored);
    const html = renderCheckoutPage({
      provider: PROVIDER,
      title: payment.name,
      details: [
        ['Amount', amount(payment)],
        ['Payee', payment.payee.name],
        ['Status', paid ? 'Paid' : 'Awaiting payment'],
      ],
      actions: paid ? undefined : { pay: `/payment/${payment.guid}/pay`, decline: `/payment/${payment.guid}/decline` },
    });
    return reply.type('text/html; charset=utf-8').send(html);
  });

  for (const outcome of ['pay', 'decline'] as const) {
    app.post<GuidParams>(`/payment/:guid/${outcome}`, async (request, reply) => {
      const stored = payments.get(request.params.guid);
      if (!stored) return page(reply, 404, 'Payment not found', 'This payment link does not exist or was deleted.');
      if (isPaid(stored)) return page(reply, 409, 'Already paid', 'This payment has already been paid; nothing was charged.');
      const transaction = createTransaction(stored.payment, outcome === 'pay');
      stored.transactions.push(transaction);
      onTransaction(stored, transaction);
      return outcome === 'pay'
        ? page(reply, 200, 'Payment approved', `${amount(stored.payment)} paid for ${stored.payment.name}.`)
        : page(reply, 200, 'Payment declined', `The payment for ${stored.payment.name} was declined.`);
    });
  }
}
