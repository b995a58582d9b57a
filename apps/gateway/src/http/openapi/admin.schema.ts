import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { SCOPES } from '@app/auth';
import { CAPABILITIES, PROVIDER_NAMES } from '@app/payments';

@ApiSchema({ name: 'ApiKey' })
export class ApiKeySchema {
  @ApiProperty({ example: 'key_01jd3k9x7w8r5q2m4n6p8s0t1v' }) id: string;
  @ApiProperty({ example: 'checkout-service' }) name: string;
  @ApiProperty({ enum: [...SCOPES], isArray: true }) scopes: string[];
  @ApiProperty({ example: 'sk_AbCd', description: 'The first characters of the key, to recognise it' }) keyPrefix: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

@ApiSchema({ name: 'CreatedApiKey' })
export class CreatedApiKeySchema {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: [...SCOPES], isArray: true }) scopes: string[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Shown once; only its hash is stored. Null when the answer is an Idempotency-Key replay (header Idempotent-Secret-Omitted: key)',
  })
  key: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

@ApiSchema({ name: 'ApiKeyList' })
export class ApiKeyListSchema {
  @ApiProperty({ type: [ApiKeySchema] }) data: ApiKeySchema[];
}

@ApiSchema({ name: 'ProviderInfo' })
export class ProviderInfoSchema {
  @ApiProperty({ enum: [...PROVIDER_NAMES] }) name: string;
  @ApiProperty({ description: 'True for the routing default' }) default: boolean;
  @ApiProperty({ type: [String], example: ['USD'] }) currencies: string[];
  @ApiProperty({ enum: [...CAPABILITIES], isArray: true }) capabilities: string[];
  @ApiProperty() configured: boolean;
}

@ApiSchema({ name: 'ProviderInfoList' })
export class ProviderInfoListSchema {
  @ApiProperty({ type: [ProviderInfoSchema] }) data: ProviderInfoSchema[];
}

@ApiSchema({ name: 'ProviderRecentCalls' })
export class ProviderRecentSchema {
  @ApiProperty({ type: 'integer', description: 'Calls in the recent window (up to 200)' }) calls: number;
  @ApiProperty({ description: 'Share of those calls that failed by the provider’s fault (0-1)' }) errorRate: number;
  @ApiProperty({ type: 'integer', nullable: true }) p50Ms: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) p95Ms: number | null;
}

@ApiSchema({ name: 'AdminProvider' })
export class AdminProviderSchema extends ProviderInfoSchema {
  @ApiProperty({ enum: ['closed', 'half_open', 'open'] }) circuit: string;
  @ApiProperty({ type: ProviderRecentSchema }) recent: ProviderRecentSchema;
}

@ApiSchema({ name: 'AdminProviderList' })
export class AdminProviderListSchema {
  @ApiProperty({ type: [AdminProviderSchema] }) data: AdminProviderSchema[];
}


@ApiSchema({ name: 'Routing' })
export class RoutingSchema {
  @ApiProperty({ enum: [...PROVIDER_NAMES] }) defaultProvider: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string', enum: [...PROVIDER_NAMES] }, example: { NGN: PROVIDER_NAMES[PROVIDER_NAMES.length - 1] } })
  currencyRoutes: Record<string, string>;
  @ApiProperty({ enum: ['stored', 'environment'], description: 'stored: set by PUT /admin/routing; environment: PAYMENTS_* variables' })
  source: string;
}

@ApiSchema({ name: 'RegisteredRoute' })
export class RegisteredRouteSchema {
  @ApiProperty({ example: 'GET' }) method: string;
  @ApiProperty({ example: '/v1/payments/:id' }) url: string;
}

@ApiSchema({ name: 'RegisteredRouteList' })
export class RegisteredRouteListSchema {
  @ApiProperty({ type: [RegisteredRouteSchema] }) data: RegisteredRouteSchema[];
}

@ApiSchema({ name: 'DependencyStatus' })
export class DependencyStatusSchema {
  @ApiProperty({ enum: ['up', 'down'] }) status: string;
  @ApiPropertyOptional({ description: 'Why it is down' }) error?: string;
}

@ApiSchema({ name: 'Dependencies' })
export class DependenciesSchema {
  @ApiProperty({ type: DependencyStatusSchema }) postgres: DependencyStatusSchema;
  @ApiProperty({ type: DependencyStatusSchema }) redis: DependencyStatusSchema;
}

@ApiSchema({ name: 'ProviderReadiness' })
export class ProviderReadinessSchema {
  @ApiProperty({ enum: [...PROVIDER_NAMES] }) name: string;
  @ApiProperty({ description: 'Credentials and base URL are set' }) configured: boolean;
  @ApiProperty({ description: 'A TCP connection to its base URL succeeded (checked at most every few seconds)' }) reachable: boolean;
  @ApiProperty({ enum: ['closed', 'half_open', 'open'] }) circuit: string;
}

@ApiSchema({ name: 'Readiness' })
export class ReadinessSchema {
  @ApiProperty({ enum: ['ok', 'unavailable'] }) status: string;
  @ApiProperty({ type: DependenciesSchema }) dependencies: DependenciesSchema;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'How long each dependency check took',
    example: { postgres: 2, redis: 1 },
  })
  responseTimeMs: Record<string, number>;
  @ApiProperty({ type: [ProviderReadinessSchema], description: 'Listed for operators; they never fail readiness' })
  providers: ProviderReadinessSchema[];
}

@ApiSchema({ name: 'Liveness' })
export class LivenessSchema {
  @ApiProperty({ enum: ['ok'] }) status: string;
}
