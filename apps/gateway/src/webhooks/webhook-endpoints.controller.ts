import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, RequireScopes } from '@app/auth';
import { ShownOnce } from '../http/idempotency';
import { ApiBodyErrors, ApiErrors, ApiIdempotent, ApiKeyAuth } from '../http/openapi/api-errors.decorator';
import {
  CreatedWebhookEndpointSchema,
  DeadLetterPageSchema,
  DeliveryAttemptListSchema,
  EventAttemptListSchema,
  EventPageSchema,
  EventSchema,
  RecoverResultSchema,
  RedeliverResultSchema,
  RotatedWebhookEndpointSchema,
  WebhookEndpointListSchema,
  WebhookEndpointSchema,
} from '../http/openapi/webhooks.schema';
import { LimitQuery } from '../payments/dto/list-payments.query';
import {
  CreateWebhookEndpointDto,
  DeadLettersQuery,
  EventAttemptsQuery,
  ListEventsQuery,
  RecoverDto,
  RedeliverDto,
  UpdateWebhookEndpointDto,
} from './dto';
import { WebhookEndpointsService } from './webhook-endpoints.service';

@ApiTags('webhooks')
@ApiKeyAuth()
@Controller('v1/webhook-endpoints')
@RequireScopes('webhooks:manage')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @ApiOperation({ summary: 'Subscribe a URL to events; the answer shows its signing secret once (scope webhooks:manage)' })
  @ApiCreatedResponse({
    type: CreatedWebhookEndpointSchema,
    headers: {
      'Idempotent-Secret-Omitted': {
        description: 'On an Idempotency-Key replay only: `secret` is null, as the stored answer never holds it',
        schema: { type: 'string', example: 'secret' },
      },
    },
  })
  @ApiIdempotent()
  @ShownOnce('secret')
  @ApiBodyErrors()
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateWebhookEndpointDto) {
    return this.endpoints.create(principal, body);
  }

  @Get()
  @ApiOperation({ summary: 'List webhook endpoints (scope webhooks:manage)' })
  @ApiOkResponse({ type: WebhookEndpointListSchema })
  list(@CurrentPrincipal() principal: Principal) {
    return this.endpoints.list(principal);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a webhook endpoint (scope webhooks:manage)' })
  @ApiOkResponse({ type: WebhookEndpointSchema })
  @ApiErrors(404)
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.endpoints.get(principal, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change url, events, description or enabled (scope webhooks:manage)' })
  @ApiOkResponse({ type: WebhookEndpointSchema })
  @ApiErrors(404)
  @ApiBodyErrors()
  update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UpdateWebhookEndpointDto) {
    return this.endpoints.update(principal, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook endpoint (scope webhooks:manage)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(404)
  remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.endpoints.remove(principal, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Delivery attempts to this endpoint, pending ones first (scope webhooks:manage)' })
  @ApiOkResponse({ type: DeliveryAttemptListSchema })
  @ApiErrors(404, 422)
  deliveries(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query() query: LimitQuery) {
    return this.endpoints.deliveries(principal, id, query.limit);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Replace the signing secret; the old one keeps signing too for WEBHOOK_SECRET_ROTATION_GRACE (scope webhooks:manage)',
  })
  @ApiOkResponse({ type: RotatedWebhookEndpointSchema })
  @ApiErrors(404)
  rotateSecret(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.endpoints.rotateSecret(principal, id);
  }

  @Post(':id/recover')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send again every failed delivery to this endpoint of events since a time (scope webhooks:manage)' })
  @ApiAcceptedResponse({ type: RecoverResultSchema })
  @ApiErrors(404)
  @ApiBodyErrors()
  recover(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: RecoverDto) {
    return this.endpoints.recover(principal, id, new Date(body.since));
  }

  @Get(':id/dead-letters')
  @ApiOperation({ summary: 'Deliveries to this endpoint that failed after their last attempt, newest first (scope webhooks:manage)' })
  @ApiOkResponse({ type: DeadLetterPageSchema })
  @ApiErrors(404, 422)
  deadLetters(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query() query: DeadLettersQuery) {
    return this.endpoints.deadLetters(principal, id, query.limit, query.before ? new Date(query.before) : undefined);
  }
}

@ApiTags('webhooks')
@ApiKeyAuth()
@Controller('v1/events')
@RequireScopes('webhooks:manage')
export class EventsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Get()
  @ApiOperation({ summary: 'List events, newest first (scope webhooks:manage)' })
  @ApiOkResponse({ type: EventPageSchema })
  @ApiErrors(422)
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListEventsQuery) {
    return this.endpoints.listEvents(principal, query.type, query.limit, query.cursor);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read an event (scope webhooks:manage)' })
  @ApiOkResponse({ type: EventSchema })
  @ApiErrors(404)
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.endpoints.getEvent(principal, id);
  }

  @Post(':id/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Deliver an event again, to one endpoint or to every subscribed one (scope webhooks:manage)' })
  @ApiAcceptedResponse({ type: RedeliverResultSchema })
  @ApiBody({ type: RedeliverDto, required: false, description: 'Optional: without a body the event goes to every endpoint now subscribed to it' })
  @ApiIdempotent()
  @ApiErrors(404)
  @ApiBodyErrors()
  redeliver(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: RedeliverDto) {
    return this.endpoints.redeliver(principal, id, body.endpointId);
  }

  @Get(':id/attempts')
  @ApiOperation({ summary: "Every attempt at delivering this event, oldest first, with status, duration and the answer's first 1 KB (scope webhooks:manage)" })
  @ApiOkResponse({ type: EventAttemptListSchema })
  @ApiErrors(404, 422)
  attempts(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query() query: EventAttemptsQuery) {
    return this.endpoints.eventAttempts(principal, id, query.endpointId, query.limit);
  }
}
