// Phases 2 and 3, through the gateway: POST /v1/payments (each writes the payment row, calls the FlexiQash
// sandbox, and commits the row's update with its payment.created event in one transaction), and the reads
// GET /v1/payments/{id} and GET /v1/payments?limit=20. All with a service key (the way services call it: the key
// is looked up in Postgres on each request) and unique references.
//
// Create and read by id are also measured against the peer (bench/peer/server.js), alternately: gateway, peer,
// gateway, peer (settings.pairs rounds), so that both sides see the machine in the same state; the report takes the
// median of each side.
const { isDeepStrictEqual } = require('node:util');
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

/**
 * Gateway and peer alternately, `settings.pairs` rounds of `settings.pairSec` each; the first row of each side
 * after the full warm-up, the later ones after a short one (the process is warm; the connections are new).
 * Row ids: `${gatewayId}#1`, `${peerId}#1`, `${gatewayId}#2`, …
 */
async function alternate({ row, settings, gatewayId, peerId, label, options }) {
  const { pairs, pairSec, warmupSec, connections } = settings;
  for (let round = 1; round <= pairs; round++) {
    const warm = round === 1 ? warmupSec : 1;
    for (const [id, side] of [[gatewayId, 'gateway'], [peerId, 'peer']]) {
      await row(`${id}#${round}`, `${side} ${label} (${round} of ${pairs})`, { ...options(side, round), connections, durationSec: pairSec, warmupSec: warm });
    }
  }
}

/**
 * The peer must answer what the gateway answers: the same payment JSON for the same id (read), and a create with
 * the same status and the same fields. Run before the measured rows; the bench stops if they differ.
 */
async function checkPeerParity({ gateway, peer, key }) {
  const get = async (base, id) => {
    const response = await fetch(`${base}/v1/payments/${id}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: response.status, body: await response.json() };
  };
  const post = async (base, tag) => {
    const response = await fetch(`${base}/v1/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: createBody(0, tag),
    });
    return { status: response.status, body: await response.json() };
  };
  const show = (pair) => `\ngateway ${pair[0].status} ${JSON.stringify(pair[0].body)}\npeer    ${pair[1].status} ${JSON.stringify(pair[1].body)}`;
  const created = [await post(gateway.url, 'parity-gw'), await post(peer.url, 'parity-peer')];
  const shape = ({ status, body }) => ({
    status,
    keys: Object.keys(body),
    fields: { ...body, id: typeof body.id, providerPaymentId: typeof body.providerPaymentId, reference: typeof body.reference, checkoutUrl: typeof body.checkoutUrl, createdAt: typeof body.createdAt, updatedAt: typeof body.updatedAt },
  });
  if (created[0].status !== 201 || !isDeepStrictEqual(shape(created[0]), shape(created[1]))) throw new Error(`peer parity: POST /v1/payments differs${show(created)}`);
  // The same payment read through each, for one made by either side.
  for (const { body } of created) {
    const read = [await get(gateway.url, body.id), await get(peer.url, body.id)];
    if (read[0].status !== 200 || read[1].status !== 200 || !isDeepStrictEqual(read[0].body, read[1].body)) throw new Error(`peer parity: GET /v1/payments/${body.id} differs${show(read)}`);
  }
}

async function runCreate({ gateway, peer, key, settings, row }) {
  const { connections, durationSec, latencyDurationSec, warmupSec } = settings;
  if (peer) {
    await alternate({
      row,
      settings,
      gatewayId: 'gatewayCreate',
      peerId: 'peerCreate',
      label: 'create (POST /v1/payments)',
      options: (side, round) => gatewayCreate(side === 'gateway' ? gateway : peer, key, `${side === 'gateway' ? 'c' : 'pc'}${round}`),
    });
  } else {
    await row('gatewayCreate', 'gateway create (POST /v1/payments)', { ...gatewayCreate(gateway, key, 'c'), connections, durationSec, warmupSec });
  }
  await row('gatewayCreate1', 'gateway create, 1 connection', { ...gatewayCreate(gateway, key, 'c1'), connections: 1, durationSec: latencyDurationSec, warmupSec: 1 });
  // The peer's latency at one connection: what the two commits and the provider call cost any service here.
  if (peer) await row('peerCreate1', 'peer create, 1 connection', { ...gatewayCreate(peer, key, 'pc1'), connections: 1, durationSec: latencyDurationSec, warmupSec: 1 });
  if (settings.idempotencyRow) {
    await row('gatewayCreateIdem', 'gateway create with Idempotency-Key', { ...gatewayCreate(gateway, key, 'ik', true), connections, durationSec, warmupSec });
  }
}

async function runRead({ gateway, peer, key, adminKey, paymentIds, settings, row }) {
  const { connections, durationSec, warmupSec } = settings;
  const auth = { authorization: `Bearer ${key}` };
  await row('gatewayLive', 'gateway GET /health/live (no auth, no I/O)', { url: gateway.url, path: '/health/live', connections, durationSec: Math.min(durationSec, 5), warmupSec });
  const paths = paymentIds.map((id) => `/v1/payments/${id}`);
  const readOptions = (server) => ({ url: server.url, path: paths[0], headers: auth, setupRequest: rotating(paths) });
  if (peer) {
    await alternate({
      row,
      settings,
      gatewayId: 'gatewayRead',
      peerId: 'peerRead',
      label: 'read (GET /v1/payments/{id})',
      options: (side) => readOptions(side === 'gateway' ? gateway : peer),
    });
  } else {
    await row('gatewayRead', 'gateway read (GET /v1/payments/{id})', { ...readOptions(gateway), connections, durationSec, warmupSec });
  }
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

module.exports = { runCreate, runRead, checkPeerParity };
