// Samples the resident set size of the benchmarked processes from /proc/<pid>/status every 200 ms, keeping the
// peak per process and per phase. VmHWM (the kernel's own peak) is read once more just before they stop.
const fs = require('node:fs');

function readStatus(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => Number((new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text) || [])[1] || 0);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

class MemorySampler {
  constructor() {
    this.processes = new Map(); // name → pid
    this.peak = {}; // name → MB
    this.hwm = {}; // name → MB (VmHWM at the last read)
    this.phase = 'start';
    this.byPhase = {}; // phase → name → MB
    this.timer = setInterval(() => this.sample(), 200);
    this.timer.unref();
  }

  watch(name, pid) {
    this.processes.set(name, pid);
  }

  setPhase(phase) {
    this.sample();
    this.phase = phase;
  }

  sample() {
    for (const [name, pid] of this.processes) {
      const status = readStatus(pid);
      if (!status) continue;
      this.peak[name] = Math.max(this.peak[name] || 0, status.rssMb);
      this.hwm[name] = Math.max(this.hwm[name] || 0, status.hwmMb);
      const phase = (this.byPhase[this.phase] ??= {});
      phase[name] = Math.max(phase[name] || 0, status.rssMb);
    }
  }

  stop() {
    this.sample();
    clearInterval(this.timer);
  }
}

/** Share of the machine's CPU time not idle over `ms` (other processes: tests, builds), from /proc/stat. */
async function busyShare(ms = 1000) {
  const read = () => {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] || 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = read();
  return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

module.exports = { MemorySampler, busyShare };
