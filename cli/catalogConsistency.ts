// Does a reader see exactly the catalog rows of its granted tables? Compares, per catalog table keyed
// by table_id, the rows a reader sees with what the owner sees: a hidden table's rows must be
// invisible, and a granted table's rows must all be visible (a hidden delete_file row silently
// brings deleted rows back; hidden partition rows of a visible table break DuckDB's catalog load).
import { Client } from "pg";
import { quoteIdent } from "../model/names";

/** DuckLake spec-1.0 catalog tables whose rows belong to one table (by table_id). */
export const TABLE_KEYED_CATALOG_TABLES = [
  "ducklake_table", "ducklake_column", "ducklake_column_tag", "ducklake_data_file", "ducklake_delete_file",
  "ducklake_file_column_stats", "ducklake_file_variant_stats", "ducklake_file_partition_value", "ducklake_table_stats",
  "ducklake_table_column_stats", "ducklake_partition_info", "ducklake_partition_column", "ducklake_sort_info",
  "ducklake_sort_expression", "ducklake_inlined_data_tables", "ducklake_column_mapping", "ducklake_schema_versions",
] as const;

/** table_id → row count in one catalog table; undefined when the role may not read it. */
export type RowCounts = Map<string, number>;

export async function catalogRowCounts(client: Client, existing: readonly string[]): Promise<Map<string, RowCounts | undefined>> {
  const out = new Map<string, RowCounts | undefined>();
  for (const t of existing) {
    try {
      const rows = (await client.query<{ table_id: string; n: number }>(
        `SELECT table_id::bigint AS table_id, count(*)::int AS n FROM ${quoteIdent(t)} GROUP BY 1`)).rows;
      out.set(t, new Map(rows.map((r) => [String(r.table_id), r.n])));
    } catch (e) {
      if ((e as { code?: string }).code === "42501") { out.set(t, undefined); continue; } // permission denied
      throw e;
    }
  }
  return out;
}

/** The table-keyed catalog tables present in the catalog schema (spec versions differ). */
export async function existingTableKeyedTables(admin: Client): Promise<string[]> {
  const rows = (await admin.query<{ name: string }>(
    "SELECT c.relname::text AS name FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) " +
    "AND c.relkind IN ('r', 'p', 'v') AND c.relname = ANY($1::text[]) AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'table_id' AND NOT a.attisdropped)",
    [TABLE_KEYED_CATALOG_TABLES])).rows;
  return rows.map((r) => r.name).sort();
}

export interface ConsistencyProblem {
  catalogTable: string;
  tableId: string;
  kind: "hidden-rows-visible" | "granted-rows-missing" | "not-readable";
  owner: number;
  reader: number;
}

/** Pure comparison of owner and reader row counts for the granted table ids. */
export function compareRowCounts(owner: Map<string, RowCounts | undefined>, reader: Map<string, RowCounts | undefined>,
  granted: Set<string>): ConsistencyProblem[] {
  const problems: ConsistencyProblem[] = [];
  for (const [catalogTable, ownerCounts] of owner) {
    if (!ownerCounts) continue;
    const readerCounts = reader.get(catalogTable);
    for (const [tableId, n] of ownerCounts) {
      const seen = readerCounts?.get(tableId) ?? 0;
      if (granted.has(tableId)) {
        if (readerCounts === undefined) problems.push({ catalogTable, tableId, kind: "not-readable", owner: n, reader: 0 });
        else if (seen !== n) problems.push({ catalogTable, tableId, kind: "granted-rows-missing", owner: n, reader: seen });
      } else if (seen > 0) {
        problems.push({ catalogTable, tableId, kind: "hidden-rows-visible", owner: n, reader: seen });
      }
    }
  }
  return problems;
}
