import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, Length } from 'class-validator';
import { ApiError } from '@app/common';
import { ApiKeyService, CurrentPrincipal, Principal, RequireScopes, Scope, SCOPES } from '@app/auth';

export class CreateApiKeyDto {
  @IsString() @Length(1, 100) name: string;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(SCOPES.length) @IsIn(SCOPES, { each: true }) scopes: Scope[];
}

@Controller('v1/api-keys')
@RequireScopes('admin')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateApiKeyDto) {
    return this.keys.create(body.name, body.scopes, principal.keyId);
  }

  @Get()
  async list() {
    return { data: await this.keys.list() };
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(@Param('id') id: string): Promise<void> {
    if (!/^key_[0-9a-z]{26}$/.test(id) || !(await this.keys.revoke(id))) throw ApiError.notFound('API key');
  }
}
