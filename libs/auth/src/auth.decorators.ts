import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Principal, Scope } from './scopes';

export const SCOPES_KEY = 'auth:scopes';
export const PUBLIC_KEY = 'auth:public';

/** The scopes a route needs (any key holding all of them, or the admin scope, passes). */
export const RequireScopes = (...scopes: Scope[]) => SetMetadata(SCOPES_KEY, scopes);

/** A route that needs no API key (health, inbound provider webhooks: they authenticate otherwise). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  return context.switchToHttp().getRequest<{ principal: Principal }>().principal;
});
