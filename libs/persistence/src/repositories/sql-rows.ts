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
    list: string;
    insert: string;
    insertLeased: string;
    update: string;
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
    const entity: Record<string, unknown> = {};
    for (const column of this.meta().columns) {
      entity[column.property] = column.transformers.reduceRight((value, t) => t.from(value), row[column.name]);
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
    if (releaseLease === undefined) {
      return { sql: `${sql} AND version = $${params.length + 1} RETURNING id`, params: [...params, expectedVersion] };
    }
    const [set, where] = sql.split(' WHERE ');
    return {
      sql: `${set}, lease_token = NULL, lease_until = NULL WHERE ${where} AND version = $${params.length + 1} AND lease_token = $${params.length + 2} RETURNING id`,
      params: [...params, expectedVersion, releaseLease],
    };
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
    this.built = {
      columns,
      list,
      insert: `INSERT INTO ${table} (${list}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
      insertLeased:
        `INSERT INTO ${table} (${list}, lease_token, lease_until) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}, ` +
        `$${columns.length + 1}, now() + $${columns.length + 2} * interval '1 millisecond')`,
      update: `UPDATE ${table} SET ${mutable.map((c, i) => `${c.name} = $${i + 2}`).join(', ')} WHERE id = $1`,
      mutable,
    };
    return this.built;
  }
}
