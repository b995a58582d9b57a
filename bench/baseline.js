// Phase 1, the baselines: a bare node:http server, and the FlexiQash sandbox's create and read called directly
// (what the gateway calls for a create and a refresh), under the same load generator and settings as the gateway
// rows, so each gateway row has a direct row to be compared with.

const SANDBOX_TOKEN = 'sandbox-flexiqash-token';

/** The body the gateway's FlexiQash adapter sends for a bench create (libs/providers/src/flexiqash/flexiqash.mapper.ts). */
function sandboxCreateBody(n) {
  return JSON.stringify({
    name: 'Bench payment',
    amount: 123.99,
    payee: { reference: `bench-direct-${n}` },
    payer: { name: 'Bench Payer', email: 'payer@example.com' },
  });
}

function sandboxCreate(sandboxUrl) {
  let n = 0;
  return {
    url: sandboxUrl,
    method: 'POST',
    path: '/api/payments/new',
    headers: { authorization: `Bearer ${SANDBOX_TOKEN}`, 'content-type': 'application/json', accept: 'application/json' },
    setupRequest: (request) => ({ ...request, body: sandboxCreateBody(n++) }),
  };
}

async function seedSandboxPayments(sandboxUrl, count) {
  const guids = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${sandboxUrl}/api/payments/new`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SANDBOX_TOKEN}`, 'content-type': 'application/json', accept: 'application/json' },
      body: sandboxCreateBody(`seed-${i}`),
    });
    if (response.status !== 201) throw new Error(`sandbox create answered ${response.status}: ${await response.text()}`);
    guids.push((await response.json()).guid);
  }
  return guids;
}

/** A request rotating over `paths`, one per request. */
function rotating(paths) {
  let i = 0;
  return (request) => ({ ...request, path: paths[i++ % paths.length] });
}

async function runBaseline({ bare, sandbox, settings, row }) {
  const { connections, durationSec, latencyDurationSec, warmupSec } = settings;
  const guids = await seedSandboxPayments(sandbox.flexiqashUrl, 200);
  const readPaths = guids.map((guid) => `/api/payments/${guid}/view`);

  await row('bare', 'bare node:http, fixed JSON (GET)', { url: bare.url, path: '/', connections, durationSec, warmupSec });
  await row('sandboxCreate', 'sandbox create direct (POST /api/payments/new)', { ...sandboxCreate(sandbox.flexiqashUrl), connections, durationSec, warmupSec });
  await row('sandboxCreate1', 'sandbox create direct, 1 connection', { ...sandboxCreate(sandbox.flexiqashUrl), connections: 1, durationSec: latencyDurationSec, warmupSec: 1 });
  await row('sandboxRead', 'sandbox read direct (GET /api/payments/{guid}/view)', {
    url: sandbox.flexiqashUrl,
    path: readPaths[0],
    headers: { authorization: `Bearer ${SANDBOX_TOKEN}`, accept: 'application/json' },
    setupRequest: rotating(readPaths),
    connections,
    durationSec,
    warmupSec,
  });
}

module.exports = { runBaseline, rotating };
