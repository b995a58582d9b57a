import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
// In a real service: `from '@paygw/client'`. The relative path runs it from this repository without publishing.
import { Payment, PaymentsClient, PaymentWebhookEvent, verifyWebhook, WebhookEvent, WebhookVerificationError } from '../../libs/client/src';

export interface ExampleOptions {
  gatewayUrl: string;
  /** A key with payments:write, payments:read and webhooks:manage. */
  apiKey: string;
  /** Where this service listens for webhooks (0: any free port). */
  port: number;
  /** How the gateway reaches this service; default `http://127.0.0.1:<port>`. */
  publicUrl?: string;
  log?: (line: string) => void;
}

export interface ExampleRun {
  payment: Payment;
  checkoutUrl: string;
  endpointId: string;
  /** Resolves with the verified `payment.succeeded` of `payment`. */
  succeeded: Promise<PaymentWebhookEvent>;
  /** Every verified event this service received (duplicates skipped by event id). */
  received: WebhookEvent[];
  /** Deliveries refused because they failed verification. */
  rejected: string[];
  /** Deletes the webhook endpoint and stops listening. */
  close(): Promise<void>;
}

/**
 * A checkout service in a few lines: it listens for webhooks, subscribes itself to `payment.succeeded`, creates a
 * payment and prints where the payer pays; `succeeded` resolves once the gateway's signed event for that payment
 * arrives and checks out.
 */
export async function runExample({ gatewayUrl, apiKey, port, publicUrl, log = console.log }: ExampleOptions): Promise<ExampleRun> {
  const client = new PaymentsClient({ baseUrl: gatewayUrl, apiKey });
  let secret = '';
  let paymentId = '';
  const received: WebhookEvent[] = [];
  const rejected: string[] = [];
  let onSucceeded!: (event: PaymentWebhookEvent) => void;
  const succeeded = new Promise<PaymentWebhookEvent>((resolve) => (onSucceeded = resolve));

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let event: WebhookEvent;
      try {
        // The raw bytes, exactly as received: re-serialized JSON would not match the signature.
        event = verifyWebhook(Buffer.concat(chunks), req.headers, secret);
      } catch (error) {
        const reason = error instanceof WebhookVerificationError ? error.code : String(error);
        rejected.push(reason);
        res.writeHead(400).end(reason);
        return;
      }
      // Deliveries can repeat (retries, redeliveries): the event id says whether this one was handled already.
      if (!received.some((seen) => seen.id === event.id)) {
        received.push(event);
        log(`received ${event.type} for ${event.data.id} (${event.id})`);
        if (event.type === 'payment.succeeded' && event.data.id === paymentId) onSucceeded(event);
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `${publicUrl ?? `http://127.0.0.1:${(server.address() as AddressInfo).port}`}/webhooks/payments`;
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));

  try {
    const endpoint = await client.webhookEndpoints.create({ url, events: ['payment.succeeded'], description: 'checkout-service example' });
    secret = endpoint.secret;
    log(`webhook endpoint ${endpoint.id} → ${url}`);

    const orderId = `order-${Date.now()}`;
    // The order id as Idempotency-Key: however often this line is retried, the order gets one payment.
    const payment = await client.payments.create(
      { amount: 12399, currency: 'USD', description: 'Membership', reference: orderId, payer: { name: 'John Smith', email: 'john@example.com' } },
      { idempotencyKey: orderId },
    );
    paymentId = payment.id;
    if (!payment.checkoutUrl) throw new Error(`payment ${payment.id} has no checkout URL`);
    log(`payment ${payment.id} (${payment.status}): pay at ${payment.checkoutUrl}`);

    return {
      payment,
      checkoutUrl: payment.checkoutUrl,
      endpointId: endpoint.id,
      succeeded,
      received,
      rejected,
      async close() {
        await client.webhookEndpoints.delete(endpoint.id).catch(() => undefined);
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function main(): Promise<void> {
  const apiKey = process.env.API_KEY;
  if (!apiKey) throw new Error('API_KEY is required (a key with payments:write, payments:read and webhooks:manage)');
  const run = await runExample({
    gatewayUrl: process.env.GATEWAY_URL ?? 'http://127.0.0.1:3000',
    apiKey,
    port: Number(process.env.PORT ?? 4100),
    publicUrl: process.env.PUBLIC_URL,
  });
  const event = await run.succeeded;
  console.log(`paid: ${event.data.id} is ${event.data.status}`);
  await run.close();
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
