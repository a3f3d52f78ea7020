// What the live catalog holds, read with pg: tables, one probe file each, inlined-row tables. Table folders
// and file keys come from the program's own layout reader and path rules (postgres/catalogLayout.ts,
// model/lakePaths.ts), so verify and access check exactly the folders the bucket policy grants.
import { Client } from "pg";
import { sqlFile } from "../postgres/sqlFiles";
import { LakeLayout, tableFileLocation, tablePrefix } from "../model/lakePaths";
import { readCatalogLayout } from "../postgres/catalogLayout";
import { catalogQuery } from "../postgres/sqlFiles";

export interface LakeTable {
  tableId: string;
  schema: string;
  table: string;
  /** Key prefix of the table's folder in the lake bucket (what a grant opens), or why it has none. */
  folder: string | { problem: string };
}

/** One current data file of a table, for S3 probes. */
export interface ProbeFile {
  /** Where DuckLake reads it. */
  location: string;
  /** Its key when it lies inside the table's folder; undefined when a grant of the table does not open it. */
  key?: string;
}

export interface LakeInventory {
  layout: LakeLayout;
  /** Current tables, by schema and name. */
  tables: LakeTable[];
  /** table id → one current data file. */
  probeFiles: Map<string, ProbeFile>;
  /** table id → names of PostgreSQL tables holding its inlined rows/deletes. */
  inlinedTables: Map<string, string[]>;
}

/** Ids of the current tables the connected role sees (search_path must point at the catalog schema). */
export async function visibleTableIds(client: Client): Promise<Set<string>> {
  const rows = (await client.query<{ table_id: string }>(catalogQuery("current_tables"))).rows;
  return new Set(rows.map((r) => String(r.table_id)));
}

/** The whole lake as the catalog owner sees it; the catalog's data_path must lie in `bucket`. */
export async function readInventory(admin: Client, opts: { bucket: string; catalogSchema: string }): Promise<LakeInventory> {
  const layout = await readCatalogLayout(admin, opts);
  const tables: LakeTable[] = layout.tables
    .map((t) => ({ tableId: String(t.tableId), schema: t.schema, table: t.name, folder: tablePrefix(layout, t.schema, t.name) }))
    .sort((a, b) => a.schema.localeCompare(b.schema) || a.table.localeCompare(b.table));
  const byId = new Map(tables.map((t) => [t.tableId, t]));
  const probeFiles = new Map<string, ProbeFile>();
  for (const f of (await admin.query<{ table_id: string; path: string; path_is_relative: boolean | null }>(sqlFile("probe_files"))).rows) {
    const t = byId.get(String(f.table_id));
    if (t)
      probeFiles.set(
        t.tableId,
        tableFileLocation(layout, t.schema, t.table, { path: f.path, pathIsRelative: f.path_is_relative !== false }),
      );
  }
  const inlinedTables = new Map<string, string[]>();
  for (const r of (await admin.query<{ table_id: string; table_name: string }>(sqlFile("inlined_tables"))).rows) {
    const id = String(r.table_id);
    inlinedTables.set(id, [...(inlinedTables.get(id) ?? []), r.table_name]);
  }
  return { layout, tables, probeFiles, inlinedTables };
}

export function qualifiedName(t: { schema: string; table: string }): string {
  return `${t.schema}.${t.table}`;
}
