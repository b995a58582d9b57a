import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, Length } from 'class-validator';
import { ApiError } from '@app/common';
import { ApiKeyService, CurrentPrincipal, Principal, RequireScopes, Scope, SCOPES } from '@app/auth';
import { ShownOnce } from '../http/idempotency';
import { ApiBodyErrors, ApiErrors, ApiIdempotent, ApiKeyAuth } from '../http/openapi/api-errors.decorator';
import { ApiKeyListSchema, CreatedApiKeySchema } from '../http/openapi/admin.schema';

export class CreateApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'checkout-service' })
  @IsString() @Length(1, 100) name: string;
  @ApiProperty({ enum: [...SCOPES], isArray: true, minItems: 1, maxItems: SCOPES.length, example: ['payments:read', 'payments:write'] })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(SCOPES.length) @IsIn(SCOPES, { each: true }) scopes: Scope[];
}

@ApiTags('api keys')
@ApiKeyAuth()
@Controller('v1/api-keys')
@RequireScopes('admin')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @ApiOperation({ summary: 'Create a service key; the key is shown once (admin)' })
  @ApiCreatedResponse({
    type: CreatedApiKeySchema,
    headers: {
      'Idempotent-Secret-Omitted': {
        description: 'On an Idempotency-Key replay only: `key` is null, as the stored answer never holds it',
        schema: { type: 'string', example: 'key' },
      },
    },
  })
  @ApiIdempotent()
  @ShownOnce('key')
  @ApiBodyErrors()
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateApiKeyDto) {
    return this.keys.create(body.name, body.scopes, principal.keyId);
  }

  @Get()
  @ApiOperation({ summary: 'List active keys (admin)' })
  @ApiOkResponse({ type: ApiKeyListSchema })
  async list() {
    return { data: await this.keys.list() };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a key: it answers 401 at once on every instance (admin)' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors(404)
  async revoke(@Param('id') id: string): Promise<void> {
    if (!/^key_[0-9a-z]{26}$/.test(id) || !(await this.keys.revoke(id))) throw ApiError.notFound('API key');
  }
}
