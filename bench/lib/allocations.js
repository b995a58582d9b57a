// What a process allocates, objects collected since included: V8's sampling heap profiler over the inspector
// protocol (`node --inspect`). `node --heap-prof` keeps only what is still alive when it stops, which says nothing
// about the garbage a request leaves behind.
const { owner } = require('./cpuprofile');

async function inspectorCall(port, run) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let id = 0;
  const pending = new Map();
  socket.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.id && pending.has(data.id)) {
      pending.get(data.id)(data.result);
      pending.delete(data.id);
    }
  };
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      pending.set(++id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    return await run(send);
  } finally {
    socket.close();
  }
}

/** Samples every allocation (one in about 4 KB) of the process listening for an inspector on `port`, for `seconds`. */
function sampleAllocations(port, seconds) {
  return inspectorCall(port, async (send) => {
    await send('HeapProfiler.enable');
    await send('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return (await send('HeapProfiler.stopSampling')).profile;
  });
}

/** KB allocated per request, by package and by function (self), from a sampling heap profile. */
function summarizeAllocations(profile, requests, top = 20) {
  const packages = new Map();
  const functions = new Map();
  let total = 0;
  const visit = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    total += node.selfSize;
    const pkg = owner(url);
    packages.set(pkg, (packages.get(pkg) || 0) + node.selfSize);
    const key = `${functionName || '(anonymous)'} ${pkg}:${lineNumber + 1}`;
    functions.set(key, (functions.get(key) || 0) + node.selfSize);
    node.children.forEach(visit);
  };
  visit(profile.head);
  const kb = (bytes) => `${(bytes / requests / 1024).toFixed(2).padStart(7)} KB`;
  const lines = [`${(total / requests / 1024).toFixed(1)} KB allocated per request (${requests} requests)`, '  by package:'];
  for (const [name, bytes] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`    ${kb(bytes)}  ${name}`);
  lines.push('  by function (self):');
  for (const [name, bytes] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${kb(bytes)}  ${name}`);
  return lines.join('\n');
}

module.exports = { sampleAllocations, summarizeAllocations };
