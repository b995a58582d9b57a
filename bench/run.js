// npm run bench: builds if needed (scripts/build.js, in the npm script), then measures the gateway against direct
// calls, its throughput, and the webhook fan-out, on this machine, loopback only, and prints one markdown table
// (kept in BENCHMARKS.md with its date and commit). See BENCHMARKS.md for what each row means.
//
// Create and read by id are measured against a peer too (bench/peer/server.js: Fastify + pg + ioredis doing only
// what those two routes must), gateway and peer alternately; the report gives the ratios gateway/peer.
//
// Environment (all optional): BENCH_CONNECTIONS (32), BENCH_DURATION (6 s per row), BENCH_PAIR_DURATION (3 s per
// gateway/peer row), BENCH_PAIRS (3 rounds of gateway then peer), BENCH_WARMUP (3 s before each side's first row),
// BENCH_EVENTS (5000),
// BENCH_PACED_RATE (500 events/s), BENCH_PACED_SECONDS (10), BENCH_IDEMPOTENCY=0 (skip that row),
// BENCH_KEEP_DB=1 (leave payments_bench for inspection), BENCH_JSON=<file> (also write the results as JSON),
// BENCH_DATABASE_URL and BENCH_QUEUE_PREFIX (another database and Redis prefix, for a second bench on the same
// Postgres and Redis: the database's name must contain "bench"),
// BENCH_APP_ENV="NAME=value,…" (extra environment for gateway and worker, e.g. WORKER_CONCURRENCY=50),
// BENCH_PHASES=baseline,create,read,fanout (a subset, to iterate on one part; the full run is the record; create
// and read include their peer rows, so BENCH_PHASES=create,read gives the ratios).
const fs = require('node:fs');
const os = require('node:os');
const { execSync } = require('node:child_process');
const { Client } = require('pg');
const { checkServices } = require('../scripts/lib');
const stack = require('./lib/stack');
const { load, stopLoad } = require('./lib/load');
const { MemorySampler, busyShare } = require('./lib/memory');
const { CpuMeter } = require('./lib/cpu');
const { runBaseline } = require('./baseline');
const { runCreate, runRead, checkPeerParity } = require('./gateway');
const { runFanout } = require('./fanout');

const num = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const settings = {
  connections: num('BENCH_CONNECTIONS', 32),
  durationSec: num('BENCH_DURATION', 6),
  latencyDurationSec: Math.max(3, Math.round(num('BENCH_DURATION', 6) * 0.7)),
  warmupSec: num('BENCH_WARMUP', 3),
  // Three rounds, so that the median of each side leaves out one disturbed row (this machine is shared).
  pairs: Math.max(1, num('BENCH_PAIRS', 3)),
  pairSec: num('BENCH_PAIR_DURATION', 3),
  idempotencyRow: process.env.BENCH_IDEMPOTENCY !== '0',
  fanout: {
    burst: { events: Math.max(5000, num('BENCH_EVENTS', 5000)), batch: 250, timeoutMs: 45_000 },
    paced: { rate: num('BENCH_PACED_RATE', 500), seconds: num('BENCH_PACED_SECONDS', 10), tickMs: 10, timeoutMs: 30_000 },
  },
};

const ALL_PHASES = ['baseline', 'create', 'read', 'fanout'];
const PHASES = (process.env.BENCH_PHASES || ALL_PHASES.join(',')).split(',').map((phase) => phase.trim());
for (const phase of PHASES) {
  if (!ALL_PHASES.includes(phase)) throw new Error(`BENCH_PHASES: unknown phase "${phase}" (known: ${ALL_PHASES.join(', ')})`);
}

const TARGETS = {
  addedP50: 2,
  addedP99: 10,
  /** Gateway CPU per request at most this many times the peer's (read by id, create). */
  cpuRatio: 1.25,
  /** Gateway throughput at least this share of the peer's (read by id, create). */
  throughputShare: 0.9,
  fanoutRate: 2000,
  pacedP99: 100,
  gatewayRssMb: 200,
};

const started = Date.now();
const log = (line) => process.stderr.write(`${line}\n`);

function commitInfo() {
  try {
    const sha = execSync('git rev-parse --short HEAD', { cwd: stack.ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execSync('git status --porcelain', { cwd: stack.ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${sha} (dirty)` : sha;
  } catch {
    return 'unknown';
  }
}

async function createServiceKey(gateway) {
  const response = await fetch(`${gateway.url}/v1/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.BENCH.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', scopes: ['payments:read', 'payments:write', 'webhooks:manage'] }),
  });
  const body = await response.json();
  if (response.status !== 201) throw new Error(`creating an API key answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/** ANALYZE of the payments table only (see phase 3). */
async function analyzePayments() {
  const client = new Client({ connectionString: stack.BENCH.database });
  await client.connect();
  await client.query('ANALYZE payments').finally(() => client.end());
}

async function paymentIds(ownerId, count) {
  const client = new Client({ connectionString: stack.BENCH.database });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT id FROM payments WHERE owner_id = $1 AND provider_payment_id IS NOT NULL ORDER BY random() LIMIT $2`, [ownerId, count]);
    return rows.map((row) => row.id);
  } finally {
    await client.end();
  }
}

const f = (value, digits = 1) => (value === null || value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));
const mark = (ok) => (ok ? '✓' : '✗');
const SHORT = { gateway: 'gw', worker: 'wk', sandbox: 'sbx', bare: 'bare', peer: 'peer', postgres: 'pg', redis: 'redis', bench: 'bench' };
/** "gw 0.95 · pg 0.50 · …": cores each process kept busy on average (the machine has os.cpus().length). */
function cores(cpu) {
  return Object.entries(cpu)
    .filter(([name, seconds]) => name !== 'wallSec' && seconds / cpu.wallSec >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([name, seconds]) => `${SHORT[name] || name} ${(seconds / cpu.wallSec).toFixed(2)}`)
    .join(' · ');
}

function rowsTable(rows) {
  const out = ['| row | conns | req/s | p50 ms | p99 ms | CPU ms/req: server · Postgres | cores busy | non-2xx / errors |', '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |'];
  for (const row of Object.values(rows)) {
    const perReq = (name) => f((row.cpu[name] * 1000) / Math.max(1, row.requests), 2);
    out.push(`| ${row.label} | ${row.connections} | ${f(row.rps, 0)} | ${f(row.p50, 2)} | ${f(row.p99, 2)} | ${perReq(row.server)} · ${perReq('postgres')} | ${cores(row.cpu)} | ${row.non2xx} / ${row.errors} |`);
  }
  return out;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * One side of a gateway/peer comparison: the rows `${id}#1`, `${id}#2`, … (or the single row `id`), and the median
 * of their throughput, server CPU per request and Postgres CPU per request.
 */
function side(rows, id) {
  const runs = Object.values(rows).filter((row) => row.id === id || row.id.startsWith(`${id}#`));
  if (runs.length === 0) return null;
  const perReq = (row, name) => (row.cpu[name] * 1000) / Math.max(1, row.requests);
  return {
    runs,
    rps: median(runs.map((row) => row.rps)),
    cpu: median(runs.map((row) => perReq(row, row.server))),
    pg: median(runs.map((row) => perReq(row, 'postgres'))),
    p50: median(runs.map((row) => row.p50)),
  };
}

/** Gateway against peer, per route: {read, create}, each {gateway, peer} or null when not measured. */
function comparisons(rows) {
  const pair = (gatewayId, peerId) => {
    const gateway = side(rows, gatewayId);
    const peer = side(rows, peerId);
    return gateway && peer ? { gateway, peer, cpuRatio: gateway.cpu / peer.cpu, share: gateway.rps / peer.rps } : null;
  };
  return { read: pair('gatewayRead', 'peerRead'), create: pair('gatewayCreate', 'peerCreate') };
}

function comparisonTable(rows) {
  const compared = comparisons(rows);
  const out = [
    '| gateway vs peer (median of the alternating rows) | req/s gateway · peer | throughput gateway/peer | CPU ms/req gateway · peer | CPU gateway/peer | Postgres ms/req gateway · peer | p50 ms gateway · peer |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, label] of [['read', 'read by id (GET /v1/payments/{id})'], ['create', 'create (POST /v1/payments)']]) {
    const c = compared[name];
    if (!c) continue;
    const runs = (s, key, digits) => s.runs.map((row) => f(key(row), digits)).join(', ');
    const rpsRuns = `${runs(c.gateway, (row) => row.rps, 0)} · ${runs(c.peer, (row) => row.rps, 0)}`;
    out.push(
      `| ${label} | ${f(c.gateway.rps, 0)} · ${f(c.peer.rps, 0)} (runs ${rpsRuns}) | ${f(c.share * 100)} % | ${f(c.gateway.cpu, 3)} · ${f(c.peer.cpu, 3)} | ${f(c.cpuRatio, 2)}× | ` +
        `${f(c.gateway.pg, 3)} · ${f(c.peer.pg, 3)} | ${f(c.gateway.p50, 2)} · ${f(c.peer.p50, 2)} |`,
    );
  }
  return out.length > 2 ? out : [];
}

function fanoutTable(fanout) {
  const { burst: fb, paced: fp } = fanout;
  const out = [
    '| fan-out (3 receivers, every signature verified) | deliveries | deliveries/s | commit→receipt p50 ms | p99 ms | max ms | CPU ms/delivery: worker · Postgres | cores busy |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  const perDelivery = (run, name) => f((run.cpu[name] * 1000) / Math.max(1, run.delivered), 2);
  for (const [run, label] of [
    [fb, `burst: ${fb.events} events committed in ${f(fb.commitSeconds)} s`],
    [fp, `paced: ${f(fp.rate, 0)} events/s for ${settings.fanout.paced.seconds} s`],
  ]) {
    const ge = run.complete ? '' : '≥ ';
    out.push(`| ${label} | ${run.delivered}/${run.expected} | ${f(run.deliveriesPerSec, 0)} | ${ge}${f(run.p50, 1)} | ${ge}${f(run.p99, 1)} | ${ge}${f(run.max, 1)} | ${perDelivery(run, 'worker')} · ${perDelivery(run, 'postgres')} | ${cores(run.cpu)} |`);
  }
  out.push('');
  out.push(`Signatures verified: ${fb.verified + fp.verified} of ${fb.delivered + fp.delivered + fb.duplicates + fp.duplicates} received (failures: ${fanout.verifyFailures}); ` +
    `duplicates: ${fb.duplicates + fp.duplicates}; deliveries in Postgres: ${Object.entries(fanout.statuses).map(([k, v]) => `${v} ${k}`).join(', ')}.`);
  return out;
}

function targetsTable(r, fanout, memory) {
  const out = ['| target | measured | met |', '| --- | --- | :---: |'];
  const line = (target, measured, ok) => out.push(`| ${target} | ${measured} | ${ok === null ? '–' : mark(ok)} |`);
  if (r.gatewayCreate1 && r.sandboxCreate1) {
    const p50 = r.gatewayCreate1.p50 - r.sandboxCreate1.p50;
    const p99 = r.gatewayCreate1.p99 - r.sandboxCreate1.p99;
    // The peer's own figure beside it: the part of the added latency that any service doing the create's two
    // commits and provider call on this machine pays.
    const peer = (q) => (r.peerCreate1 ? `; peer ${f(r.peerCreate1[q] - r.sandboxCreate1[q], 2)} ms` : '');
    line(`added latency on create, p50 ≤ ${TARGETS.addedP50} ms (1 connection, gateway − direct)`, `${f(p50, 2)} ms (${f(r.gatewayCreate1.p50, 2)} − ${f(r.sandboxCreate1.p50, 2)}${peer('p50')})`, p50 <= TARGETS.addedP50);
    line(`added latency on create, p99 ≤ ${TARGETS.addedP99} ms (1 connection)`, `${f(p99, 2)} ms (${f(r.gatewayCreate1.p99, 2)} − ${f(r.sandboxCreate1.p99, 2)}${peer('p99')})`, p99 <= TARGETS.addedP99);
  }
  const compared = comparisons(r);
  for (const [name, label] of [['read', 'read by id'], ['create', 'create']]) {
    const c = compared[name];
    if (!c) continue;
    line(`gateway CPU per request ≤ ${TARGETS.cpuRatio}× the peer's, ${label}`, `${f(c.cpuRatio, 2)}× (${f(c.gateway.cpu, 3)} / ${f(c.peer.cpu, 3)} ms)`, c.cpuRatio <= TARGETS.cpuRatio);
    line(`gateway throughput ≥ ${TARGETS.throughputShare * 100} % of the peer's, ${label}`, `${f(c.share * 100)} % (${f(c.gateway.rps, 0)} / ${f(c.peer.rps, 0)} req/s)`, c.share >= TARGETS.throughputShare);
  }
  const gatewayRead = side(r, 'gatewayRead');
  const peerRead = side(r, 'peerRead');
  if (r.bare && gatewayRead) {
    const share = (rps) => `${f((rps / r.bare.rps) * 100)} %`;
    const parts = [`gateway GET by id ${share(gatewayRead.rps)}`];
    if (peerRead) parts.push(`peer ${share(peerRead.rps)}`);
    if (r.gatewayList) parts.push(`gateway list ${share(r.gatewayList.rps)}`);
    line('information: read throughput as a share of bare http', parts.join(', '), null);
  }
  if (fanout) {
    const { burst: fb, paced: fp } = fanout;
    line(`fan-out ≥ ${TARGETS.fanoutRate} deliveries/s`, `${f(fb.deliveriesPerSec, 0)}/s`, fb.complete && fb.deliveriesPerSec >= TARGETS.fanoutRate);
    line(`commit→receipt p99 ≤ ${TARGETS.pacedP99} ms at ${settings.fanout.paced.rate} events/s`, `${fp.complete ? '' : '≥ '}${f(fp.p99, 1)} ms at ${f(fp.rate, 0)} events/s`, fp.complete && fp.p99 <= TARGETS.pacedP99);
  }
  line(`gateway RSS ≤ ${TARGETS.gatewayRssMb} MB under load`, `${f(memory.hwm.gateway, 0)} MB`, memory.hwm.gateway <= TARGETS.gatewayRssMb);
  return out;
}

function report({ rows, fanout, memory, busy, commit, wallSec }) {
  const cpu = os.cpus();
  const out = [`### ${new Date().toISOString().slice(0, 10)} · commit ${commit} · ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'cpu'}), ${Math.round(os.totalmem() / 2 ** 30)} GB · Node ${process.version}`, ''];
  const overrides = Object.entries(stack.appEnvOverrides());
  if (overrides.length) out.push(`Settings changed for this run (BENCH_APP_ENV): ${overrides.map(([k, v]) => `${k}=${v}`).join(', ')}.`, '');
  out.push(`Gateway, worker and peer run with NODE_OPTIONS=${stack.appEnv({}).NODE_OPTIONS} and MALLOC_ARENA_MAX=${stack.appEnv({}).MALLOC_ARENA_MAX}, as \`npm start\` and the Dockerfile run gateway and worker.`, '');
  if (PHASES.length < ALL_PHASES.length) out.push(`Phases run: ${PHASES.join(', ')} (BENCH_PHASES).`, '');
  const alternated = Object.keys(rows).some((id) => id.startsWith('peer'));
  out.push(`Load: autocannon, ${settings.connections} connections (or 1 where the row says so), ${settings.durationSec} s per row after ${settings.warmupSec} s warm-up` +
    (alternated ? ` (gateway and peer alternately: ${settings.pairs} rounds of ${settings.pairSec} s each, after ${settings.warmupSec} s warm-up in the first round and 1 s in the others)` : '') +
    '; latencies of 2xx answers, in ms.' +
    (busy > 0.15 ? ` **The machine was ${Math.round(busy * 100)} % busy before the bench started (other processes): numbers are low.**` : ''));
  out.push('');
  if (Object.keys(rows).length) out.push(...rowsTable(rows), '');
  const compared = comparisonTable(rows);
  if (compared.length) out.push(...compared, '');
  if (fanout) out.push(...fanoutTable(fanout));
  out.push(`Peak RSS (VmHWM): gateway ${f(memory.hwm.gateway, 0)} MB, worker ${f(memory.hwm.worker, 0)} MB, sandbox ${f(memory.hwm.sandbox, 0)} MB` +
    (memory.hwm.peer ? `, peer ${f(memory.hwm.peer, 0)} MB.` : '.'), '');
  out.push(...targetsTable(rows, fanout, memory), '');
  out.push(`Bench wall time ${f(wallSec, 0)} s (build excluded; logs in ${stack.logDir()}).`);
  return out.join('\n');
}

async function main() {
  const busy = await busyShare(1000);
  if (busy > 0.15) log(`warning: the machine is ${Math.round(busy * 100)} % busy before the bench starts; numbers will be low`);
  if (!(await checkServices(stack.BENCH.database, stack.BENCH.redis))) process.exit(1);
  const commit = commitInfo();

  log(`bench: preparing the database ${new URL(stack.BENCH.database).pathname.slice(1)} and the queue prefix {${stack.BENCH.queuePrefix}}`);
  await stack.recreateDatabase();
  await stack.clearRedisPrefix();
  stack.onCleanup(() => stack.clearRedisPrefix());
  if (process.env.BENCH_KEEP_DB !== '1') stack.onCleanup(() => stack.dropDatabase());

  const gatewayPort = await stack.freePort();
  const sandbox = await stack.startSandbox(`http://${stack.HOST}:${gatewayPort}`);
  const gateway = await stack.startGateway(gatewayPort, sandbox);
  const worker = await stack.startWorker(sandbox);
  const bare = await stack.startBareServer();
  const peer = PHASES.includes('create') || PHASES.includes('read') ? await stack.startPeer(sandbox) : null;
  const meter = new CpuMeter(new URL(stack.BENCH.database).pathname.slice(1));
  for (const [name, handle] of Object.entries({ gateway, worker, sandbox, bare, peer })) if (handle) meter.watch(name, handle.pid);
  const memory = new MemorySampler();
  memory.watch('gateway', gateway.pid);
  memory.watch('worker', worker.pid);
  memory.watch('sandbox', sandbox.pid);
  if (peer) memory.watch('peer', peer.pid);
  log(`bench: gateway ${gateway.url}${peer ? `, peer ${peer.url}` : ''}, sandbox ${sandbox.flexiqashUrl}, logs in ${stack.logDir()}`);

  const serviceKey = await createServiceKey(gateway);
  const rows = {};
  const row = async (id, label, options) => {
    memory.setPhase(id);
    let before;
    let after;
    const result = await load(options, { before: () => (before = meter.snapshot()), after: () => (after = meter.snapshot()) });
    const cpu = CpuMeter.diff(before, after);
    const server = ['gateway', 'sandbox', 'peer'].find((name) => id.startsWith(name)) ?? 'bare';
    rows[id] = { id, label, server, connections: options.connections, ...result, cpu };
    log(`  ${label.padEnd(56)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${f(result.p50, 2)}  p99 ${f(result.p99, 2)} ms` +
      (result.non2xx || result.errors ? `  (non-2xx ${result.non2xx} ${JSON.stringify(result.statuses)}, errors ${result.errors})` : ''));
  };

  if (PHASES.includes('baseline')) {
    log('phase 1: baselines');
    await runBaseline({ bare, sandbox, settings, row });
  }
  if (PHASES.includes('create') || PHASES.includes('read')) {
    log('phase 2: create through the gateway and the peer');
    // The peer must answer as the gateway does (status, payment JSON) before its rows mean anything.
    await checkPeerParity({ gateway, peer, key: serviceKey.key });
    // The read phase reads what the create phase made; run alone, it makes its payments with a short create run.
    const createSettings = PHASES.includes('create') ? settings : { ...settings, durationSec: 3, idempotencyRow: false };
    await runCreate({
      gateway,
      peer: PHASES.includes('create') ? peer : null,
      key: serviceKey.key,
      settings: createSettings,
      row: PHASES.includes('create') ? row : (id, label, options) => id === 'gatewayCreate' && load(options),
    });
  }
  if (PHASES.includes('read')) {
    log('phase 3: reads through the gateway and the peer');
    // A long-lived database has planner statistics; a minute-old one may not yet (autovacuum has not analyzed it),
    // and the list's plan then sorts every row of the owner. ANALYZE makes the reads what they are in production.
    // Only the payments table: the webhook tables are still empty here, and statistics saying so would stay while
    // phase 4 fills them when the server's autovacuum is off (as on the machine these numbers come from), where a
    // production server's autovacuum re-analyzes a table as it grows. Measured: with a database-wide ANALYZE here,
    // phase 4 cost Postgres 2-3 times the CPU per delivery.
    await analyzePayments();
    const ids = await paymentIds(serviceKey.id, 500);
    if (ids.length === 0) throw new Error('no payments were created; see the gateway log');
    await runRead({ gateway, peer, key: serviceKey.key, adminKey: stack.BENCH.adminKey, paymentIds: ids, settings, row });
  }
  let fanout = null;
  if (PHASES.includes('fanout')) {
    log('phase 4: webhook fan-out');
    memory.setPhase('fanout');
    fanout = await runFanout({ gateway, key: serviceKey.key, ownerId: serviceKey.id, settings: settings.fanout, log, meter });
  }
  memory.stop();

  log('bench: stopping');
  await stack.stopAll();
  const text = report({ rows, fanout, memory, busy, commit, wallSec: (Date.now() - started) / 1000 });
  process.stdout.write(`\n${text}\n`);
  if (process.env.BENCH_JSON) {
    fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ commit, settings, rows, fanout, memory: { hwm: memory.hwm, byPhase: memory.byPhase }, busy }, null, 2));
  }
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`bench: ${signal}, stopping everything`);
    stopLoad();
    stack.stopAll().finally(() => process.exit(130));
  });
}

main().catch(async (error) => {
  log(`bench failed: ${error.stack || error.message}`);
  stopLoad();
  await stack.stopAll();
  process.exit(1);
});
