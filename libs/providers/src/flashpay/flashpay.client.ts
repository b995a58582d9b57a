import { HttpTransport, ProviderHttp, ProviderHttpMethod } from '../http/provider-http';
import type { ProviderTelemetry } from '../http/provider-telemetry';
import { FlashpayCreatePaymentRequest, FlashpayCreatePayoutRequest } from './flashpay.mapper';
import { flashpayPaths, FlashpayPaths } from './flashpay.paths';

export interface FlashpayClientOptions {
  baseUrl: string;
  basePath: string;
  apiToken: string;
  timeoutMs: number;
  retryDelaysMs?: readonly number[];
  telemetry?: ProviderTelemetry;
}

/** Flashpay's HTTP side: paths from flashpay.paths.ts, Bearer auth, JSON both ways. */
export class FlashpayClient {
  private readonly http: ProviderHttp;
  private readonly paths: FlashpayPaths;

  constructor(options: FlashpayClientOptions, transport?: HttpTransport) {
    this.paths = flashpayPaths(options.basePath);
    this.http = new ProviderHttp(
      {
        provider: 'flashpay',
        baseUrl: options.baseUrl,
        apiToken: options.apiToken,
        timeoutMs: options.timeoutMs,
        retryDelaysMs: options.retryDelaysMs,
        telemetry: options.telemetry,
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      },
      transport,
    );
  }

  /** POST {base}/payment. Never retried. */
  createPayment(body: FlashpayCreatePaymentRequest): Promise<unknown> {
    return this.json('createPayment', 'POST', this.paths.payments, body);
  }

  /** GET {base}/payment → {data: [...]} or a bare array. */
  listPayments(): Promise<unknown> {
    return this.json('listPayments', 'GET', this.paths.payments);
  }

  /** GET {base}/payment/{id} (the one documented call). */
  getPayment(id: string): Promise<unknown> {
    return this.json('getPayment', 'GET', this.paths.payment(id));
  }

  /** GET {base}/beneficiaries → {data: [...]} or a bare array. */
  listBeneficiaries(): Promise<unknown> {
    return this.json('listBeneficiaries', 'GET', this.paths.beneficiaries);
  }

  /** POST {base}/payout. Never retried. */
  createPayout(body: FlashpayCreatePayoutRequest): Promise<unknown> {
    return this.json('createPayout', 'POST', this.paths.payouts, body);
  }

  /** GET {base}/payout/{id}. */
  getPayout(id: string): Promise<unknown> {
    return this.json('getPayout', 'GET', this.paths.payout(id));
  }

  close(): void {
    this.http.close();
  }

  private json(operation: string, method: ProviderHttpMethod, path: string, body?: unknown): Promise<unknown> {
    return this.http.requestBody({ operation, method, path, body });
  }
}
