import { loadConfig, ProviderConfigSchema } from '@app/common';
import { deliveryJobOptions } from './delivery-relay';

describe('deliveryJobOptions', () => {
  it('are the options the fan-out bench adds its jobs with, for the default retry schedule', () => {
    // The bench (plain JavaScript, run without the TypeScript build) writes them out; it must measure what the
    // relay does, finished jobs kept and trimmed included.
    const { JOB_OPTIONS } = require('../../../bench/fanout.js') as { JOB_OPTIONS: Record<string, unknown> };
    // The webhook settings do not depend on the providers; one made-up provider lets the configuration load.
    const provider: ProviderConfigSchema = { name: 'alpha', parse: () => ({ currencies: ['USD'] }), secrets: () => [], secretHeaders: [] };
    const retries = loadConfig({}, [provider]).webhooks.retryScheduleMs.length;
    expect(JOB_OPTIONS).toEqual({ delay: 0, ...deliveryJobOptions(retries) });
  });

  it('keep finished jobs for the queue dashboard, bounded in number and age', () => {
    const options = deliveryJobOptions(7);
    expect(options.attempts).toBe(9);
    expect(options.removeOnComplete).toEqual({ count: 1000, age: 86_400 });
    expect(options.removeOnFail).toEqual({ count: 5000, age: 604_800 });
  });
});
