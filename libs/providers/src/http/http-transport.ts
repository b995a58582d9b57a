import * as http from 'node:http';
import * as https from 'node:https';

/** One provider call as the transport sends it: the body already serialized, the headers complete. */
export interface TransportRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  /** A deadline for the whole exchange, from sending to the last byte of the answer. */
  timeoutMs: number;
  /** A larger answer is abandoned with a `ERR_BAD_RESPONSE` error instead of being buffered. */
  maxResponseBytes: number;
}

/** Every status comes back as an answer; classifying it is the caller's business. */
export interface TransportResponse {
  status: number;
  text: string;
}

/**
 * How provider calls reach the network. The default is NodeHttpTransport; tests may pass another. A failure
 * rejects with an Error whose `code` is Node's (ECONNREFUSED, ENOTFOUND, ECONNRESET…), `ETIMEDOUT` for the
 * deadline, or `ERR_BAD_RESPONSE` for an answer too large to read.
 */
export interface HttpTransport {
  send(request: TransportRequest): Promise<TransportResponse>;
  /** Closes idle keep-alive sockets. */
  close(): void;
}

/**
 * Sockets left idle longer than this are closed by us first. Node's HTTP server drops idle keep-alive sockets
 * after 5 s; reusing one it just dropped makes a POST fail with ECONNRESET, an outcome we must treat as unknown.
 */
const IDLE_SOCKET_MS = 4_000;

export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/**
 * Provider calls over node:http(s) with keep-alive agents. It replaced axios here: the same calls cost the
 * gateway about 0.25 ms less CPU each (BENCHMARKS.md), and the gateway used none of axios's features beyond
 * what this does. No redirect is followed, no proxy from the environment is used (it would see the bearer token),
 * no compression is asked for.
 */
export class NodeHttpTransport implements HttpTransport {
  // keepAliveMsecs is TCP's keep-alive probe delay; Node sets it again on every reuse when it differs.
  private readonly httpAgent = new http.Agent({ keepAlive: true, keepAliveMsecs: 30_000, timeout: IDLE_SOCKET_MS, maxSockets: 64 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, keepAliveMsecs: 30_000, timeout: IDLE_SOCKET_MS, maxSockets: 64 });

  send(request: TransportRequest): Promise<TransportResponse> {
    const { url } = request;
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') {
      return Promise.reject(new TransportError(`unsupported protocol ${url.protocol}`, 'ERR_INVALID_URL'));
    }
    const payload = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
    const headers = payload === undefined ? request.headers : { ...request.headers, 'Content-Length': String(payload.length) };
    return new Promise<TransportResponse>((resolve, reject) => {
      let done = false;
      const finish = (error: Error | null, response?: TransportResponse): void => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        if (error) {
          outgoing.destroy();
          reject(error);
        } else {
          resolve(response as TransportResponse);
        }
      };
      const outgoing = (secure ? https : http).request(
        url,
        { method: request.method, headers, agent: secure ? this.httpsAgent : this.httpAgent },
        (incoming) => {
          const chunks: Buffer[] = [];
          let size = 0;
          incoming.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > request.maxResponseBytes) {
              finish(new TransportError(`answer larger than ${request.maxResponseBytes} bytes`, 'ERR_BAD_RESPONSE'));
              return;
            }
            chunks.push(chunk);
          });
          incoming.on('end', () => finish(null, { status: incoming.statusCode ?? 0, text: Buffer.concat(chunks, size).toString('utf8') }));
          incoming.on('error', (error) => finish(error));
          incoming.on('close', () => {
            if (!incoming.complete) finish(new TransportError('the connection closed before the answer was complete', 'ECONNRESET'));
          });
        },
      );
      const deadline = setTimeout(() => finish(new TransportError(`no answer within ${request.timeoutMs} ms`, 'ETIMEDOUT')), request.timeoutMs);
      outgoing.on('error', (error) => finish(error));
      outgoing.end(payload);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
