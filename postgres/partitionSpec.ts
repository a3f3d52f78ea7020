// Reads the current partition spec of the tables that partition grants name, so preview can refuse grants
// the table cannot honour (model/partitionGrants.ts). Read-only; runs as any role that may SELECT the
// catalog tables (the catalog owner at deploy time).
import { Client, ClientBase } from "pg";
import { CatalogConnection } from "../model/connection";
import { DEFAULT_CATALOG_SCHEMA, lakeNameProblem, quoteIdent } from "../model/names";
import { PartitionSpecSource, TablePartitionSpec } from "../model/partitionGrants";
import { pgClientConfig } from "./connection";
import { catalogQuery } from "./sqlFiles";

export interface ReadPartitionSpecsOptions {
  /** PostgreSQL schema holding the ducklake_* tables. Default "public". */
  catalogSchema?: string;
  /** The tables to read (names as granted; matched ignoring case, the caller resolves exact names). */
  tables: ReadonlyArray<{ schema: string; table: string }>;
}

/**
 * The current spec of each named current table (tables that do not exist are absent), in one read-only
 * transaction with the catalog schema on search_path for that transaction only. The client must not be
 * inside a transaction.
 */
export async function readPartitionSpecs(client: ClientBase, opts: ReadPartitionSpecsOptions): Promise<TablePartitionSpec[]> {
  const schemaName = opts.catalogSchema ?? DEFAULT_CATALOG_SCHEMA;
  const bad = lakeNameProblem(schemaName);
  if (bad) throw new Error(`catalogSchema ${bad}`);
  if (!opts.tables.length) return [];
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    await client.query("SELECT set_config('search_path', $1, true)", [quoteIdent(schemaName)]);
    const { rows } = await client.query(catalogQuery("current_partition_specs"), [
      opts.tables.map((t) => t.schema.toLowerCase()),
      opts.tables.map((t) => t.table.toLowerCase()),
    ]);
    await client.query("COMMIT");
    const byId = new Map<number, TablePartitionSpec>();
    for (const r of rows) {
      const id = Number(r.table_id);
      let spec = byId.get(id);
      if (!spec) byId.set(id, (spec = { tableId: id, schema: r.schema_name, table: r.table_name, keys: [] }));
      if (r.partition_key_index === null) continue;
      spec.keys.push({
        index: Number(r.partition_key_index),
        columnId: Number(r.column_id),
        // A key whose column has no current row cannot happen in a consistent catalog; keep it visible as such.
        column: r.column_name ?? `<column ${r.column_id}>`,
        type: r.column_type ?? "unknown",
        transform: r.transform,
      });
    }
    return [...byId.values()];
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
}

/**
 * The specs from the live catalog (short connect timeout), or why they could not be read: on a first
 * deployment there is no catalog, hence no partitioned table to grant.
 */
export async function partitionSpecsOrUnavailable(
  conn: CatalogConnection,
  opts: ReadPartitionSpecsOptions & { catalogSchema: string },
): Promise<PartitionSpecSource> {
  const client = new Client({ ...pgClientConfig(conn), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (e) {
    return { unavailable: `catalog not reachable: ${(e as Error).message}` };
  }
  try {
    const { rows } = await client.query("SELECT to_regclass(format('%I.ducklake_partition_info', $1::text)) IS NOT NULL AS ok", [
      opts.catalogSchema,
    ]);
    if (!rows[0].ok) return { unavailable: "no DuckLake catalog yet" };
    return { tables: await readPartitionSpecs(client, opts) };
  } finally {
    await client.end().catch(() => undefined);
  }
}
