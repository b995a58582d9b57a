/** Compile-time exhaustiveness check for a `switch` over a union of known wire values. */
export function assertNever(value: never, what: string): never {
  throw new Error(`unhandled ${what}: ${String(value)}`);
}
