import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiError, FieldProblem } from '@app/common';

const MAX_DEPTH = 8;

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: message.startsWith('property ') ? `${field} is not a known field` : message,
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** A UTF-16 surrogate without its pair (half an emoji), or NUL: text Postgres refuses in text and jsonb. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function textProblem(text: string, field: string, what: string): FieldProblem | null {
  const found = UNSTORABLE.exec(text);
  if (!found) return null;
  return { field, message: found[0] === '\u0000' ? `${what} contains a NUL character` : `${what} contains a lone UTF-16 surrogate (half a character)` };
}

/**
 * The first piece of text in a parsed JSON value (values and field names, at any depth) that Postgres cannot
 * store. The JSON body parser refuses such a body before anything runs: no key is claimed, no row written, no
 * provider called.
 */
export function unstorableText(value: unknown, field = '', depth = 0): FieldProblem | null {
  if (typeof value === 'string') return textProblem(value, field, field || 'the body');
  if (value && typeof value === 'object' && depth <= MAX_DEPTH + 1) {
    for (const [key, child] of Object.entries(value)) {
      const name = field ? `${field}.${key}` : key;
      const problem = textProblem(key, field, 'a field name') ?? unstorableText(child, name, depth + 1);
      if (problem) return problem;
    }
  }
  return null;
}

/**
 * Refuses what class-validator does not see: a body that is not a JSON object, nesting past MAX_DEPTH, and text
 * Postgres cannot store (NUL, lone surrogates), which would otherwise surface as a 500.
 */
function checkShape(value: unknown, field: string, depth: number): FieldProblem | null {
  if (depth > MAX_DEPTH) return { field, message: `nesting deeper than ${MAX_DEPTH} levels is not accepted` };
  if (typeof value === 'string') return textProblem(value, field, field);
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const keyProblem = textProblem(key, field, 'a field name');
      if (keyProblem) return keyProblem;
      const problem = checkShape(child, field ? `${field}.${key}` : key, depth + 1);
      if (problem) return problem;
    }
  }
  return null;
}

@Injectable()
export class BodyShapePipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw ApiError.invalid('The body must be a JSON object', [{ field: '', message: 'expected a JSON object' }]);
      }
    }
    if (metadata.type === 'body' || metadata.type === 'query') {
      const problem = checkShape(value, '', 0);
      if (problem) throw ApiError.invalid(problem.message, [problem]);
    }
    return value;
  }
}

/** class-validator with whitelisting: unknown fields are refused, and failures use the contract's envelope. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      return ApiError.invalid(details[0]?.message ?? 'The request is not valid', details);
    },
  });
}
