import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { CurrentPrincipal, Principal, RequireScopes } from '@app/auth';
import { PageQuery } from '../payments/dto/list-payments.query';
import { CreateWebhookEndpointDto, ListEventsQuery, RedeliverDto, UpdateWebhookEndpointDto } from './dto';
import { WebhookEndpointsService } from './webhook-endpoints.service';

@Controller('v1/webhook-endpoints')
@RequireScopes('webhooks:manage')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateWebhookEndpointDto) {
    return this.endpoints.create(principal, body);
  }

  @Get()
  list(@CurrentPrincipal() principal: Principal) {
    return this.endpoints.list(principal);
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.endpoints.get(principal, id);
  }

  @Patch(':id')
  update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UpdateWebhookEndpointDto) {
    return this.endpoints.update(principal, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.endpoints.remove(principal, id);
  }

  @Get(':id/deliveries')
  deliveries(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query() query: PageQuery) {
    return this.endpoints.deliveries(principal, id, query.limit);
  }
}

@Controller('v1/events')
@RequireScopes('webhooks:manage')
export class EventsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Get()
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListEventsQuery) {
    return this.endpoints.listEvents(principal, query.type, query.limit, query.cursor);
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.endpoints.getEvent(principal, id);
  }

  @Post(':id/redeliver')
  @HttpCode(202)
  redeliver(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: RedeliverDto) {
    return this.endpoints.redeliver(principal, id, body.endpointId);
  }
}
