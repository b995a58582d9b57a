import { DataSource, EntityTarget, ValueTransformer } from 'typeorm';

/** A statement and its parameters, for callers that run it inside a larger one (the outbox's change write). */
export interface SqlStatement {
  sql: string;
  params: unknown[];
}

interface Column {
  property: string;
  name: string;
  json: boolean;
  transformers: ValueTransformer[];
}

/**
 * Plain-SQL rows of one entity's table, for hot paths where TypeORM's query building and hydration cost more CPU
 * than the round trip. The column list, names and value conversions come from the entity's TypeORM metadata, read
 * once, so the entity stays the one place that describes the table; the statements are built once as well.
 */
export class SqlRows<T extends { id: string; version: number }> {
  private built: {
    columns: Column[];
    /** Every property of the entity, in column order, each undefined: what fromRow copies and fills in. */
    blank: Record<string, undefined>;
    list: string;
    insert: string;
    insertLeased: string;
    update: string;
    /** `update` only while the row has the expected version ($n+1); the same text every call, so it is hashed once. */
    updateIfVersion: string;
    /** … and while the lease token ($n+2) holds the row, which the statement gives back. */
    updateIfVersionReleasing: string;
    mutable: Column[];
  } | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly entity: EntityTarget<T>,
    /** Columns never changed after the insert. */
    private readonly fixed: string[],
  ) {}

  /** The column list for SELECT and RETURNING. */
  get columns(): string {
    return this.meta().list;
  }

  fromRow(row: Record<string, unknown>): T {
    const { columns, blank } = this.meta();
    // A copy of `blank` starts with every property in place, so filling it in allocates nothing more; a list of 20
    // rows built its entities a property at a time (and a closure per column) in a quarter of what it allocated.
    const entity: Record<string, unknown> = { ...blank };
    for (const column of columns) {
      let value = row[column.name];
      for (let i = column.transformers.length - 1; i >= 0; i--) value = column.transformers[i].from(value);
      entity[column.property] = value;
    }
    return entity as T;
  }

  insert(entity: T): SqlStatement {
    const { insert, columns } = this.meta();
    return { sql: insert, params: columns.map((column) => this.param(column, entity)) };
  }

  /**
   * As `insert`, with the row's lease (`lease_token`, `lease_until`) already held by `leaseToken` for `ttlMs`: a
   * new resource is born leased, so taking the lease costs no statement of its own.
   */
  insertLeased(entity: T, leaseToken: string, ttlMs: number): SqlStatement {
    const { insertLeased, columns } = this.meta();
    return { sql: insertLeased, params: [...columns.map((column) => this.param(column, entity)), leaseToken, ttlMs] };
  }

  /** Writes every column that can change. */
  update(entity: T): SqlStatement {
    const { update, mutable } = this.meta();
    return { sql: update, params: [entity.id, ...mutable.map((column) => this.param(column, entity))] };
  }

  /**
   * As `update`, only while the stored row still has `expectedVersion`; returns `id` when it did. With
   * `releaseLease`, also only while that token holds the row's lease, which the same statement gives back.
   */
  updateIfVersion(entity: T, expectedVersion: number, releaseLease?: string): SqlStatement {
    const { sql, params } = this.update(entity);
    const { updateIfVersion, updateIfVersionReleasing } = this.meta();
    if (releaseLease === undefined) return { sql: updateIfVersion, params: [...params, expectedVersion] };
    return { sql: updateIfVersionReleasing, params: [...params, expectedVersion, releaseLease] };
  }

  /** JSON columns go as text: node-pg would send a JS array as a Postgres array. */
  private param(column: Column, entity: T): unknown {
    const value = column.transformers.reduce((v, t) => t.to(v), (entity as Record<string, unknown>)[column.property]);
    return column.json && value !== null && value !== undefined ? JSON.stringify(value) : value;
  }

  private meta() {
    if (this.built) return this.built;
    const metadata = this.dataSource.getMetadata(this.entity);
    const columns: Column[] = metadata.columns.map((c) => ({
      property: c.propertyName,
      name: c.databaseName,
      json: c.type === 'jsonb' || c.type === 'json',
      transformers: c.transformer ? (Array.isArray(c.transformer) ? c.transformer : [c.transformer]) : [],
    }));
    const mutable = columns.filter((c) => !this.fixed.includes(c.name));
    const list = columns.map((c) => c.name).join(', ');
    const table = metadata.tableName;
    const set = mutable.map((c, i) => `${c.name} = $${i + 2}`).join(', ');
    const n = 1 + mutable.length; // the update's parameters: id, then the mutable columns
    this.built = {
      columns,
      blank: Object.fromEntries(columns.map((c) => [c.property, undefined])),
      list,
      insert: `INSERT INTO ${table} (${list}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
      insertLeased:
        `INSERT INTO ${table} (${list}, lease_token, lease_until) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}, ` +
        `$${columns.length + 1}, now() + $${columns.length + 2} * interval '1 millisecond')`,
      update: `UPDATE ${table} SET ${set} WHERE id = $1`,
      updateIfVersion: `UPDATE ${table} SET ${set} WHERE id = $1 AND version = $${n + 1} RETURNING id`,
      updateIfVersionReleasing:
        `UPDATE ${table} SET ${set}, lease_token = NULL, lease_until = NULL WHERE id = $1 AND version = $${n + 1} AND lease_token = $${n + 2} RETURNING id`,
      mutable,
    };
    return this.built;
  }
}
