import { ProviderError, ProviderName } from '@app/payments';

/**
 * Small readers for provider JSON. A provider answer that lacks a field we rely on, or carries the wrong type,
 * is a `bad_response`: guessing would put wrong money or a wrong status into the gateway.
 */
export class WireReader {
  constructor(
    readonly provider: ProviderName,
    private readonly what: string,
  ) {}

  bad(detail: string): ProviderError {
    return new ProviderError(this.provider, 'bad_response', `${this.provider} ${this.what}: ${detail}`, null, false);
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw this.bad(`${field} is not an object`);
    return value as Record<string, unknown>;
  }

  optionalObject(value: unknown, field: string): Record<string, unknown> | null {
    return value === undefined || value === null ? null : this.object(value, field);
  }

  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) throw this.bad(`${field} is not an array`);
    return value;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string' || value === '') throw this.bad(`${field} is not a non-empty string`);
    return value;
  }

  optionalString(value: unknown, field: string): string | null {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') throw this.bad(`${field} is not a string`);
    return value;
  }

  /** Accepts a bare array or `{data: [...]}` (a common list envelope). */
  list(body: unknown, field: string): unknown[] {
    if (Array.isArray(body)) return body;
    if (body && typeof body === 'object' && Array.isArray((body as { data?: unknown }).data)) {
      return (body as { data: unknown[] }).data;
    }
    throw this.bad(`${field} is neither an array nor {data: [...]}`);
  }

  /** Runs a conversion and turns its error (e.g. MoneyError) into bad_response. */
  convert<T>(field: string, convert: () => T): T {
    try {
      return convert();
    } catch (error) {
      throw this.bad(`${field}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
