import { Module } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyService } from './api-key.service';

/**
 * API-key authentication; expects APP_CONFIG and the persistence repositories to be global. The app registers the
 * guard for every route itself (APP_GUARD), so its own checks after authentication run in an order it states.
 */
@Module({
  providers: [ApiKeyService, ApiKeyGuard],
  exports: [ApiKeyService, ApiKeyGuard],
})
export class AuthModule {}
