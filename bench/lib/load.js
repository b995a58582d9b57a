// One load row: autocannon (as a library, in this process) against one URL, after a short warm-up that is not
// counted. Latencies are taken from autocannon's per-response event (sub-millisecond floats; autocannon's own
// histogram rounds to whole milliseconds), 2xx responses only; other statuses and socket errors are counted.
const autocannon = require('autocannon');
const { percentile } = require('./stats');

let current = null;

function runOnce({ url, method = 'GET', path = '/', headers = {}, setupRequest, connections, durationSec }, record, hooks = {}) {
  return new Promise((resolve, reject) => {
    hooks.before?.();
    const latencies = [];
    const statuses = {};
    const request = { method, path, headers };
    if (setupRequest) request.setupRequest = setupRequest;
    const instance = autocannon(
      { url, connections, duration: durationSec, pipelining: 1, timeout: 10, requests: [request] },
      (error, result) => {
        current = null;
        hooks.after?.();
        if (error) return reject(error);
        const ok = latencies.length;
        resolve({
          requests: ok,
          rps: ok / ((result.finish - result.start) / 1000),
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          max: percentile(latencies, 100),
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          statuses,
        });
      },
    );
    current = instance;
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (!record) return;
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      else statuses[statusCode] = (statuses[statusCode] || 0) + 1;
    });
  });
}

/**
 * Runs `warmupSec` uncounted, then `durationSec` counted; returns {requests, rps, p50, p99, max, non2xx, errors}.
 * `hooks.before` / `hooks.after` run right before and after the counted part (CPU snapshots).
 */
async function load(options, hooks) {
  if (options.warmupSec) await runOnce({ ...options, durationSec: options.warmupSec }, false);
  return runOnce(options, true, hooks);
}

/** Stops the run in progress (Ctrl-C). */
function stopLoad() {
  current?.stop();
}

module.exports = { load, stopLoad };
