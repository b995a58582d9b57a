import { AddressInfo, connect, Socket } from 'node:net';
import { startInProcessGateway, InProcessGateway } from '../support/in-process';

const HEADERS_TIMEOUT_MS = 600;
const REQUEST_TIMEOUT_MS = 1500;

/** Opens a raw socket, hands it to `feed`, and resolves with what the server wrote and when it closed the socket. */
function rawExchange(port: number, feed: (socket: Socket) => void): Promise<{ closedAfterMs: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let opened = 0;
    let trickle: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      opened = Date.now();
      feed(socket);
    });
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined); // a reset after the server gave up is an ending too
    socket.on('close', () => {
      clearInterval(trickle);
      resolve({ closedAfterMs: Date.now() - opened, answer });
    });
    // The trickle keeps writing a byte every 100 ms for as long as the server lets it.
    (socket as Socket & { trickle?: (bytes: string) => void }).trickle = (bytes: string) => {
      let index = 0;
      trickle = setInterval(() => {
        if (socket.destroyed || !socket.writable) return clearInterval(trickle);
        socket.write(bytes[index++ % bytes.length]);
      }, 100);
    };
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the server still held the socket after 10 s'));
    }, 10_000).unref();
  });
}
const trickle = (socket: Socket, bytes: string) => (socket as Socket & { trickle: (bytes: string) => void }).trickle(bytes);

describe('slow clients against a listening gateway', () => {
  let gw: InProcessGateway;
  let port: number;
  let key: string;
  beforeAll(async () => {
    gw = await startInProcessGateway({ env: { HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) } });
    await gw.app.listen(0, '127.0.0.1');
    port = (gw.app.getHttpServer().address() as AddressInfo).port;
    key = await gw.newKey();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('headers trickled a byte at a time are cut off at the headers timeout with 408', async () => {
    const { closedAfterMs, answer } = await rawExchange(port, (socket) => {
      socket.write('POST /v1/payments HTTP/1.1\r\nHost: gateway\r\n');
      trickle(socket, 'X-Slow: abcdefghij\r\n');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + 500);
  });

  it('a connection that sends nothing is closed at the headers timeout', async () => {
    const { closedAfterMs } = await rawExchange(port, () => undefined);
    expect(closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + 500);
  });

  it('a body trickled a byte at a time is cut off at the request timeout with 408, and nothing is stored', async () => {
    const before = Number((await gw.db.query('select count(*) from payments')).rows[0].count);
    const body = JSON.stringify({ amount: 100, currency: 'USD', description: 'trickled' });
    const { closedAfterMs, answer } = await rawExchange(port, (socket) => {
      socket.write(
        `POST /v1/payments HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      trickle(socket, body); // 100 ms a byte: the whole body would take seconds longer than the request timeout
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 500);
    expect(Number((await gw.db.query('select count(*) from payments')).rows[0].count)).toBe(before);
  });

  it('a client that sends at a normal pace is served over the same listener', async () => {
    const body = JSON.stringify({ amount: 100, currency: 'USD', description: 'prompt' });
    const { answer } = await rawExchange(port, (socket) => {
      socket.write(
        `POST /v1/payments HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
  });
});
