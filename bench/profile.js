// node bench/profile.js <create|read|list|fanout> [seconds] [--alloc]: runs one scenario of the benchmark with the
// gateway and the worker under `node --cpu-prof`, then prints their top self-time functions and packages. The
// profiles (.cpuprofile, openable in Chrome DevTools) stay in the printed directory. With --alloc the gateway runs
// under the inspector instead, and what it allocates per request (garbage included) is sampled during the
// scenario's main row: create, read by id or list. Build first (node scripts/build.js).
const fs = require('node:fs');
const path = require('node:path');
const stack = require('./lib/stack');
const { load, stopLoad } = require('./lib/load');
const { summarize } = require('./lib/cpuprofile');
const { sampleAllocations, summarizeAllocations } = require('./lib/allocations');
const { runCreate, runRead } = require('./gateway');
const { runFanout } = require('./fanout');

const args = process.argv.slice(2).filter((arg) => arg !== '--alloc');
const alloc = process.argv.includes('--alloc');
const scenario = args[0] || 'create';
const seconds = Number(args[1] || 15);
if (!['create', 'read', 'list', 'fanout'].includes(scenario) || (alloc && scenario === 'fanout')) {
  process.stderr.write('usage: node bench/profile.js <create|read|list|fanout> [seconds] [--alloc] (--alloc: not with fanout)\n');
  process.exit(2);
}
/** The row whose allocations --alloc samples. */
const MAIN_ROW = { create: 'gatewayCreate', read: 'gatewayRead', list: 'gatewayList' };

async function main() {
  const dir = path.join(stack.logDir(), 'profiles');
  fs.mkdirSync(dir, { recursive: true });
  const execArgv = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  await stack.recreateDatabase();
  await stack.clearRedisPrefix();
  stack.onCleanup(() => stack.clearRedisPrefix());
  stack.onCleanup(() => stack.dropDatabase());
  const port = await stack.freePort();
  const sandbox = await stack.startSandbox(`http://${stack.HOST}:${port}`);
  const inspectPort = await stack.freePort();
  const gateway = await stack.startGateway(port, sandbox, alloc ? [`--inspect=${stack.HOST}:${inspectPort}`] : execArgv);
  const worker = await stack.startWorker(sandbox, execArgv);
  const names = { [gateway.pid]: 'gateway', [worker.pid]: 'worker' };

  const response = await fetch(`${gateway.url}/v1/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.BENCH.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', scopes: ['payments:read', 'payments:write', 'webhooks:manage'] }),
  });
  const key = await response.json();
  const settings = { connections: 32, durationSec: seconds, latencyDurationSec: 1, warmupSec: 1 };
  const allocations = [];
  const row = async (id, label, options) => {
    if (id === 'gatewayCreate1' || id === 'gatewayLive') return;
    // Sampled after the warm-up, and stopped a second before the row ends; requests counted at the row's rate.
    const window = Math.max(1, seconds - 2);
    const sampling =
      alloc && id === MAIN_ROW[scenario]
        ? new Promise((resolve) => setTimeout(resolve, (settings.warmupSec + 0.5) * 1000)).then(() => sampleAllocations(inspectPort, window))
        : null;
    const result = await load(options);
    process.stderr.write(`  ${label}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50?.toFixed(2)} ms, p99 ${result.p99?.toFixed(2)} ms\n`);
    if (sampling) allocations.push(`== gateway allocations, ${label} ==\n${summarizeAllocations(await sampling, Math.round(result.rps * window))}\n`);
  };

  if (scenario === 'create') await runCreate({ gateway, key: key.key, settings, row });
  if (scenario === 'read' || scenario === 'list') {
    await runCreate({ gateway, key: key.key, settings: { ...settings, durationSec: 3 }, row: async (id, label, options) => id === 'gatewayCreate' && load(options) });
    const { Client } = require('pg');
    const client = new Client({ connectionString: stack.BENCH.database });
    await client.connect();
    const { rows } = await client.query(`SELECT id FROM payments WHERE owner_id = $1 LIMIT 500`, [key.id]);
    await client.end();
    await runRead({
      gateway,
      key: key.key,
      paymentIds: rows.map((r) => r.id),
      settings,
      row: async (id, label, options) => (scenario === 'read' ? id === 'gatewayRead' : id === 'gatewayList') && row(id, label, options),
    });
  }
  if (scenario === 'fanout') {
    const result = await runFanout({
      gateway,
      key: key.key,
      ownerId: key.id,
      settings: { burst: { events: 5000, batch: 250, timeoutMs: 60_000 }, paced: { rate: 500, seconds: 5, tickMs: 10, timeoutMs: 30_000 } },
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stderr.write(`  burst ${result.burst.deliveriesPerSec.toFixed(0)} deliveries/s; paced p99 ${result.paced.p99?.toFixed(1)} ms\n`);
  }

  await stack.stopAll();
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
    const pid = /^CPU\.\d+\.\d+\.(\d+)\./.exec(file)?.[1];
    process.stdout.write(`== ${names[pid] || 'process ' + pid} ==\n${summarize(path.join(dir, file), 30)}\n\n`);
  }
  for (const text of allocations) process.stdout.write(`${text}\n`);
  process.stdout.write(`profiles in ${dir}\n`);
}

process.on('SIGINT', () => {
  stopLoad();
  stack.stopAll().finally(() => process.exit(130));
});
main().catch(async (error) => {
  process.stderr.write(`profile failed: ${error.stack}\n`);
  stopLoad();
  await stack.stopAll();
  process.exit(1);
});
