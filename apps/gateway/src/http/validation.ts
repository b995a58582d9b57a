import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe, ValidationPipeOptions } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { ApiError, FieldProblem } from '@app/common';
import { CompiledValidationPipe, forgetPlans } from './compiled-validation';

const MAX_DEPTH = 8;

/** Rules about what kind of value a field holds; when one fails, the range and length rules have nothing to say. */
const TYPE_RULES = new Set(['isString', 'isInt', 'isNumber', 'isBoolean', 'isObject', 'isArray', 'isDefined', 'isMinorAmount', 'isStringMap']);

/** One message per field, the most basic first: "is required", else what type it must be, else its range. */
export function fieldMessages(field: string, error: Pick<ValidationError, 'value' | 'constraints'>): string[] {
  const constraints = Object.entries(error.constraints ?? {});
  if (constraints.length === 0) return [];
  if (constraints.some(([rule]) => rule === 'whitelistValidation')) return [`${field} is not a known field`];
  if (error.value === undefined || error.value === null) return [`${field} is required`];
  const typeFailures = constraints.filter(([rule]) => TYPE_RULES.has(rule));
  return [(typeFailures[0] ?? constraints[0])[1]];
}

export function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = fieldMessages(field, error).map((message) => ({ field, message }));
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
 * Refuses what class-validator does not see: a body that is not a JSON object, nesting past MAX_DEPTH, text
 * Postgres cannot store (NUL, lone surrogates), which would otherwise surface as a 500, and field names that
 * class-transformer would drop without a word.
 */
function checkShape(value: unknown, field: string, depth: number): FieldProblem | null {
  if (depth > MAX_DEPTH) return { field, message: `nesting deeper than ${MAX_DEPTH} levels is not accepted` };
  if (typeof value === 'string') return textProblem(value, field, field);
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const keyProblem = textProblem(key, field, 'a field name');
      if (keyProblem) return keyProblem;
      const name = field ? `${field}.${key}` : key;
      // class-transformer silently drops a field named like a member of every object (toString, constructor…):
      // refused, rather than answered 201 without it.
      if (key in Object.prototype) return { field: name, message: `"${key}" cannot be used as a field name` };
      const problem = checkShape(child, name, depth + 1);
      if (problem) return problem;
    }
  }
  return null;
}

const OPTIONAL_BODY = Symbol('optionalBody');

/**
 * A body class whose fields are all optional: the route then takes no body at all as `{}`, so an action route
 * (`POST …/redeliver`) is called like every other action route, without a body.
 */
export function OptionalBody(): ClassDecorator {
  return (target) => {
    Reflect.defineProperty(target, OPTIONAL_BODY, { value: true });
  };
}

@Injectable()
export class BodyShapePipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'body' && value === undefined && metadata.metatype && OPTIONAL_BODY in metadata.metatype) return {};
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

const MEMOIZED = Symbol('memoizedValidationMetadata');

/**
 * class-validator finds the rules of an object's class by filtering every rule registered for every class, for
 * each object it validates (nested ones too), then groups them by property: about a third of a create's
 * validation time and 14 KB of garbage per request. Both depend only on the class and the options, so they are
 * kept here per class and options, and all forgotten whenever any rule or constraint is registered.
 * ValidationExecutor only reads what they return. Idempotent.
 */
export function memoizeValidationMetadata(): void {
  type Storage = ReturnType<typeof getMetadataStorage> & { [MEMOIZED]?: true };
  const storage = getMetadataStorage() as Storage;
  if (storage[MEMOIZED]) return;
  storage[MEMOIZED] = true;
  let byTarget = new Map<unknown, Map<string, ValidationMetadata[]>>();
  let grouped = new WeakMap<ValidationMetadata[], Record<string, ValidationMetadata[]>>();
  const forget = () => {
    byTarget = new Map();
    grouped = new WeakMap();
    forgetPlans();
  };
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const options = `${schema}\n${always}\n${strictGroups}\n${groups ? groups.join('\u0000') : '-'}`;
    let forTarget = byTarget.get(target);
    if (!forTarget) byTarget.set(target, (forTarget = new Map()));
    let found = forTarget.get(options);
    if (!found) forTarget.set(options, (found = lookup(target, schema, always, strictGroups, groups)));
    return found;
  };
  storage.groupByPropertyName = (metadata) => {
    let found = grouped.get(metadata);
    if (!found) grouped.set(metadata, (found = group(metadata)));
    return found;
  };
  for (const name of ['addValidationMetadata', 'addConstraintMetadata'] as const) {
    const add = storage[name].bind(storage) as (metadata: never) => void;
    storage[name] = ((metadata: never) => {
      forget();
      add(metadata);
    }) as never;
  }
}

/** class-validator with whitelisting: unknown fields are refused, and failures use the contract's envelope. */
export const VALIDATION_OPTIONS: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  transformOptions: { enableImplicitConversion: false },
  stopAtFirstError: false,
  exceptionFactory: (errors) => {
    const details = flatten(errors);
    return ApiError.invalid(details[0]?.message ?? 'The request is not valid', details);
  },
};

/** Nest's ValidationPipe with VALIDATION_OPTIONS, and the compiled fast path for valid bodies in front of it. */
export function createValidationPipe(): ValidationPipe {
  memoizeValidationMetadata();
  return new CompiledValidationPipe(VALIDATION_OPTIONS);
}
