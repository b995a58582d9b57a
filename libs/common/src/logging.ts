import { pino, type Bindings, type ChildLoggerOptions, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { AppConfig } from './config';

/**
 * Where secrets and personal data can sit in a log object; pino replaces them with "[redacted]". Request and
 * response bodies are never logged (the gateway logs one line per request with method, route, status and
 * duration), but an object logged by hand may still carry these fields.
 */
export const LOG_REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["webhook-signature"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["webhook-signature"]',
  'req.body',
  'res.body',
  'body',
  'req.query.key',
  // API keys (POST /v1/api-keys answers `key`), webhook endpoint secrets, provider credentials.
  'key',
  '*.key',
  'secret',
  '*.secret',
  'webhookSecret',
  '*.webhookSecret',
  'apiToken',
  '*.apiToken',
  'adminApiKey',
  '*.adminApiKey',
  'authorization',
  '*.authorization',
  'signature',
  '*.signature',
  // The payer's e-mail, wherever a payment or transaction is logged whole.
  'email',
  '*.email',
  '*.payer.email',
  '*.*.payer.email',
];

/** The fixed paths plus, for each provider's credential header (its schema's `secretHeaders`), its two places. */
export function logRedactPaths(secretHeaders: readonly string[] = []): string[] {
  const extra = secretHeaders.flatMap((name) => [`req.headers[${JSON.stringify(name)}]`, `headers[${JSON.stringify(name)}]`]);
  return [...LOG_REDACT_PATHS, ...extra];
}

/**
 * Patterns scrubbed from every finished log line, for what structured redaction cannot see: secrets and e-mail
 * addresses inside message text, error messages and URLs. Replacements never contain a quote, so lines stay JSON.
 */
const LINE_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  [/([?&]key=)[^&\s"#]+/g, '$1[redacted]'],
  [/\bwhsec_[A-Za-z0-9+/=_-]+/g, 'whsec_[redacted]'],
  [/\bsk_[A-Za-z0-9_-]{16,}/g, 'sk_[redacted]'],
  [/\badm_[A-Za-z0-9_-]{16,}/g, 'adm_[redacted]'],
  [/\bsha256=[0-9a-fA-F]{16,}/g, 'sha256=[redacted]'],
  [/\bv1,[A-Za-z0-9+/=]{20,}/g, 'v1,[redacted]'],
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, '[email]'],
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function urlPassword(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}

/** The configured secrets (admin key, provider credentials, database and Redis passwords) never reach a log line. */
export function configuredSecrets(config: AppConfig): string[] {
  return [
    config.adminApiKey,
    ...config.redact.secrets,
    urlPassword(config.databaseUrl),
    urlPassword(config.redisUrl),
    // The keys that seal webhook secrets, in the encodings an operator would paste them in.
    ...[...config.secrets.keys.values()].flatMap((key) => [key.toString('base64'), key.toString('hex')]),
  ].filter(Boolean);
}

/**
 * Text without which no pattern above can match (each needs one of these, in any case): a line holding none of
 * them and none of the configured secrets is left as it is after one scan instead of one per pattern.
 */
const LINE_TRIGGERS = ['bearer', 'key=', 'whsec_', 'sk_', 'adm_', 'sha256=', 'v1,', '@'];

/** Returns a function that masks known secrets and secret-looking text in one serialized log line. */
export function logScrubber(secrets: readonly string[] = []): (line: string) => string {
  // Short values would mask ordinary words; the config refuses short secrets in production anyway.
  const literal = secrets.filter((secret) => secret && secret.length >= 8).map(escapeRegExp);
  const patterns: Array<[RegExp, string]> = [...LINE_PATTERNS];
  if (literal.length > 0) patterns.unshift([new RegExp(literal.join('|'), 'g'), '[redacted]']);
  const mayMatch = new RegExp([...LINE_TRIGGERS.map(escapeRegExp), ...literal].join('|'), 'i');
  return (line) => (mayMatch.test(line) ? patterns.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), line) : line);
}

/** Drops the query string's `key` parameter (the queue dashboard's one-time login) from a logged URL. */
export function sanitizeUrl(url: string | undefined): string | undefined {
  return url?.includes('key=') ? url.replace(/([?&]key=)[^&#]*/g, '$1[redacted]') : url;
}

/** The pino options every app uses: JSON lines, ISO time, level names, one `service` field, redaction. */
export function pinoOptions(service: string, level = 'info', secretHeaders: readonly string[] = []): LoggerOptions {
  return {
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: logRedactPaths(secretHeaders), censor: '[redacted]' },
    serializers: {
      err: pino.stdSerializers.err,
      // Fastify logs `req`/`res` on its own errors: keep them to what helps and nothing that can hold a secret.
      req: (req: { id?: unknown; method?: string; url?: string }) => ({ id: req.id, method: req.method, url: sanitizeUrl(req.url) }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/** A pino logger writing scrubbed JSON lines to stdout (synchronously, so nothing is lost when the process exits). */
export function createLogger(service: string, secrets: readonly string[] = [], level = 'info', secretHeaders: readonly string[] = []): Logger {
  const scrub = logScrubber(secrets);
  const stdout = pino.destination({ fd: 1, sync: true });
  const destination: DestinationStream = { write: (line: string) => stdout.write(scrub(line)) };
  return pino(pinoOptions(service, level, secretHeaders), destination);
}

/**
 * A logger writing to the same destination as `logger` (so every line is still scrubbed), at its level, with the
 * same fields, but without structured redaction: for lines whose fields are fixed and hold no secret-bearing
 * object (the gateway's one line per request: method, route, sanitized URL, status, duration), which spares each
 * of them walking every redaction path. Anything logged by hand goes through `logger` and its redaction.
 */
export function fixedFieldsLogger(logger: Logger, service: string): Logger {
  const { redact: _redact, ...options } = pinoOptions(service, logger.level);
  return pino(options, (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym]);
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
type Level = (typeof LEVELS)[number];

/**
 * A child logger made when something first writes through it at an enabled level. Fastify makes one per request
 * (`request.log`, bound to its request id), and pino makes a child eagerly: it serializes and redacts the bindings
 * each time, about 4 KB of garbage and a redaction pass per request, for a logger the gateway's requests rarely
 * write to (the request line and Nest's lines have their own loggers).
 */
class LazyChildLogger {
  private made?: Logger;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  /** The pino child itself, made on first use. */
  get logger(): Logger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.made ? this.made.level : (this.options.level ?? this.parent.level);
  }

  set level(level: string) {
    this.logger.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return this.logger.isLevelEnabled(level);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }

  private write(level: Level, args: unknown[]): void {
    if (this.made || this.options.level || this.parent.isLevelEnabled(level)) (this.logger[level] as (...a: unknown[]) => void)(...args);
  }

  // fatal … trace, on the prototype: one function per level, not six closures per request.
  static {
    for (const level of LEVELS) {
      Object.defineProperty(this.prototype, level, {
        value(this: LazyChildLogger, ...args: unknown[]) {
          this.write(level, args);
        },
      });
    }
  }
}

/** Fastify's `childLoggerFactory`: each request's logger is a LazyChildLogger of the app's. */
export function lazyChildLogger(parent: Logger, bindings: Bindings, options: ChildLoggerOptions): Logger {
  return new LazyChildLogger(parent, bindings, options) as unknown as Logger;
}

type NestLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
const PINO_LEVEL: Record<NestLevel, 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal'> = {
  log: 'info',
  error: 'error',
  warn: 'warn',
  debug: 'debug',
  verbose: 'trace',
  fatal: 'fatal',
};

/**
 * Nest's LoggerService over pino, for apps without HTTP requests (the worker). It is shaped like Nest's interface
 * without importing @nestjs/common, which would keep this library out of the CommonJS unit tests.
 * Nest calls `log(message, context)` and `error(message, stack?, context)`.
 */
export class PinoNestLogger {
  constructor(
    readonly pino: Logger,
    /** Fields for the line from the context it is written in (the gateway: the request's id). */
    private readonly scope?: () => Record<string, unknown> | undefined,
  ) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: NestLevel, message: unknown, params: unknown[]): void {
    const rest = [...params];
    const fields: Record<string, unknown> = { ...this.scope?.() };
    if (rest.length > 0 && typeof rest[rest.length - 1] === 'string') fields.context = rest.pop();
    else if (rest.length > 0 && rest[rest.length - 1] === undefined) rest.pop();
    if (level === 'error' && typeof rest[0] === 'string') fields.stack = rest.shift();
    if (message instanceof Error) {
      this.pino[PINO_LEVEL[level]]({ ...fields, err: message }, message.message);
    } else if (message && typeof message === 'object') {
      this.pino[PINO_LEVEL[level]]({ ...fields, ...(message as object) });
    } else {
      this.pino[PINO_LEVEL[level]](fields, String(message));
    }
  }
}

/** The worker's (and any non-HTTP app's) Nest logger: `NestFactory.create…(module, { logger: nestLogger('worker', config) })`. */
export function nestLogger(service: string, config: AppConfig): PinoNestLogger {
  return new PinoNestLogger(createLogger(service, configuredSecrets(config), config.logLevel, config.redact.headers));
}
