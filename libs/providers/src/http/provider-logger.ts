/**
 * The slice of Nest's LoggerService the adapters use. ProvidersModule hands each provider a Nest `Logger`; the
 * adapters themselves do not import @nestjs/common at runtime (Nest 12 is ESM-only and the unit tests run as
 * CommonJS under Jest), so a provider built by hand falls back to the console.
 */
export interface ProviderLogger {
  warn(message: string): void;
}

export function consoleProviderLogger(context: string): ProviderLogger {
  return { warn: (message) => console.warn(`[${context}] ${message}`) };
}
