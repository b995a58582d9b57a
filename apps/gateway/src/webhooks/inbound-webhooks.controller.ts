import { Controller, Headers, HttpCode, Post, RawBodyRequest, Req } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '@app/auth';
import { ApiErrors } from '../http/openapi/api-errors.decorator';
import { InboundResultSchema } from '../http/openapi/webhooks.schema';
import { InboundWebhooksService } from './inbound-webhooks.service';

const PROVIDER_PAYLOAD = { schema: { type: 'object', additionalProperties: true } } as const;

/** Providers call these; they authenticate by signature (FlexiQash) or are confirmed with the provider (Flashpay). */
@ApiTags('inbound webhooks')
@Controller('webhooks')
@Public()
export class InboundWebhooksController {
  constructor(private readonly inbound: InboundWebhooksService) {}

  @Post('flexiqash')
  @HttpCode(200)
  @ApiOperation({ summary: 'FlexiQash payment notification (signed; the payment is then re-read from FlexiQash)' })
  @ApiHeader({ name: 'x-flexiqash-signature', required: true, description: 'sha256=<hex HMAC-SHA256 of the raw body with FLEXIQASH_WEBHOOK_SECRET>' })
  @ApiBody({ ...PROVIDER_PAYLOAD, description: 'The FlexiQash notification payload (paymentReference, …)' })
  @ApiOkResponse({ type: InboundResultSchema })
  @ApiErrors(400, 401, 413, 422, 503)
  flexiqash(@Req() request: RawBodyRequest<FastifyRequest>, @Headers('x-flexiqash-signature') signature?: string) {
    return this.inbound.flexiqash(request.rawBody, signature);
  }

  @Post('flashpay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Flashpay payment status callback (trusted only after re-reading the payment from Flashpay)' })
  @ApiBody({ ...PROVIDER_PAYLOAD, description: 'The Flashpay payment object (id, status, …)' })
  @ApiOkResponse({ type: InboundResultSchema })
  @ApiErrors(400, 413, 422, 503)
  flashpay(@Req() request: RawBodyRequest<FastifyRequest>) {
    return this.inbound.flashpay(request.rawBody);
  }
}
