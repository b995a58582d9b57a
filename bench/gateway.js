// Phases 2 and 3, through the gateway: POST /v1/payments (each writes the payment row, calls the FlexiQash
// sandbox, and commits the row's update with its payment.created event in one transaction), and the reads
// GET /v1/payments/{id} and GET /v1/payments?limit=20. All with a service key (the way services call it: the key
// is looked up in Postgres on each request) and unique references.
const { rotating } = require('./baseline');

function createBody(n, tag) {
  return JSON.stringify({
    amount: 12399,
    currency: 'USD',
    description: 'Bench payment',
    reference: `bench-${tag}-${n}`,
    payer: { name: 'Bench Payer', email: 'payer@example.com' },
  });
}

function gatewayCreate(gateway, key, tag, idempotency = false) {
  let n = 0;
  return {
    url: gateway.url,
    method: 'POST',
    path: '/v1/payments',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    setupRequest: (request) => {
      const i = n++;
      const next = { ...request, body: createBody(i, tag) };
      if (idempotency) next.headers = { ...request.headers, 'idempotency-key': `bench-${tag}-${i}` };
      return next;
    },
  };
}

async function runCreate({ gateway, key, settings, row }) {
  const { connections, durationSec, latencyDurationSec, warmupSec } = settings;
  await row('gatewayCreate', 'gateway create (POST /v1/payments)', { ...gatewayCreate(gateway, key, 'c'), connections, durationSec, warmupSec });
  await row('gatewayCreate1', 'gateway create, 1 connection', { ...gatewayCreate(gateway, key, 'c1'), connections: 1, durationSec: latencyDurationSec, warmupSec: 1 });
  if (settings.idempotencyRow) {
    await row('gatewayCreateIdem', 'gateway create with Idempotency-Key', { ...gatewayCreate(gateway, key, 'ik', true), connections, durationSec, warmupSec });
  }
}

async function runRead({ gateway, key, adminKey, paymentIds, settings, row }) {
  const { connections, durationSec, warmupSec } = settings;
  const auth = { authorization: `Bearer ${key}` };
  await row('gatewayLive', 'gateway GET /health/live (no auth, no I/O)', { url: gateway.url, path: '/health/live', connections, durationSec: Math.min(durationSec, 5), warmupSec });
  const paths = paymentIds.map((id) => `/v1/payments/${id}`);
  await row('gatewayRead', 'gateway read (GET /v1/payments/{id})', {
    url: gateway.url,
    path: paths[0],
    headers: auth,
    setupRequest: rotating(paths),
    connections,
    durationSec,
    warmupSec,
  });
  // The admin key is checked against its configured hash, without a Postgres lookup: the difference to the row
  // above is what the per-request API key lookup costs.
  await row('gatewayReadAdmin', 'gateway read, admin key (no key lookup)', {
    url: gateway.url,
    path: paths[0],
    headers: { authorization: `Bearer ${adminKey}` },
    setupRequest: rotating(paths),
    connections,
    durationSec: Math.min(durationSec, 5),
    warmupSec: 1,
  });
  await row('gatewayList', 'gateway list (GET /v1/payments?limit=20)', { url: gateway.url, path: '/v1/payments?limit=20', headers: auth, connections, durationSec, warmupSec });
}

module.exports = { runCreate, runRead };
