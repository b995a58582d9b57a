export * from './payment.presenter';
export * from './payment-sync.service';
export * from './sync.module';
