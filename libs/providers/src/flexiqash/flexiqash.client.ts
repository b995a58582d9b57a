import { ProviderError } from '@app/payments';
import { HttpTransport, ProviderHttp, ProviderHttpMethod, ProviderHttpOptions } from '../http/provider-http';
import type { ProviderTelemetry } from '../http/provider-telemetry';
import { FlexiqashCreatePaymentRequest, FlexiqashUpdatePaymentRequest, isFlexiqashSuccess } from './flexiqash.mapper';

export interface FlexiqashClientOptions {
  baseUrl: string;
  apiToken: string;
  timeoutMs: number;
  retryDelaysMs?: readonly number[];
  telemetry?: ProviderTelemetry;
}

/**
 * FlexiQash's HTTP side: the document's paths and methods, and the three headers its examples send on every
 * call. Returns parsed bodies; their meaning is the mapper's business. Errors are ProviderErrors (provider-http).
 */
export class FlexiqashClient {
  private readonly http: ProviderHttp;

  constructor(options: FlexiqashClientOptions, transport?: HttpTransport) {
    const httpOptions: ProviderHttpOptions = {
      provider: 'flexiqash',
      baseUrl: options.baseUrl,
      apiToken: options.apiToken,
      timeoutMs: options.timeoutMs,
      retryDelaysMs: options.retryDelaysMs,
      telemetry: options.telemetry,
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    };
    this.http = new ProviderHttp(httpOptions, transport);
  }

  /** GET api/payments → array of payments. */
  listPayments(): Promise<unknown> {
    return this.json('listPayments', 'GET', '/api/payments');
  }

  /** GET api/payments/{guid}/view → one payment; 404 answers plain text "Payment not found". */
  viewPayment(guid: string): Promise<unknown> {
    return this.json('viewPayment', 'GET', `/api/payments/${enc(guid)}/view`);
  }

  /** POST api/payments/new → 201 with the payment. Never retried: a lost answer is resolved by listing. */
  createPayment(body: FlexiqashCreatePaymentRequest): Promise<unknown> {
    return this.json('createPayment', 'POST', '/api/payments/new', body);
  }

  /** PATCH api/payments/{guid}/update → {success: true}. */
  async updatePayment(guid: string, body: FlexiqashUpdatePaymentRequest): Promise<void> {
    await this.expectSuccess('updatePayment', 'PATCH', `/api/payments/${enc(guid)}/update`, body);
  }

  /** DELETE api/payments/{guid}/delete → 204. */
  async deletePayment(guid: string): Promise<void> {
    await this.http.request({ operation: 'deletePayment', method: 'DELETE', path: `/api/payments/${enc(guid)}/delete` });
  }

  /** PATCH api/payments/{guid}/archive → {success: true}. */
  async archivePayment(guid: string): Promise<void> {
    await this.expectSuccess('archivePayment', 'PATCH', `/api/payments/${enc(guid)}/archive`);
  }

  /** PATCH api/payments/{guid}/unarchive → {success: true}. */
  async unarchivePayment(guid: string): Promise<void> {
    await this.expectSuccess('unarchivePayment', 'PATCH', `/api/payments/${enc(guid)}/unarchive`);
  }

  /** GET api/payments/{guid}/transactions → array of transactions. */
  listTransactions(guid: string): Promise<unknown> {
    return this.json('listTransactions', 'GET', `/api/payments/${enc(guid)}/transactions`);
  }

  close(): void {
    this.http.close();
  }

  private json(operation: string, method: ProviderHttpMethod, path: string, body?: unknown): Promise<unknown> {
    return this.http.requestBody({ operation, method, path, body });
  }

  private async expectSuccess(operation: string, method: ProviderHttpMethod, path: string, body?: unknown): Promise<void> {
    const response = await this.http.request({ operation, method, path, body });
    if (!isFlexiqashSuccess(response.body)) {
      // A 2xx that does not say {success: true}: FlexiQash did not confirm the change.
      throw new ProviderError('flexiqash', 'bad_response', `flexiqash ${method} ${path} answered ${response.status} without {"success": true}`, response.status, false);
    }
  }
}

function enc(id: string): string {
  return encodeURIComponent(id);
}
