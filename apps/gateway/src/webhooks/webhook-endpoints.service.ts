import { Inject, Injectable } from '@nestjs/common';
import { ApiError, APP_CONFIG, AppConfig, checkWebhookUrl, isId, newId } from '@app/common';
import { ownerFilter, Principal } from '@app/auth';
import { EventEntity, WebhookEndpointEntity, WebhookRepository } from '@app/persistence';
import { DeliveryRelay, newWebhookSecret } from '@app/outbox';
import { CreateWebhookEndpointDto, UpdateWebhookEndpointDto } from './dto';

function presentEndpoint(row: WebhookEndpointEntity) {
  return {
    id: row.id,
    object: 'webhook_endpoint',
    url: row.url,
    events: row.events,
    description: row.description,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function presentEvent(row: EventEntity) {
  return { id: row.id, object: 'event', type: row.type, timestamp: row.createdAt.toISOString(), data: row.data };
}

/** `["*"]` or a list of event types without repeats. */
function normalizeEvents(events: string[]): string[] {
  const unique = [...new Set(events)];
  if (unique.includes('*') && unique.length > 1) {
    throw ApiError.invalid('events is either ["*"] or a list of event types', [{ field: 'events', message: 'do not mix "*" with event types' }]);
  }
  return unique;
}

@Injectable()
export class WebhookEndpointsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly webhooks: WebhookRepository,
    private readonly relay: DeliveryRelay,
  ) {}

  async create(principal: Principal, dto: CreateWebhookEndpointDto) {
    const now = new Date();
    const row: WebhookEndpointEntity = {
      id: newId('we'),
      ownerId: principal.keyId,
      url: await checkWebhookUrl(dto.url, this.config.webhooks.allowPrivateUrls),
      events: normalizeEvents(dto.events),
      description: dto.description ?? null,
      secret: newWebhookSecret(),
      enabled: true,
      disabledReason: null,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
    await this.webhooks.insertEndpoint(row);
    // The secret is shown here once; it is never listed again.
    return { ...presentEndpoint(row), secret: row.secret };
  }

  async list(principal: Principal) {
    return { data: (await this.webhooks.listEndpoints(ownerFilter(principal))).map(presentEndpoint) };
  }

  async get(principal: Principal, id: string) {
    return presentEndpoint(await this.findEndpoint(principal, id));
  }

  async update(principal: Principal, id: string, dto: UpdateWebhookEndpointDto) {
    const row = await this.findEndpoint(principal, id);
    if (dto.url !== undefined) row.url = await checkWebhookUrl(dto.url, this.config.webhooks.allowPrivateUrls);
    if (dto.events !== undefined) row.events = normalizeEvents(dto.events);
    if (dto.description !== undefined) row.description = dto.description;
    if (dto.enabled !== undefined) {
      row.enabled = dto.enabled;
      row.disabledReason = dto.enabled ? null : 'disabled through the API';
    }
    row.updatedAt = new Date();
    await this.webhooks.saveEndpoint(row);
    return presentEndpoint(row);
  }

  async remove(principal: Principal, id: string): Promise<void> {
    const row = await this.findEndpoint(principal, id);
    row.deletedAt = new Date();
    row.enabled = false;
    row.updatedAt = row.deletedAt;
    await this.webhooks.saveEndpoint(row);
  }

  async deliveries(principal: Principal, id: string, limit: number) {
    const row = await this.findEndpoint(principal, id);
    const { pending, attempts } = await this.webhooks.deliveriesOf(row.id, limit);
    return {
      data: [
        ...pending.map((d) => ({
          eventId: d.eventId,
          attempt: d.attempts + 1,
          status: 'pending' as const,
          responseStatus: d.lastResponseStatus,
          durationMs: null,
          at: d.nextAttemptAt.toISOString(),
        })),
        ...attempts.map((a) => ({
          eventId: a.eventId,
          attempt: a.attempt,
          status: a.status,
          responseStatus: a.responseStatus,
          durationMs: a.durationMs,
          error: a.error,
          at: a.at.toISOString(),
        })),
      ].slice(0, limit),
    };
  }

  async listEvents(principal: Principal, type: string | undefined, limit: number, cursor?: string) {
    const page = await this.webhooks.listEvents(ownerFilter(principal), type, limit, cursor);
    return { data: page.data.map(presentEvent), nextCursor: page.nextCursor };
  }

  async getEvent(principal: Principal, id: string) {
    return presentEvent(await this.findEvent(principal, id));
  }

  /**
   * Delivers an event again: to one endpoint, or to every endpoint now subscribed to it. Each delivery starts over
   * (attempt 1, full retry schedule) under a new generation, so a job of the old one still in Redis is ignored.
   */
  async redeliver(principal: Principal, id: string, endpointId?: string) {
    const event = await this.findEvent(principal, id);
    const endpointIds = endpointId
      ? [(await this.findEndpoint(principal, endpointId)).id]
      : await this.webhooks.subscribedEndpointIds(event.ownerId, event.type);
    const refs = await this.webhooks.resetDeliveries(event.id, endpointIds);
    await this.relay.enqueue(refs);
    return { eventId: event.id, deliveries: refs.map((ref) => ({ endpointId: ref.endpointId, status: 'pending' })) };
  }

  private async findEndpoint(principal: Principal, id: string): Promise<WebhookEndpointEntity> {
    const row = isId('we', id) ? await this.webhooks.findEndpoint(id, ownerFilter(principal)) : null;
    if (!row) throw ApiError.notFound('Webhook endpoint');
    return row;
  }

  private async findEvent(principal: Principal, id: string): Promise<EventEntity> {
    const row = isId('evt', id) ? await this.webhooks.findEvent(id, ownerFilter(principal)) : null;
    if (!row) throw ApiError.notFound('Event');
    return row;
  }
}
