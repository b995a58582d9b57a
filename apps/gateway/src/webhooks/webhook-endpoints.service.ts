import { Inject, Injectable } from '@nestjs/common';
import { ApiError, APP_CONFIG, AppConfig, checkWebhookUrl, isId, newId } from '@app/common';
import { ownerFilter, Principal } from '@app/auth';
import { EventEntity, WebhookAttemptEntity, WebhookEndpointEntity, WebhookRepository } from '@app/persistence';
import { DeliveryRelay, newWebhookSecret } from '@app/outbox';
import { CreateWebhookEndpointDto, UpdateWebhookEndpointDto } from './dto';

function presentEndpoint(row: Omit<WebhookEndpointEntity, 'secret' | 'secretKeyId'>) {
  return {
    id: row.id,
    object: 'webhook_endpoint',
    url: row.url,
    events: row.events,
    description: row.description,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    failingSince: row.failingSince?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function presentEvent(row: EventEntity) {
  return {
    id: row.id,
    object: 'event',
    type: row.type,
    timestamp: row.createdAt.toISOString(),
    ...(row.sequence !== null ? { sequence: row.sequence } : {}),
    data: row.data,
  };
}

function presentAttempt(a: WebhookAttemptEntity) {
  return {
    eventId: a.eventId,
    endpointId: a.endpointId,
    attempt: a.attempt,
    status: a.status,
    responseStatus: a.responseStatus,
    durationMs: a.durationMs,
    error: a.error,
    errorKind: a.errorKind,
    responseBody: a.responseBody,
    at: a.at.toISOString(),
  };
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
    const secret = newWebhookSecret();
    const row = {
      id: newId('we'),
      ownerId: principal.keyId,
      url: await checkWebhookUrl(dto.url, this.config.webhooks.allowPrivateUrls),
      events: normalizeEvents(dto.events),
      description: dto.description ?? null,
      previousSecret: null,
      previousSecretKeyId: null,
      previousSecretExpiresAt: null,
      enabled: true,
      disabledReason: null,
      disabledAt: null,
      failingSince: null,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
    // Stored sealed; the clear secret is shown here once and never listed again.
    await this.webhooks.insertEndpoint(row, secret);
    return { ...presentEndpoint(row), secret };
  }

  /**
   * A new signing secret, shown once. Until `previousSecretExpiresAt` each delivery carries a signature by the old
   * secret too, so receivers can switch at their own pace.
   */
  async rotateSecret(principal: Principal, id: string) {
    const row = await this.findEndpoint(principal, id);
    const secret = newWebhookSecret();
    const rotated = await this.webhooks.rotateSecret(row.id, secret, this.config.webhooks.secretRotationGraceMs);
    if (!rotated) throw ApiError.notFound('Webhook endpoint');
    return { ...presentEndpoint(rotated), secret, previousSecretExpiresAt: rotated.previousSecretExpiresAt?.toISOString() ?? null };
  }

  /** Every delivery to this endpoint that failed for good, of events since `since`, starts over. */
  async recover(principal: Principal, id: string, since: Date) {
    const row = await this.findEndpoint(principal, id);
    if (since.getTime() > Date.now()) {
      throw ApiError.invalid('since must not be in the future', [{ field: 'since', message: 'must not be in the future' }]);
    }
    const refs = await this.webhooks.recoverFailed(row.id, since);
    for (let i = 0; i < refs.length; i += 500) await this.relay.enqueue(refs.slice(i, i + 500));
    return { endpointId: row.id, since: since.toISOString(), recovered: refs.length };
  }

  /** Dead letters: deliveries to this endpoint that failed after their last attempt, newest first. */
  async deadLetters(principal: Principal, id: string, limit: number, before?: Date) {
    const row = await this.findEndpoint(principal, id);
    const rows = await this.webhooks.deadLetters(row.id, limit + 1, before);
    const data = rows.slice(0, limit).map((d) => ({
      eventId: d.eventId,
      eventType: d.eventType,
      attempts: d.attempts,
      lastResponseStatus: d.lastResponseStatus,
      lastError: d.lastError,
      createdAt: d.createdAt.toISOString(),
      failedAt: d.failedAt.toISOString(),
    }));
    return { data, nextBefore: rows.length > limit ? data[data.length - 1].createdAt : null };
  }

  /** Every attempt at delivering this event (to the endpoints the caller can see), oldest first. */
  async eventAttempts(principal: Principal, id: string, endpointId: string | undefined, limit: number) {
    const event = await this.findEvent(principal, id);
    const owner = ownerFilter(principal);
    let endpointIds: string[] | null = owner === null ? null : await this.webhooks.endpointIdsOf(owner);
    if (endpointId !== undefined) {
      const endpoint = await this.findEndpoint(principal, endpointId);
      endpointIds = [endpoint.id];
    }
    return { data: (await this.webhooks.attemptsOfEvent(event.id, endpointIds, limit)).map(presentAttempt) };
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
      row.disabledAt = dto.enabled ? null : new Date();
      // Enabled again: the failures before now no longer count toward disabling it.
      if (dto.enabled) row.failingSince = null;
    }
    row.updatedAt = new Date();
    await this.webhooks.saveEndpoint(row, { state: dto.enabled !== undefined });
    // Its deliveries that waited while it was disabled are picked up again by the worker's sweep.
    return presentEndpoint(row);
  }

  async remove(principal: Principal, id: string): Promise<void> {
    const row = await this.findEndpoint(principal, id);
    row.deletedAt = new Date();
    row.enabled = false;
    row.updatedAt = row.deletedAt;
    await this.webhooks.saveEndpoint(row, { state: true });
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
        // The deliveries list keeps its shape: an attempt without its endpoint id (the list is per endpoint).
        ...attempts.map((a) => {
          const { endpointId: _endpointId, ...attempt } = presentAttempt(a);
          return attempt;
        }),
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
