// What the live catalog holds, read with pg: tables, one probe file each, inlined-row tables.
// The same table query run as a reader shows what the catalog guard lets that reader see.
import { Client } from "pg";
import { sqlFile } from "./sqlFiles";
import { parseS3Url, resolveCatalogPath } from "./objectKeys";

export interface LakeTable {
  tableId: string;
  schema: string;
  table: string;
  /** `s3://bucket/.../schema/table/` (absolute form of the table's directory). */
  location: string;
}

export interface LakeInventory {
  dataPath: string;
  tables: LakeTable[];
  /** table id → one current data file (full URL), for S3 probes. */
  probeFiles: Map<string, string>;
  /** table id → names of PostgreSQL tables holding its inlined rows/deletes. */
  inlinedTables: Map<string, string[]>;
}

interface TableRow {
  table_id: string; schema_name: string; table_name: string;
  schema_path: string | null; schema_path_is_relative: boolean | null;
  table_path: string | null; table_path_is_relative: boolean | null;
}

/** Current tables as the connected role sees them (search_path must point at the catalog schema). */
export async function currentTables(client: Client, dataPath = ""): Promise<LakeTable[]> {
  const rows = (await client.query<TableRow>(sqlFile("current_tables"))).rows;
  return rows.map((r) => ({
    tableId: String(r.table_id), schema: r.schema_name, table: r.table_name,
    location: resolveCatalogPath(dataPath,
      { path: r.schema_path, isRelative: r.schema_path_is_relative },
      { path: r.table_path, isRelative: r.table_path_is_relative }),
  }));
}

/** The whole lake as the catalog owner sees it. */
export async function readInventory(admin: Client): Promise<LakeInventory> {
  const dp = (await admin.query<{ data_path: string }>(sqlFile("data_path"))).rows[0]?.data_path ?? "";
  const dataPath = dp && !dp.endsWith("/") ? `${dp}/` : dp;
  const tables = await currentTables(admin, dataPath);
  const byId = new Map(tables.map((t) => [t.tableId, t]));
  const probeFiles = new Map<string, string>();
  for (const f of (await admin.query<{ table_id: string; path: string; path_is_relative: boolean | null }>(sqlFile("probe_files"))).rows) {
    const t = byId.get(String(f.table_id));
    if (t) probeFiles.set(t.tableId, resolveCatalogPath(t.location, { path: f.path, isRelative: f.path_is_relative }));
  }
  const inlinedTables = new Map<string, string[]>();
  for (const r of (await admin.query<{ table_id: string; table_name: string }>(sqlFile("inlined_tables"))).rows) {
    const id = String(r.table_id);
    inlinedTables.set(id, [...(inlinedTables.get(id) ?? []), r.table_name]);
  }
  return { dataPath, tables, probeFiles, inlinedTables };
}

/** The object key of an s3:// URL inside `bucket`, or undefined when it points elsewhere. */
export function keyInBucket(url: string, bucket: string): string | undefined {
  const p = parseS3Url(url);
  return p && p.bucket === bucket ? p.key : undefined;
}

export function qualifiedName(t: { schema: string; table: string }): string {
  return `${t.schema}.${t.table}`;
}
