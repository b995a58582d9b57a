import { checkHandlers } from './job-handlers';

describe('checkHandlers', () => {
  it('accepts one handler per job name', () => {
    expect(() => checkHandlers('q', ['deliver'], ['deliver'])).not.toThrow();
  });

  it('names a job without a handler, a handler without a job and a doubled handler', () => {
    expect(() => checkHandlers('q', [], ['deliver'])).toThrow('job names without a handler [deliver]');
    expect(() => checkHandlers('q', ['deliver', 'resend'], ['deliver'])).toThrow('handlers for unknown job names [resend]');
    expect(() => checkHandlers('q', ['deliver', 'deliver'], ['deliver'])).toThrow('more than one handler [deliver]');
  });
});
