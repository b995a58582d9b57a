import type { DataSource } from 'typeorm';
import { pgPool } from '@app/common';

/**
 * Records the SQL text of every statement matching `pattern` that the gateway sends while it runs, whichever way it
 * goes: through TypeORM (`DataSource.query`) or straight to the pg pool (prepared statements). A spy that passes
 * every call through: the statements still run. `stop()` removes it.
 */
export function countStatements(dataSource: DataSource, pattern: RegExp): string[] & { stop(): void } {
  const seen = [] as unknown as string[] & { stop(): void };
  const pool = pgPool(dataSource);
  const viaTypeorm = dataSource.query.bind(dataSource);
  const viaPool = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  const record = (text: string) => {
    if (pattern.test(text)) seen.push(text);
  };
  const a = jest.spyOn(dataSource, 'query').mockImplementation((sql: string, params?: any) => {
    record(sql);
    return viaTypeorm(sql, params);
  });
  const b = jest.spyOn(pool, 'query').mockImplementation(((config: string | { text: string }, values?: unknown) => {
    record(typeof config === 'string' ? config : config.text);
    return viaPool(config, values);
  }) as never);
  seen.stop = () => {
    a.mockRestore();
    b.mockRestore();
  };
  return seen;
}
