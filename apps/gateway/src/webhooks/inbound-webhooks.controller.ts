import { Controller, Headers, HttpCode, Post, RawBodyRequest, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Public } from '@app/auth';
import { InboundWebhooksService } from './inbound-webhooks.service';

/** Providers call these; they authenticate by signature (FlexiQash) or are confirmed with the provider (Flashpay). */
@Controller('webhooks')
@Public()
export class InboundWebhooksController {
  constructor(private readonly inbound: InboundWebhooksService) {}

  @Post('flexiqash')
  @HttpCode(200)
  flexiqash(@Req() request: RawBodyRequest<FastifyRequest>, @Headers('x-flexiqash-signature') signature?: string) {
    return this.inbound.flexiqash(request.rawBody, signature);
  }

  @Post('flashpay')
  @HttpCode(200)
  flashpay(@Req() request: RawBodyRequest<FastifyRequest>) {
    return this.inbound.flashpay(request.rawBody);
  }
}
