export * from './providers.module';
export * from './provider-module';
export * from './provider-modules';
export * from './provider.registry';
export { ProviderHttp, DEFAULT_GET_RETRY_DELAYS_MS } from './http/provider-http';
export { NodeHttpTransport, TransportError } from './http/http-transport';
export type { TransportRequest, TransportResponse } from './http/http-transport';
export type {
  HttpTransport,
  ProviderHttpMethod,
  ProviderHttpOptions,
  ProviderHttpRequest,
  ProviderHttpResponse,
  ProviderOptions,
} from './http/provider-http';
export * from './http/provider-logger';
export { ProviderTelemetry } from './http/provider-telemetry';
export * from './flexiqash/flexiqash.provider';
export * from './flexiqash/flexiqash.config';
export * from './flexiqash/flexiqash.webhook';
export * from './flexiqash/flexiqash.module';
export * from './flexiqash/flexiqash.client';
export * from './flexiqash/flexiqash.mapper';
export * from './flashpay/flashpay.provider';
export * from './flashpay/flashpay.config';
export * from './flashpay/flashpay.webhook';
export * from './flashpay/flashpay.module';
export * from './flashpay/flashpay.client';
export * from './flashpay/flashpay.mapper';
export * from './flashpay/flashpay.paths';
