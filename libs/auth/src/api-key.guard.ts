import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError } from '@app/common';
import { ApiKeyService } from './api-key.service';
import { PUBLIC_KEY, SCOPES_KEY } from './auth.decorators';
import { Principal, Scope } from './scopes';

/** Every route needs `Authorization: Bearer <key>` unless marked @Public(); the app runs this guard on every route. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;

    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; principal?: Principal }>();
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(request.headers.authorization ?? '');
    if (!match) {
      throw new ApiError(401, 'authentication', 'missing_api_key', 'Send your API key as "Authorization: Bearer <key>"');
    }
    const principal = await this.keys.authenticate(match[1]);
    if (!principal) throw new ApiError(401, 'authentication', 'invalid_api_key', 'The API key is not valid or was revoked');
    request.principal = principal;

    const needed = this.reflector.getAllAndOverride<Scope[]>(SCOPES_KEY, targets) ?? [];
    const missing = principal.isAdmin ? [] : needed.filter((scope) => !principal.scopes.has(scope));
    if (missing.length > 0) {
      throw new ApiError(403, 'permission', 'missing_scope', `This API key lacks the scope ${missing.join(', ')}`);
    }
    return true;
  }
}
