// The access model shared by both guards: who (readers) may read what (grants).
// Pure types; validation and normalisation live in model/grants.ts.

/** An S3 identity on Hetzner Object Storage: one access key of one project. */
export interface S3Principal {
  /** Numeric Hetzner project id that owns the key (the `p<ID>` in the policy principal). */
  projectId: string;
  /** The S3 access key id (20 upper-case letters/digits on Hetzner). */
  accessKey: string;
}

/** A person or service that reads the lake. */
export interface ReaderSpec {
  /** Reader name: also its PostgreSQL login role. `^[a-z][a-z0-9_]{0,47}$`, not reserved. */
  name: string;
  /** The reader's S3 key. Must come from a project other than the bucket owner's. */
  principal: S3Principal;
  /** Optional CIDRs the reader may connect to PostgreSQL from (prod pg_hba / firewall). */
  allowedIps?: string[];
  /**
   * Most PostgreSQL sessions this reader may hold at once (the role's CONNECTION LIMIT); default: stack
   * config `readerConnectionLimit`. One DuckDB session uses 1 after ATTACH and up to 4 while it scans in parallel.
   */
  connectionLimit?: number;
}

/** One grant: a reader may read one DuckLake table, or every current and future table of a schema. */
export interface GrantSpec {
  reader: string;
  /** DuckLake schema name (as in ducklake_schema.schema_name). */
  schema: string;
  /** DuckLake table name; omitted = the whole schema, including tables created later. */
  table?: string;
  /** Only "read" exists today; writes stay with the catalog owner/writer roles. */
  mode?: "read";
  /**
   * Partition grant (needs `table`): only the rows whose partition keys take one of the listed values. Keys are
   * written like DuckLake's DDL: a column name (identity) or `year(col)`, `month(col)`, `day(col)`, `hour(col)`.
   * AND across keys, OR within a key's list; `null` grants the NULL partition. Example: `{ "year(ts)": [2026] }`.
   */
  rows?: Record<string, ReadonlyArray<string | number | boolean | null>>;
}

/** A DuckLake partition transform a partition grant may name (DuckLake's `ducklake_partition_column.transform`). */
export type PartitionTransform = "identity" | "year" | "month" | "day" | "hour";

/** One key of a partition grant after validation. */
export interface RowFilterKey {
  /** Canonical spelling (model/rowFilter rowKeyText): `region`, `year(ts)`, `month("paid at")`; `YEAR( ts )` becomes `year(ts)`. */
  key: string;
  /** DuckLake column name the key reads. */
  column: string;
  transform: PartitionTransform;
  /** Canonical text of each value as DuckLake records it in ducklake_file_partition_value (null = NULL), sorted, unique. */
  values: Array<string | null>;
}

export interface AccessSpec {
  readers: ReaderSpec[];
  grants: GrantSpec[];
}

/** A grant after validation: canonical, order-independent identity. */
export interface NormalizedGrant {
  reader: string;
  schema: string;
  table: string | null;
  mode: "read";
  /** Partition grant: its keys sorted by `key` (absent or empty = the whole table or schema). */
  rows?: RowFilterKey[];
  /** Stable identity derived from (reader, schema, table[, rows]), used for logical resource names. */
  key: string;
}
