import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { APP_CONFIG, AppConfig } from '@app/common';
import { ProviderRegistry } from '@app/providers';
import { BEARER } from '../http/openapi/api-errors.decorator';
import { ErrorEnvelopeSchema } from '../http/openapi/error.schema';
import { OPERATION_DESCRIPTIONS, TAG_DESCRIPTIONS } from './openapi.descriptions';

export const DOCS_PATH = 'docs';

/**
 * The OpenAPI 3 document of every controller route, served at /docs-json with its UI at /docs (both public: the
 * document holds no secrets, and callers need it before they have a key). Registered before the app listens.
 */
export function setupOpenApi(app: NestFastifyApplication): void {
  const { publicBaseUrl } = app.get<AppConfig>(APP_CONFIG);
  const builder = new DocumentBuilder()
    .setTitle('Payments gateway')
    .setDescription(
      `One API over ${app.get(ProviderRegistry).names().join(', ')}. Amounts are integer minor units. Every error is ` +
        '`{"error": {"type", "code", "message", "details"?}, "requestId"}` and every answer carries `X-Request-Id`. ' +
        'The queue dashboard is at /admin/queues (admin key).',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer <key>`' }, BEARER)
    .addServer(publicBaseUrl, 'This gateway (PUBLIC_BASE_URL)');
  for (const [name, description] of Object.entries(TAG_DESCRIPTIONS)) builder.addTag(name, description);
  const document = describeOperations(SwaggerModule.createDocument(app, builder.build(), { extraModels: [ErrorEnvelopeSchema] }));
  describeInboundWebhooks(document, app.get(ProviderRegistry));
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: `${DOCS_PATH}-json`,
    raw: ['json'],
    customSiteTitle: 'Payments gateway API',
  });
}

/**
 * One route serves every provider's notifications; the document names the providers that send them, what each
 * sends and the header it signs with, from each provider's own handler.
 */
function describeInboundWebhooks(document: OpenAPIObject, registry: ProviderRegistry): void {
  const operation = document.paths['/webhooks/{provider}']?.post;
  if (!operation) return;
  const senders = registry.all().filter((provider) => provider.inbound);
  const lines = senders.map(({ name, inbound }) => {
    const signature = inbound!.signatureHeader ? ` Signed: \`${inbound!.signatureHeader.name}: ${inbound!.signatureHeader.description}\`.` : ' Unsigned: limited per source address.';
    return `- \`${name}\`: ${inbound!.summary}.${signature}`;
  });
  operation.description = lines.join('\n');
  for (const parameter of operation.parameters ?? []) {
    if ('name' in parameter && parameter.name === 'provider') parameter.schema = { type: 'string', enum: senders.map((provider) => provider.name) };
  }
}

/** Adds each operation's description; an operation without one keeps none, and the OpenAPI lint test names it. */
function describeOperations(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const description = OPERATION_DESCRIPTIONS[`${method.toUpperCase()} ${path}`];
      if (description && operation && typeof operation === 'object' && 'responses' in operation) operation.description ||= description;
    }
  }
  return document;
}
