// The baseline: a bare node:http server answering one fixed JSON body, about the size of a gateway payment
// object, so the bytes on the wire are comparable. Run as its own process, like the gateway.
const http = require('node:http');

const body = JSON.stringify({
  id: 'pay_01jdbench0000000000000000',
  object: 'payment',
  provider: 'flexiqash',
  providerPaymentId: '3f0c6a52-5d7e-4f43-9c4b-8f1f3f7f0a11',
  amount: 12399,
  currency: 'USD',
  description: 'Bench payment',
  reference: 'bench-000000',
  status: 'pending',
  providerStatus: 'pending',
  archived: false,
  checkoutUrl: 'http://127.0.0.1:4010/payment/3f0c6a52-5d7e-4f43-9c4b-8f1f3f7f0a11/request',
  payer: { name: 'Bench Payer', email: 'payer@example.com', reference: null },
  payee: null,
  metadata: {},
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) };

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, headers);
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.BARE_PORT), '127.0.0.1', () => process.stdout.write('bare server ready\n'));
const stop = () => server.close(() => process.exit(0)) && server.closeAllConnections();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
