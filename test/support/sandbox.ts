import type { FaultSettings } from '../../apps/sandbox/src/faults';
import { call } from './http';

// The sandboxes' control routes (/__sandbox/*): how the tests make a provider misbehave and count its API calls.
// They are the sandboxes' own, not the gateway's, so they are plain HTTP.

/** Injects faults into the sandbox at `sandboxUrl` (its origin, e.g. `stack.sandboxes.flexiqashUrl`). */
export async function setFaults(sandboxUrl: string, faults: Partial<FaultSettings>): Promise<void> {
  const answer = await call(sandboxUrl, 'PUT', '/__sandbox/faults', { body: faults });
  if (answer.status >= 300) throw new Error(`could not set sandbox faults: ${answer.status} ${answer.text}`);
}

/** Removes every injected fault. */
export async function clearFaults(sandboxUrl: string): Promise<void> {
  const answer = await call(sandboxUrl, 'DELETE', '/__sandbox/faults');
  if (answer.status >= 300) throw new Error(`could not clear sandbox faults: ${answer.status} ${answer.text}`);
}

/** How many calls of `route` (e.g. `POST /api/payments/new`) the sandbox has received so far. */
export async function sandboxCalls(sandboxUrl: string, route: string): Promise<number> {
  const answer = await call(sandboxUrl, 'GET', '/__sandbox/requests');
  if (answer.status !== 200) throw new Error(`could not read sandbox requests: ${answer.status} ${answer.text}`);
  return answer.body.counts[route] ?? 0;
}
