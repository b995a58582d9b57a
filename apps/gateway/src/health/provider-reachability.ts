import { connect } from 'node:net';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ProviderRegistry } from '@app/providers';

/**
 * Whether a provider's API host accepts a TCP connection. Readiness lists it for operators but never fails on it:
 * a provider outage is handled per request (circuit breaker, failover), not by taking the gateway out of service.
 * Results are cached for a few seconds so frequent probes do not turn into a stream of connections to providers.
 */
@Injectable()
export class ProviderReachability {
  constructor(
    private readonly providers: ProviderRegistry,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** Each provider names its own probe address (`reachabilityUrl`); an unknown name throws UnknownProviderError. */
  async reachable(name: string): Promise<boolean> {
    const url = new URL(this.providers.get(name).reachabilityUrl);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const result = await this.indicators
      .check(`provider:${name}`)
      .attempt(({ signal }) => tcpConnect(host, port, signal))
      .withTimeout(1000)
      .cacheFor(5000);
    return result[`provider:${name}`].status === 'up';
  }
}

function tcpConnect(host: string, port: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, signal });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}
