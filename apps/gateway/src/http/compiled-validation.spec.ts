import { ValidationPipe } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsString, MaxLength, ValidateNested } from 'class-validator';
import { ResolvePayoutDto } from '../admin/payouts-admin.controller';
import { RoutingDto } from '../admin/routing.controller';
import { CreateApiKeyDto } from '../api-keys/api-keys.controller';
import { CreatePaymentDto, UpdatePaymentDto } from '../payments/dto/create-payment.dto';
import { CreatePayoutDto } from '../payouts/dto/create-payout.dto';
import { CreateWebhookEndpointDto, RecoverDto, RedeliverDto, UpdateWebhookEndpointDto } from '../webhooks/dto';
import { CompiledValidationPipe, fastInstance, planFor, UNSURE } from './compiled-validation';
import { createValidationPipe, VALIDATION_OPTIONS } from './validation';

type Body = Record<string, unknown>;
type Class = new () => object;

/** Each body class of the gateway's routes with a valid body; the mutations below are made from these. */
const BODIES: [Class, Body][] = [
  [
    CreatePaymentDto,
    {
      amount: 12399,
      currency: 'USD',
      description: 'Membership',
      reference: 'order-42',
      provider: 'flexiqash',
      payer: { name: 'John Smith', email: 'john@example.com', reference: 'c-1' },
      payee: { name: 'Shop', reference: 'p-1', bankId: '044', accountNumber: '0123456789', accountName: 'Shop Ltd' },
      metadata: { order: '42' },
    },
  ],
  [UpdatePaymentDto, { description: 'New', amount: 500, metadata: { k: 'v' } }],
  [CreatePayoutDto, { amount: 5000, currency: 'NGN', destination: { bankId: '044', accountNumber: '0123456789', accountName: 'Ada' }, reference: 'r', description: 'd', provider: 'flashpay' }],
  [CreateWebhookEndpointDto, { url: 'https://example.com/hook', events: ['payment.succeeded', 'payment.failed'], description: 'd' }],
  [UpdateWebhookEndpointDto, { url: 'https://example.com/hook', events: ['*'], description: '', enabled: false }],
  [CreateApiKeyDto, { name: 'billing', scopes: ['payments:read', 'payments:write'] }],
  [RoutingDto, { defaultProvider: 'flexiqash', currencyRoutes: { NGN: 'flashpay' } }],
  [ResolvePayoutDto, { outcome: 'paid', providerPayoutId: 'po_1', note: 'checked' }],
  [RedeliverDto, { endpointId: 'we_1' }],
  [RecoverDto, { since: '2026-11-30T10:00:00Z' }],
];

const long = (n: number) => 'x'.repeat(n);
/** Values each field is set to in turn: wrong types, bounds on both sides, hostile shapes. */
const VALUES: unknown[] = [
  null, '', ' ', 'x', long(40), long(41), long(64), long(65), long(100), long(101), long(200), long(201), long(255), long(256), long(500), long(501),
  long(1000), long(1001), long(2048), long(2049), '😀'.repeat(200), '😀'.repeat(201), 'e\u0301', 0, -1, 1, 1.5, 999999999999999, 1e15, 1e16, 2 ** 53, -0,
  true, false, [], ['x'], [1], [null], {}, { a: 'b' }, { a: 1 }, { toString: 'x' }, { nested: { deep: 'x' } }, 'USD', 'usd', 'XXX', 'JPY', 'a@example.com',
  'not an email', 'flexiqash', 'flashpay', 'paid', 'failed', '2026-01-01T00:00:00Z', '2026-13-01', ['payment.created'], ['*'], ['nope'], ['payments:read'],
  ['admin', 'admin'], Array.from({ length: 30 }, () => '*'), { bankId: 'b', accountNumber: '1', accountName: 'n' }, { name: 'A', email: 'a@example.com' },
  { name: 'A', email: 'a@example.com', extra: 1 }, [{ name: 'A', email: 'a@example.com' }], Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])),
];
const EXTRA_FIELDS = ['extra', 'toString', 'hasOwnProperty', 'constructor'];

/** The body with one field (at any depth) set to each value or removed, and an unknown field added. */
function* mutations(body: Body): Generator<Body> {
  const fields = new Set([...Object.keys(body), ...EXTRA_FIELDS]);
  for (const field of fields) {
    const { [field]: _removed, ...without } = body;
    yield without;
    for (const value of VALUES) yield { ...body, [field]: value };
    const inner = body[field];
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) for (const changed of mutations(inner as Body)) yield { ...body, [field]: changed };
  }
}

type Outcome = { accepted: object } | { refused: unknown };
async function outcome(pipe: ValidationPipe, type: Class, body: unknown): Promise<Outcome> {
  try {
    return { accepted: (await pipe.transform(structuredClone(body), { type: 'body', metatype: type })) as object };
  } catch (error) {
    return { refused: (error as { details?: unknown }).details ?? error };
  }
}

describe('CompiledValidationPipe', () => {
  const full = new ValidationPipe(VALIDATION_OPTIONS);
  const compiled = createValidationPipe();

  it('is the pipe the gateway uses, with its fast path on', () => {
    expect(compiled).toBeInstanceOf(CompiledValidationPipe);
    expect((compiled as unknown as { enabled: boolean }).enabled).toBe(true);
  });

  it.each(BODIES.map(([type, body]) => [type.name, type, body] as const))('takes the fast path for a valid %s', async (_name, type, body) => {
    expect(planFor(type)).not.toBeNull();
    const fast = fastInstance(type, structuredClone(body));
    expect(fast).not.toBe(UNSURE);
    const expected = await outcome(full, type, body);
    expect(expected).toHaveProperty('accepted');
    expect(fast).toStrictEqual((expected as { accepted: object }).accepted);
  });

  it.each(BODIES.map(([type, body]) => [type.name, type, body] as const))('answers as the full pipe for every mutation of a %s', async (_name, type, body) => {
    let fastAccepted = 0;
    let cases = 0;
    for (const mutated of mutations(body)) {
      cases++;
      const expected = await outcome(full, type, mutated);
      const actual = await outcome(compiled, type, mutated);
      // Same instance (class, fields, nested classes) or the same errors.
      expect({ body: mutated, ...actual }).toStrictEqual({ body: mutated, ...expected });
      const fast = fastInstance(type, structuredClone(mutated));
      if (fast !== UNSURE) {
        fastAccepted++;
        expect({ body: mutated, fast }).toStrictEqual({ body: mutated, fast: (expected as { accepted: object }).accepted });
      }
    }
    expect(cases).toBeGreaterThan(100);
    expect(fastAccepted).toBeGreaterThan(0);
  });

  it('leaves to the full pipe what it cannot copy exactly: a __proto__ key, an array for a nested object, a class without rules', async () => {
    const withProto = JSON.parse('{"amount":1,"currency":"USD","description":"d","metadata":{"__proto__":{"x":"1"}}}');
    expect(fastInstance(CreatePaymentDto, withProto)).toBe(UNSURE);
    const payers = { amount: 1, currency: 'USD', description: 'd', payer: [{ name: 'A', email: 'a@example.com' }] };
    expect(fastInstance(CreatePaymentDto, payers)).toBe(UNSURE);
    await expect(compiled.transform(payers, { type: 'body', metatype: CreatePaymentDto })).rejects.toMatchObject({
      status: 422,
      details: [{ field: 'payer', message: 'payer must be an object' }],
    });
    class NoRules {
      name: string;
    }
    expect(planFor(NoRules)).toBeNull();
  });

  it('declines a nested field without @Type, which class-transformer leaves a plain object', () => {
    class Inner {
      @IsString() name: string;
    }
    class Outer {
      @ValidateNested() inner: Inner;
    }
    class Typed {
      @ValidateNested() @Type(() => Inner) inner: Inner;
      @IsString() @MaxLength(3) code: string;
    }
    expect(planFor(Outer)).toBeNull();
    expect(fastInstance(Typed, { inner: { name: 'n' }, code: 'abc' })).toStrictEqual(Object.assign(new Typed(), { inner: Object.assign(new Inner(), { name: 'n' }), code: 'abc' }));
    expect(fastInstance(Typed, { inner: { name: 'n' }, code: 'abcd' })).toBe(UNSURE);
  });

  it('stays off with options it does not reproduce', () => {
    const grouped = new CompiledValidationPipe({ ...VALIDATION_OPTIONS, groups: ['admin'] });
    const implicit = new CompiledValidationPipe({ ...VALIDATION_OPTIONS, transformOptions: { enableImplicitConversion: true } });
    expect((grouped as unknown as { enabled: boolean }).enabled).toBe(false);
    expect((implicit as unknown as { enabled: boolean }).enabled).toBe(false);
  });
});
