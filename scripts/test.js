// npm test. Type checking (tsc over apps, libs and tests), the build and the unit tests need nothing from one
// another, so they run side by side; the build skips its own type check, which covers only a part of what tsc
// checks. Then the in-process and end-to-end tests, one file at a time (they share one database and the ports).
// Arguments go to that last Jest run: `npm test -- test/integration/auth.int-spec.ts`.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { ROOT } = require('./lib');

const JEST = [
  '--experimental-vm-modules',
  '--disable-warning=ExperimentalWarning',
  path.join(ROOT, 'node_modules/jest/bin/jest.js'),
];

function run(label, args, env = {}) {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('exit', (code, signal) => {
      process.stdout.write(`${label}: ${code === 0 ? 'done' : `failed (${signal ?? code})`} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`);
      resolve(code === 0);
    });
  });
}

async function main() {
  const extra = process.argv.slice(2);
  const startedAt = Date.now();
  const [typed, built, unit] = await Promise.all([
    run('type check', [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit']),
    run('build', [path.join(ROOT, 'scripts/build.js')], { PAYGW_BUILD_TYPECHECK: 'off' }),
    extra.length ? Promise.resolve(true) : run('unit tests', [...JEST, '--selectProjects', 'unit', '--runInBand']),
  ]);
  // A bundle built without its type check must not pass for checked: the next build checks again.
  if (!typed) fs.rmSync(path.join(ROOT, 'dist/.build-stamp'), { force: true });
  if (!typed || !built) return 1;
  const rest = extra.length
    ? await run('tests', [...JEST, ...extra, '--runInBand'])
    : await run('in-process and end-to-end tests', [...JEST, '--selectProjects', 'integration', 'e2e', '--maxWorkers=2']);
  process.stdout.write(`npm test: ${unit && rest ? 'passed' : 'failed'} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`);
  return unit && rest ? 0 : 1;
}

main().then((code) => process.exit(code));
