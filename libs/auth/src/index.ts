export * from './scopes';
export * from './auth.decorators';
export * from './api-key.service';
export * from './api-key.guard';
export * from './auth.module';
