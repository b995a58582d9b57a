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

/**
 * Refuses what class-validator does not see: a body that is not a JSON object, nesting past MAX_DEPTH, and NUL
 * characters (Postgres cannot store them in text or jsonb, so they would otherwise surface as a 500).
 */
function checkShape(value: unknown, field: string, depth: number): FieldProblem | null {
  if (depth > MAX_DEPTH) return { field, message: `nesting deeper than ${MAX_DEPTH} levels is not accepted` };
  if (typeof value === 'string') return value.includes('\u0000') ? { field, message: `${field} contains a NUL character` } : null;
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key.includes('\u0000')) return { field, message: 'a field name contains a NUL character' };
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
