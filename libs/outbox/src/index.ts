export * from './event-types';
export * from './signature';
export * from './queue';
export * from './delivery-relay';
export * from './outbox.service';
export * from './outbox.module';
