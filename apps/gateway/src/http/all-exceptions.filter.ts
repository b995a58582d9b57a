import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { renderError } from './error-envelope';

/** The one place every error becomes the contract's envelope. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const rendered = renderError(exception, String(request.id));
    if (rendered.unexpected) {
      this.logger.error(`${request.method} ${request.routeOptions?.url ?? '?'} failed: ${(exception as Error)?.stack ?? String(exception)}`);
    }
    void reply.status(rendered.status).headers(rendered.headers).send(rendered.body);
  }
}
