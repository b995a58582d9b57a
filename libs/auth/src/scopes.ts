// Scopes and the key shapes are part of the wire contract (POST /v1/api-keys), so they live with the client's types.
import { ApiKey, CreatedApiKey, SCOPES, Scope } from '@app/contract';

export { SCOPES };
export type { ApiKey, CreatedApiKey, Scope };

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** Who is calling. `ownerFilter` is what tenancy filters on: null means "sees everything" (admin). */
export interface Principal {
  keyId: string;
  name: string;
  scopes: ReadonlySet<Scope>;
  isAdmin: boolean;
}

export const ADMIN_KEY_ID = 'admin';

export function ownerFilter(principal: Principal): string | null {
  return principal.isAdmin ? null : principal.keyId;
}
