import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError } from '@app/common';
import { ApiKeyService } from './api-key.service';
import { PUBLIC_KEY, SCOPES_KEY } from './auth.decorators';
import { Principal, Scope } from './scopes';

/** What a route asks of its caller, from its decorators (the handler's, else its controller's). */
interface RouteAccess {
  isPublic: boolean;
  scopes: Scope[];
}

/** Every route needs `Authorization: Bearer <key>` unless marked @Public(); the app runs this guard on every route. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  /** Per handler: decorators are applied once, when the controller's class is defined. */
  private readonly access = new WeakMap<object, RouteAccess>();

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
  ) {}

  private routeAccess(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    let access = this.access.get(handler);
    if (!access) {
      const targets = [handler, context.getClass()];
      access = {
        isPublic: !!this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets),
        scopes: this.reflector.getAllAndOverride<Scope[]>(SCOPES_KEY, targets) ?? [],
      };
      this.access.set(handler, access);
    }
    return access;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.routeAccess(context);
    if (access.isPublic) return true;

    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; principal?: Principal }>();
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(request.headers.authorization ?? '');
    if (!match) {
      throw new ApiError(401, 'authentication', 'missing_api_key', 'Send your API key as "Authorization: Bearer <key>"');
    }
    const principal = await this.keys.authenticate(match[1]);
    if (!principal) throw new ApiError(401, 'authentication', 'invalid_api_key', 'The API key is not valid or was revoked');
    request.principal = principal;

    const missing = principal.isAdmin ? [] : access.scopes.filter((scope) => !principal.scopes.has(scope));
    if (missing.length > 0) {
      throw new ApiError(403, 'permission', 'missing_scope', `This API key lacks the scope ${missing.join(', ')}`);
    }
    return true;
  }
}
