export * from './config';
export * from './ids';
export * from './api-error';
export * from './webhook-url';
export * from './logging';
export * from './process';
export * from './secret-box';
export * from './prepared-query';
