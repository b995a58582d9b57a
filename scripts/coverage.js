// npm run test:coverage: the unit and in-process tests with coverage, then the share of lines covered in apps/
// (and each app) and libs/, from Jest's coverage/coverage-summary.json.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT, buildIfNeeded } = require('./lib');

buildIfNeeded();
const jest = spawnSync(
  process.execPath,
  [
    '--experimental-vm-modules',
    '--disable-warning=ExperimentalWarning',
    path.join(ROOT, 'node_modules/jest/bin/jest.js'),
    '--selectProjects', 'unit', 'integration',
    '--runInBand',
    '--coverage',
    '--coverageReporters=text-summary',
    '--coverageReporters=json-summary',
    ...process.argv.slice(2),
  ],
  { cwd: ROOT, stdio: 'inherit' },
);

const summaryFile = path.join(ROOT, 'coverage/coverage-summary.json');
if (fs.existsSync(summaryFile)) {
  const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
  const groups = new Map();
  for (const [file, figures] of Object.entries(summary)) {
    if (file === 'total') continue;
    const parts = path.relative(ROOT, file).split(path.sep);
    for (const group of [parts[0], `${parts[0]}/${parts[1]}`]) {
      const sum = groups.get(group) ?? { covered: 0, total: 0 };
      sum.covered += figures.lines.covered;
      sum.total += figures.lines.total;
      groups.set(group, sum);
    }
  }
  process.stdout.write('\nLines covered by the unit and in-process tests:\n');
  for (const [group, { covered, total }] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const share = total ? ((100 * covered) / total).toFixed(1) : '-';
    process.stdout.write(`  ${(group + '/').padEnd(20)} ${share.padStart(5)} %  (${covered} of ${total})\n`);
  }
}
process.exit(jest.status ?? 1);
