// CPU time per process over a measured interval, from /proc/<pid>/stat (user + system): the benchmarked processes by
// pid, Postgres (the bench database's backends plus the server's background processes; other databases' backends
// are left out) and Redis (the whole server: it is shared). Divided by the requests or deliveries of the interval,
// it says where each one's cost went.
const fs = require('node:fs');

const TICK = 100; // USER_HZ on Linux

function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICK;
  } catch {
    return null;
  }
}

function serverProcesses(database) {
  const found = { postgres: [], redis: [] };
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm;
    let title;
    try {
      comm = fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm !== 'postgres' && comm !== 'redis-server') continue;
      title = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (comm === 'redis-server') found.redis.push(entry);
    // A backend's title is "postgres: <cluster>: <user> <database> <host>(<port>) <state>".
    else if (!/\S+ \S+ [\d.:a-f]+\(\d+\)/.test(title) || title.includes(` ${database} `)) found.postgres.push(entry);
  }
  return found;
}

class CpuMeter {
  constructor(database) {
    this.database = database;
    this.pids = new Map(); // name → pid
  }

  watch(name, pid) {
    this.pids.set(name, pid);
  }

  /** Per-name CPU seconds so far; Postgres and Redis processes are re-listed each time (new backends). */
  snapshot() {
    const snap = { perPid: new Map() };
    for (const [name, pid] of this.pids) snap.perPid.set(`${name}:${pid}`, cpuSeconds(pid) ?? 0);
    const servers = serverProcesses(this.database);
    for (const pid of servers.postgres) snap.perPid.set(`postgres:${pid}`, cpuSeconds(pid) ?? 0);
    for (const pid of servers.redis) snap.perPid.set(`redis:${pid}`, cpuSeconds(pid) ?? 0);
    snap.bench = process.cpuUsage();
    snap.at = performance.now();
    return snap;
  }

  /** CPU seconds per name between two snapshots, plus the wall seconds. */
  static diff(a, b) {
    const out = {};
    for (const [key, value] of b.perPid) {
      const name = key.split(':')[0];
      out[name] = (out[name] || 0) + Math.max(0, value - (a.perPid.get(key) ?? 0));
    }
    out.bench = (b.bench.user - a.bench.user + b.bench.system - a.bench.system) / 1e6;
    out.wallSec = (b.at - a.at) / 1000;
    return out;
  }
}

module.exports = { CpuMeter };
