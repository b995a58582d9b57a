import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '@app/auth';
import { ApiKeyAuth } from '../http/openapi/api-errors.decorator';
import { RegisteredRouteListSchema } from '../http/openapi/admin.schema';
import { ROUTE_CATALOG, RouteCatalog } from './route-catalog';

@ApiTags('operations')
@ApiKeyAuth()
@Controller('admin/routes')
@RequireScopes('admin')
export class RoutesController {
  constructor(@Inject(ROUTE_CATALOG) private readonly catalog: RouteCatalog) {}

  @Get()
  @ApiOperation({ summary: 'Every HTTP route this instance serves, as fastify registered it (admin)' })
  @ApiOkResponse({ type: RegisteredRouteListSchema })
  list() {
    return { data: this.catalog.list() };
  }
}
