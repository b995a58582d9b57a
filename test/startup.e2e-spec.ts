import { spawnSync } from 'node:child_process';
import path from 'node:path';

const run = (app: string, env: Record<string, string>) =>
  spawnSync(process.execPath, [path.resolve(__dirname, '../dist/apps', app, 'main.js')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });

describe('start-up configuration', () => {
  it.each(['gateway', 'worker'])('%s stops with one line naming the bad variable, never its value', (app) => {
    const result = run(app, { PORT: 'not-a-port', ADMIN_API_KEY: 'super-secret-admin-key-value' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual(['Invalid configuration: PORT must be a whole number from 0 to 65535']);
    expect(result.stdout + result.stderr).not.toContain('not-a-port');
  });

  it('refuses to start in production without the secrets, naming the first missing one', () => {
    const result = run('gateway', { NODE_ENV: 'production', ADMIN_API_KEY: 'super-secret-admin-key-value' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('Invalid configuration: FLEXIQASH_API_TOKEN is required');
    expect(result.stderr).not.toContain('super-secret-admin-key-value');
  });

  it('sandbox stops with one line naming its bad variable', () => {
    const result = run('sandbox', { SANDBOX_FLEXIQASH_PORT: 'x' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('SANDBOX_FLEXIQASH_PORT');
  });
});
