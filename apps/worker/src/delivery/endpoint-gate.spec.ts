import { EndpointGate } from './endpoint-gate';

describe('EndpointGate (per-endpoint concurrency cap and circuit)', () => {
  let now = 1_000_000;
  const clock = () => now;
  const gate = (overrides = {}) => new EndpointGate({ concurrency: 2, threshold: 3, openMs: 30_000, maxWaitMs: 60_000, ...overrides }, clock, () => 0);

  it('admits up to the cap per endpoint; the next waits while other endpoints still go', () => {
    const g = gate();
    expect(g.enter('slow')).toEqual({ go: true });
    expect(g.enter('slow')).toEqual({ go: true });
    const refused = g.enter('slow');
    expect(refused).toMatchObject({ go: false, reason: 'busy' });
    expect(g.enter('healthy')).toEqual({ go: true });
    g.finish('slow', true, 100);
    expect(g.enter('slow')).toEqual({ go: true });
  });

  it('spreads the waits of a backlog instead of sending it all back at once', () => {
    const g = gate();
    g.enter('slow');
    g.enter('slow');
    g.finish('slow', false, 10_000);
    g.enter('slow');
    const waits = Array.from({ length: 5 }, () => {
      const admission = g.enter('slow');
      return admission.go ? 0 : admission.waitMs;
    });
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThan(waits[i - 1]);
    expect(waits[waits.length - 1]).toBeLessThanOrEqual(60_000);
  });

  it('opens after the threshold of failures in a row, lets one trial through after openMs, and closes on its success', () => {
    const g = gate();
    for (let i = 0; i < 3; i++) {
      expect(g.enter('down')).toEqual({ go: true });
      g.finish('down', false, 5);
    }
    expect(g.describe('down').open).toBe(true);
    const refused = g.enter('down');
    expect(refused).toMatchObject({ go: false, reason: 'circuit_open' });
    expect(!refused.go && refused.waitMs).toBe(30_000);
    now += 30_001;
    expect(g.enter('down')).toEqual({ go: true }); // the trial
    expect(g.enter('down')).toMatchObject({ go: false, reason: 'busy' }); // one at a time while half-open
    g.finish('down', true, 5);
    expect(g.describe('down')).toMatchObject({ open: false, consecutiveFailures: 0 });
    expect(g.enter('down')).toEqual({ go: true });
    expect(g.enter('down')).toEqual({ go: true });
  });

  it('a failed trial opens the circuit again at once; a success before the threshold resets the count', () => {
    const g = gate();
    for (let i = 0; i < 3; i++) {
      g.enter('down');
      g.finish('down', false, 5);
    }
    now += 30_001;
    g.enter('down');
    g.finish('down', false, 5);
    expect(g.describe('down').open).toBe(true);
    const flaky = gate();
    for (const ok of [false, false, true, false, false]) {
      flaky.enter('flaky');
      flaky.finish('flaky', ok, 5);
    }
    expect(flaky.describe('flaky').open).toBe(false);
  });

  it('a send that never happened frees its place without counting against the endpoint', () => {
    const g = gate({ concurrency: 1 });
    expect(g.enter('e')).toEqual({ go: true });
    g.release('e');
    expect(g.enter('e')).toEqual({ go: true });
    expect(g.describe('e').consecutiveFailures).toBe(0);
  });

  describe('admit: a fast endpoint at its cap is waited for in process', () => {
    it('hands the slot a finished send frees to the delivery waiting, which then goes without another round', async () => {
      const g = gate();
      g.enter('fast');
      g.enter('fast');
      const waiting = g.admit('fast');
      g.finish('fast', true, 5);
      await expect(waiting).resolves.toEqual({ go: true });
      // Handed over, not freed: the cap still counts two in flight.
      expect(g.describe('fast').inFlight).toBe(2);
      expect(g.enter('fast')).toMatchObject({ go: false, reason: 'busy' });
    });

    it('does not wait for an endpoint that answers slowly: it is refused at once and goes back to the queue', async () => {
      const g = gate();
      g.enter('slow');
      g.enter('slow');
      g.finish('slow', true, 5_000);
      g.enter('slow');
      // Answered before the event loop turns: no wait in process.
      const first = await Promise.race([g.admit('slow'), new Promise((resolve) => setImmediate(() => resolve('still waiting')))]);
      expect(first).toMatchObject({ go: false, reason: 'busy' });
    });

    it('waits with at most twice `concurrency` deliveries per endpoint; the next is refused', async () => {
      const g = gate();
      g.enter('fast');
      g.enter('fast');
      const waiting = Array.from({ length: 4 }, () => g.admit('fast'));
      await expect(g.admit('fast')).resolves.toMatchObject({ go: false, reason: 'busy' });
      for (let i = 0; i < 4; i++) g.finish('fast', true, 5);
      await expect(Promise.all(waiting)).resolves.toEqual(Array(4).fill({ go: true }));
    });

    it('does not wait for an endpoint whose sends stopped finishing (hanging), however fast it was', async () => {
      const g = gate();
      g.enter('hangs');
      g.enter('hangs');
      now += 150; // nothing finished for longer than a fast endpoint takes
      const first = await Promise.race([g.admit('hangs'), new Promise((resolve) => setImmediate(() => resolve('still waiting')))]);
      expect(first).toMatchObject({ go: false, reason: 'busy' });
    });

    it('sends the waiting deliveries back to the refusal when the circuit opens', async () => {
      const g = gate({ threshold: 1 });
      g.enter('fast');
      g.enter('fast');
      const waiting = g.admit('fast');
      g.finish('fast', false, 5);
      await expect(waiting).resolves.toMatchObject({ go: false, reason: 'circuit_open' });
    });
  });

  describe('fastConcurrency: a fast endpoint may have more sends at once', () => {
    it('admits an endpoint that answered fast up to fastConcurrency, a slow one or one not yet answered only up to concurrency', () => {
      const g = gate({ fastConcurrency: 4 });
      expect(g.enter('new')).toEqual({ go: true });
      expect(g.enter('new')).toEqual({ go: true });
      expect(g.enter('new')).toMatchObject({ go: false, reason: 'busy' });

      g.enter('fast');
      g.enter('fast');
      g.finish('fast', true, 5);
      for (let i = 0; i < 3; i++) expect(g.enter('fast')).toEqual({ go: true });
      expect(g.enter('fast')).toMatchObject({ go: false, reason: 'busy' });

      g.enter('slow');
      g.enter('slow');
      g.finish('slow', true, 2_000); // averages above FAST_SEND_MS from now on; one send still in flight
      expect(g.enter('slow')).toEqual({ go: true });
      expect(g.enter('slow')).toMatchObject({ go: false, reason: 'busy' });
    });

    it('holds an endpoint that stops finishing its sends to concurrency for new sends, whatever it had in flight', () => {
      const g = gate({ fastConcurrency: 4 });
      g.enter('hangs');
      g.enter('hangs');
      g.finish('hangs', true, 5); // answered once, fast; one send still in flight
      for (let i = 0; i < 2; i++) expect(g.enter('hangs')).toEqual({ go: true });
      now += 150; // nothing finished since: hanging
      expect(g.enter('hangs')).toMatchObject({ go: false, reason: 'busy' });
      expect(g.describe('hangs').inFlight).toBe(3);
      expect(g.enter('other')).toEqual({ go: true });
    });

    it('keeps a fast endpoint fast when all its sends finished, and forgets it once it has been idle past FAST_SEND_MS', () => {
      const g = gate({ fastConcurrency: 4 });
      g.enter('fast');
      g.enter('fast');
      g.finish('fast', true, 5);
      g.finish('fast', true, 5); // nothing in flight now
      now += 10; // the next tick of paced traffic
      for (let i = 0; i < 4; i++) expect(g.enter('fast')).toEqual({ go: true });
      expect(g.enter('fast')).toMatchObject({ go: false, reason: 'busy' });
      for (let i = 0; i < 4; i++) g.finish('fast', true, 5);
      expect(g.tracked).toBe(1);

      now += 2_000; // idle: no longer fast, its state changes nothing
      g.enter('other');
      g.finish('other', true, 5); // looks the states over: 'fast' goes, 'other' just answered and stays
      expect(g.tracked).toBe(1);
      expect(g.enter('fast')).toEqual({ go: true });
      expect(g.enter('fast')).toEqual({ go: true });
      expect(g.enter('fast')).toMatchObject({ go: false, reason: 'busy' }); // back at concurrency until it answers
    });

    it('waits in process only once the fast endpoint is at fastConcurrency', async () => {
      const g = gate({ fastConcurrency: 3 });
      g.enter('fast');
      g.enter('fast');
      g.finish('fast', true, 5);
      for (let i = 0; i < 2; i++) g.enter('fast');
      const waiting = g.admit('fast');
      const first = await Promise.race([waiting, new Promise((resolve) => setImmediate(() => resolve('still waiting')))]);
      expect(first).toBe('still waiting');
      g.finish('fast', true, 5);
      await expect(waiting).resolves.toEqual({ go: true });
      expect(g.describe('fast').inFlight).toBe(3);
    });
  });
});
