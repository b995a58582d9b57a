export * from './providers.module';
export * from './provider.registry';
export { ProviderHttp, DEFAULT_GET_RETRY_DELAYS_MS } from './http/provider-http';
export type {
  HttpTransport,
  ProviderHttpMethod,
  ProviderHttpOptions,
  ProviderHttpRequest,
  ProviderHttpResponse,
  ProviderOptions,
} from './http/provider-http';
export * from './http/provider-logger';
export * from './flexiqash/flexiqash.provider';
export * from './flexiqash/flexiqash.client';
export * from './flexiqash/flexiqash.mapper';
export * from './flashpay/flashpay.provider';
export * from './flashpay/flashpay.client';
export * from './flashpay/flashpay.mapper';
export * from './flashpay/flashpay.paths';
