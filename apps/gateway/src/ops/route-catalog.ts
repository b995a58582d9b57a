import type { FastifyInstance } from 'fastify';

export interface RegisteredRoute {
  method: string;
  url: string;
}

/**
 * Every route fastify registers (Nest controllers, the OpenAPI UI, the queue dashboard), collected by an onRoute
 * hook. GET /admin/routes lists them, so a test can check that the OpenAPI document leaves none out.
 */
export class RouteCatalog {
  private readonly routes: RegisteredRoute[] = [];

  /** Must run before any route is registered, i.e. right after the adapter is created. */
  attach(fastify: FastifyInstance): void {
    fastify.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) this.routes.push({ method: String(method).toUpperCase(), url: route.url });
    });
  }

  list(): RegisteredRoute[] {
    return [...this.routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
  }
}

export const ROUTE_CATALOG = Symbol('ROUTE_CATALOG');
