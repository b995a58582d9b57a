export * from './wire.types';
