import { Controller, HttpCode, Param, Post, RawBodyRequest, Req } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '@app/auth';
import { ApiErrors } from '../http/openapi/api-errors.decorator';
import { InboundResultSchema } from '../http/openapi/webhooks.schema';
import { InboundWebhooksService } from './inbound-webhooks.service';

/**
 * Providers call this, each at `/webhooks/<its name>`. Signed notifications are verified by the provider's handler;
 * unsigned ones are only pointers, confirmed by re-reading the payment from the provider.
 */
@ApiTags('inbound webhooks')
@Controller('webhooks')
@Public()
export class InboundWebhooksController {
  constructor(private readonly inbound: InboundWebhooksService) {}

  @Post(':provider')
  @HttpCode(200)
  @ApiOperation({ summary: "A provider's payment notification (each provider's handler: see GET /v1/providers for the names)" })
  @ApiParam({ name: 'provider', description: 'The registered provider name' })
  @ApiBody({ schema: { type: 'object', additionalProperties: true }, description: "The provider's notification payload" })
  @ApiOkResponse({ type: InboundResultSchema })
  @ApiErrors(400, 401, 404, 413, 422, 429, 503)
  receive(@Param('provider') provider: string, @Req() request: RawBodyRequest<FastifyRequest>) {
    return this.inbound.receive(provider, { rawBody: request.rawBody, headers: request.headers, sourceAddress: request.ip });
  }
}
