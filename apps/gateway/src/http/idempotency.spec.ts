import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { HTTP_CODE_METADATA, PATH_METADATA, PROPERTY_DEPS_METADATA } from '@nestjs/common/constants.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '@app/common';
import { idempotentPostRoutes, IdempotencyRunner, isIdempotentHandler, ShownOnce } from './idempotency';
import { runInRequestScope } from './request-context';

let handlerRuns = 0;

@Controller('things')
class ThingsController {
  @Post(':id/secret')
  @HttpCode(200)
  @ShownOnce('secret')
  rotate(id: string): { id: string; secret: string } {
    handlerRuns += 1;
    return { id, secret: `secret-of-${id}` };
  }

  @Get(':id')
  read(id: string): { id: string } {
    return { id };
  }
}

type Things = ThingsController & { idempotencyRunner: IdempotencyRunner };

/** A request as Fastify hands it to the handler, with only what the runner reads. */
function request(headers: Record<string, string>, principal = true): FastifyRequest {
  return { id: 'req-1', method: 'POST', url: '/things/1/secret', headers, body: {}, principal: principal ? { keyId: 'key_1' } : undefined } as never;
}

/** Runs `call` the way the gateway's preHandler hook runs a handler: inside the request's scope. */
function inScope<T>(req: FastifyRequest, call: () => T): T {
  let result!: T;
  runInRequestScope(req, {} as FastifyReply, () => {
    result = call();
  });
  return result;
}

describe('idempotentPostRoutes', () => {
  const original = ThingsController.prototype.rotate;
  const read = ThingsController.prototype.read;
  idempotentPostRoutes([ThingsController]);
  const wrapped = ThingsController.prototype.rotate;
  idempotentPostRoutes([ThingsController]);

  it('wraps each POST handler once and leaves other routes alone', () => {
    expect(wrapped).not.toBe(original);
    expect(ThingsController.prototype.rotate).toBe(wrapped);
    expect(isIdempotentHandler(wrapped)).toBe(true);
    expect(ThingsController.prototype.read).toBe(read);
    expect(isIdempotentHandler(read)).toBe(false);
    expect(wrapped.name).toBe('rotate');
  });

  it("keeps the handler's metadata: route, status code, shown-once fields", () => {
    expect(Reflect.getMetadata(PATH_METADATA, wrapped)).toBe(':id/secret');
    expect(Reflect.getMetadata(HTTP_CODE_METADATA, wrapped)).toBe(200);
    expect(Reflect.getMetadata('idempotency:shown-once', wrapped)).toEqual(['secret']);
  });

  it('asks Nest to inject the runner into the controller, once', () => {
    const deps: Array<{ key: string; type: unknown }> = Reflect.getMetadata(PROPERTY_DEPS_METADATA, ThingsController);
    expect(deps).toEqual([{ key: 'idempotencyRunner', type: IdempotencyRunner }]);
  });

  describe('a call', () => {
    const things = new ThingsController() as Things;
    // Without a key, or with a malformed one, the runner reads neither its repository nor its configuration.
    things.idempotencyRunner = new IdempotencyRunner(null as never, null as never, null as never);

    it('without an Idempotency-Key runs the handler as it is', () => {
      expect(inScope(request({}), () => things.rotate('1'))).toEqual({ id: '1', secret: 'secret-of-1' });
    });

    it('without an API key runs the handler as it is (no principal to scope the key to)', () => {
      expect(inScope(request({ 'idempotency-key': 'k-1' }, false), () => things.rotate('2'))).toEqual({ id: '2', secret: 'secret-of-2' });
    });

    it('with a malformed Idempotency-Key is refused with 400 before the handler runs', () => {
      const runs = handlerRuns;
      let refused: unknown;
      try {
        inScope(request({ 'idempotency-key': 'x'.repeat(256) }), () => things.rotate('3'));
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(ApiError);
      expect(refused).toMatchObject({ status: 400, code: 'invalid_idempotency_key' });
      expect(handlerRuns).toBe(runs);
    });

    it('outside a request scope fails instead of ignoring a key it cannot see', () => {
      expect(() => things.rotate('4')).toThrow(/outside a request scope/);
    });
  });
});
