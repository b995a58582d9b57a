export * from './payment.presenter';
export * from './create-protocol';
export * from './idempotency-scope';
export * from './payment-lifecycle.service';
export * from './payout-lifecycle.service';
export * from './lifecycle.module';
export * from './created-resource.recovery';
