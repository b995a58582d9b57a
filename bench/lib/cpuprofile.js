// Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function and per package, highest first.
const fs = require('node:fs');
const path = require('node:path');

function owner(url) {
  if (!url) return '(native/V8)';
  if (url.startsWith('node:')) return 'node: core';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.includes('/dist/apps/')) return `app bundle (${url.split('/dist/apps/')[1]})`;
  return path.basename(url);
}

function summarize(file, top = 25) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) || 0) + (profile.timeDeltas[i] || 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const functions = new Map();
  const packages = new Map();
  for (const [id, micros] of self) {
    const { callFrame } = byId.get(id);
    const name = callFrame.functionName || '(anonymous)';
    const where = callFrame.url ? `${owner(callFrame.url)}${callFrame.url.includes('node_modules') || callFrame.url.startsWith('node:') ? ':' + path.basename(callFrame.url) : ''}:${callFrame.lineNumber + 1}` : '';
    const key = `${name} ${where}`.trim();
    functions.set(key, (functions.get(key) || 0) + micros);
    const pkg = owner(callFrame.url);
    packages.set(pkg, (packages.get(pkg) || 0) + micros);
  }
  const pct = (micros) => `${((micros / total) * 100).toFixed(1).padStart(5)} %`;
  const lines = [`${path.basename(file)}: ${(total / 1e6).toFixed(1)} s sampled`];
  lines.push('  by package (self time):');
  for (const [name, micros] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`    ${pct(micros)}  ${name}`);
  lines.push('  by function (self time):');
  for (const [name, micros] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${pct(micros)}  ${name}`);
  return lines.join('\n');
}

module.exports = { summarize, owner };

if (require.main === module) {
  for (const file of process.argv.slice(2)) process.stdout.write(`${summarize(file)}\n\n`);
}
