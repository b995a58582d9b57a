import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireScopes } from '@app/auth';
import { ApiKeyAuth } from '../http/openapi/api-errors.decorator';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@ApiKeyAuth()
@Controller('metrics')
@RequireScopes('admin')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (admin)' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format 0.0.4', schema: { type: 'string' } })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const body = await this.metrics.metrics();
    void reply.header('Content-Type', this.metrics.contentType);
    return body;
  }
}
