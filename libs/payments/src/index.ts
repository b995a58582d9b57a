export * from './payment.types';
export * from './provider.interface';
export * from './provider.error';
export * from './currency';
export * from './money';
export * from './status';
export * from './routing';
export * from './capability';
