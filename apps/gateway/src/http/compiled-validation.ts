import { ArgumentMetadata, ValidationPipe, ValidationPipeOptions } from '@nestjs/common';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import type { ValidationArguments } from 'class-validator/types/validation/ValidationArguments';
import type { MetadataStorage as TransformerStorage } from 'class-transformer/types/MetadataStorage';
import { TransformationType } from 'class-transformer';

// class-transformer keeps its decorators' metadata here; it has no typed entry point for it.
const transformerStorage = (require('class-transformer/cjs/storage') as { defaultMetadataStorage: TransformerStorage }).defaultMetadataStorage;

type Instance = Record<string, unknown>;
type Class = new () => object;
type Condition = (object: object, value: unknown) => boolean;
interface Rule {
  metadata: ValidationMetadata;
  validate: (value: unknown, args: ValidationArguments) => unknown;
}
/** A nested property: its @Type() (called per value, as class-transformer does) and the schema it is validated under. */
interface NestedPlan {
  typeFunction: (options: { newObject: unknown; object: Record<string, unknown>; property: string }) => Class;
  /** class-validator validates a nested value under the name of the class that holds it. */
  schema: string;
}
interface PropertyPlan {
  name: string;
  conditions: Condition[];
  rules: Rule[];
  nested: NestedPlan | null;
}
/** What class-validator would check on an instance of one class, resolved once. */
interface ClassPlan {
  type: Class;
  properties: PropertyPlan[];
  /** The fields that have rules: the only ones whitelisting lets through. */
  byName: Map<string, PropertyPlan>;
}

/** Nothing the fast path knows how to copy and check exactly; the full pipe decides. */
export const UNSURE = Symbol('unsure');

/**
 * The pipe options the fast path reproduces. With any other option (groups, skipMissingProperties, a transform
 * strategy…) it stays off and every value goes through Nest's ValidationPipe as it is.
 */
const SUPPORTED_OPTIONS = new Set(['whitelist', 'forbidNonWhitelisted', 'transform', 'transformOptions', 'stopAtFirstError', 'exceptionFactory']);

/** An object as JSON.parse makes it: its prototype is Object.prototype (of any realm) or null. */
function isPlainObject(value: unknown): value is Instance {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * Nest's ValidationPipe (class-transformer then class-validator) with a compiled fast path for what a valid request
 * body is: for each body class, the rules class-validator registered are resolved once into a plan, and a value
 * that is plain JSON and passes every rule is turned into the class's instance directly, exactly as
 * class-transformer would build it. Anything else (a rule that fails, an unknown field, an array where an object
 * is expected, a rule or decorator the plan does not cover) goes through the full pipe, which makes the same
 * instance or the same errors as before: the fast path only ever accepts what the full pipe accepts
 * (`compiled-validation.spec.ts` checks both on the same inputs). On a create it spares about 35 KB of garbage and
 * most of class-validator's time.
 *
 * Plans are made from class-validator's metadata storage and forgotten whenever a rule is registered (see
 * memoizeValidationMetadata, which calls `forgetPlans`).
 */
export class CompiledValidationPipe extends ValidationPipe {
  private readonly enabled: boolean;

  constructor(options: ValidationPipeOptions) {
    super(options);
    const transformOptions = options.transformOptions ?? {};
    this.enabled =
      options.transform === true &&
      options.whitelist === true &&
      Object.keys(options).every((key) => SUPPORTED_OPTIONS.has(key)) &&
      Object.entries(transformOptions).every(([key, value]) => key === 'enableImplicitConversion' && value === false);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (this.enabled && metadata.metatype && !this.expectedType && this.toValidate(metadata)) {
      const instance = fastInstance(metadata.metatype as Class, value);
      if (instance !== UNSURE) return instance;
    }
    return super.transform(value, metadata);
  }
}

let plans = new Map<Class, Map<string, ClassPlan | null>>();

/** Drops every plan; the next value of each class makes its plan again from the metadata as it is then. */
export function forgetPlans(): void {
  plans = new Map();
}

/** The plan for a class under a schema name (class-validator validates a nested value under its parent's name). */
export function planFor(type: Class, schema = ''): ClassPlan | null {
  let forType = plans.get(type);
  if (!forType) plans.set(type, (forType = new Map()));
  let plan = forType.get(schema);
  if (plan === undefined) forType.set(schema, (plan = makePlan(type, schema)));
  return plan;
}

function makePlan(type: Class, schema: string): ClassPlan | null {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(type, schema || (undefined as unknown as string), false, false, undefined);
  if (metadatas.length === 0) return null;
  if (transformerStorage.getExposedMetadatas(type).length > 0 || transformerStorage.getExcludedMetadatas(type).length > 0) return null;
  const properties: PropertyPlan[] = [];
  for (const [name, forProperty] of Object.entries(storage.groupByPropertyName(metadatas))) {
    // A field named like something every object or this class's prototype has: class-transformer would skip it.
    if (name in Object.prototype || Object.getOwnPropertyDescriptor(type.prototype, name) || typeof (type.prototype as Instance)[name] === 'function') return null;
    if (transformerStorage.findTransformMetadatas(type, name, TransformationType.PLAIN_TO_CLASS).length > 0) return null;
    const plan: PropertyPlan = { name, conditions: [], rules: [], nested: null };
    let nested: ValidationMetadata | null = null;
    for (const metadata of forProperty) {
      switch (metadata.type) {
        case ValidationTypes.CONDITIONAL_VALIDATION:
          plan.conditions.push(metadata.constraints[0] as Condition);
          break;
        case ValidationTypes.CUSTOM_VALIDATION:
        case ValidationTypes.IS_DEFINED:
          for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
            if (constraint.async) return null;
            const validator = constraint.instance as { validate: Rule['validate'] };
            plan.rules.push({ metadata, validate: validator.validate.bind(validator) });
          }
          break;
        case ValidationTypes.NESTED_VALIDATION:
          nested = metadata;
          break;
        case ValidationTypes.WHITELIST:
          break;
        default:
          return null;
      }
    }
    const typed = transformerStorage.findTypeMetadata(type, name);
    // A @Type() is only followed for a nested class here; @Type(() => Number) and the like convert values.
    if (typed && (!nested || typed.options?.discriminator || !typed.typeFunction)) return null;
    if (nested && !typed) return null;
    if (nested) {
      const schema = typeof nested.target === 'string' ? nested.target : nested.target.name;
      plan.nested = { typeFunction: typed.typeFunction as NestedPlan['typeFunction'], schema };
    }
    properties.push(plan);
  }
  return { type, properties, byName: new Map(properties.map((property) => [property.name, property])) };
}

/** class-transformer's copy of a JSON value with no declared type: new objects and arrays, the same primitives. */
function copyPlain(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    for (const item of value) {
      const itemCopy = copyPlain(item);
      if (itemCopy === UNSURE) return UNSURE;
      copy.push(itemCopy);
    }
    return copy;
  }
  if (!isPlainObject(value)) return UNSURE;
  const copy: Instance = {};
  for (const key of Object.keys(value)) {
    // class-transformer skips such keys (a method or accessor of the new object, __proto__, constructor).
    if (key in Object.prototype) return UNSURE;
    const itemCopy = copyPlain(value[key]);
    if (itemCopy === UNSURE) return UNSURE;
    copy[key] = itemCopy;
  }
  return copy;
}

/** The class's instance made from a plain JSON object whose fields are all the class's, or UNSURE. */
function build(plan: ClassPlan, value: unknown): Instance | typeof UNSURE {
  if (!isPlainObject(value)) return UNSURE;
  const instance = new plan.type() as Instance;
  for (const key of Object.keys(value)) {
    const property = plan.byName.get(key);
    if (!property) return UNSURE;
    const field = value[key];
    let copy: unknown;
    if (property.nested && field !== null && typeof field === 'object') {
      const nestedType = property.nested.typeFunction({ newObject: instance, object: value, property: key });
      const nestedPlan = typeof nestedType === 'function' ? planFor(nestedType, property.nested.schema) : null;
      copy = nestedPlan ? build(nestedPlan, field) : UNSURE;
    } else {
      copy = copyPlain(field);
    }
    if (copy === UNSURE) return UNSURE;
    instance[key] = copy;
  }
  return instance;
}

/** A rule's answer that passes: truthy and not a promise (an async rule's answer is the full pipe's to await). */
function holds(valid: unknown): boolean {
  return !!valid && !(typeof valid === 'object' && typeof (valid as { then?: unknown }).then === 'function');
}

/** Whether class-validator, with the pipe's options, finds nothing wrong with the instance build() made. */
function passes(plan: ClassPlan, instance: Instance): boolean {
  // whitelist: every own field of the instance (its class's declared fields included) must have a rule.
  for (const key of Object.keys(instance)) if (!plan.byName.has(key)) return false;
  for (const property of plan.properties) {
    const value = instance[property.name];
    if (!property.conditions.every((condition) => condition(instance, value))) continue;
    for (const { metadata, validate } of property.rules) {
      if (metadata.validateIf && !metadata.validateIf(instance, value)) continue;
      const args: ValidationArguments = { targetName: plan.type.name, property: property.name, object: instance, value, constraints: metadata.constraints };
      if (metadata.each && Array.isArray(value)) {
        for (const item of value) if (!holds(validate(item, args))) return false;
      } else if (!holds(validate(value, args))) return false;
    }
    if (property.nested && value !== undefined) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
      const nestedPlan = planFor(value.constructor as Class, property.nested.schema);
      if (!nestedPlan || !passes(nestedPlan, value as Instance)) return false;
    }
  }
  return true;
}

/** The validated instance of `type` for `value`, or UNSURE when the full pipe must decide. */
export function fastInstance(type: Class, value: unknown): object | typeof UNSURE {
  const plan = planFor(type);
  if (!plan) return UNSURE;
  const instance = build(plan, value);
  if (instance === UNSURE || !passes(plan, instance)) return UNSURE;
  return instance;
}
