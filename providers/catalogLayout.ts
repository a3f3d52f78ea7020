// Reads where a live DuckLake catalog keeps its files: data_path, the current schema and table paths, and
// data/delete files registered by absolute path outside their table's folder (ducklake_add_data_files).
// Read-only; runs as any role that may SELECT the catalog tables (the catalog owner at deploy time).
import type { Client } from "pg";
import { LakeLayout, OutsideFile, emptyLayout, tablePrefix } from "../model/lakePaths";
import { DEFAULT_CATALOG_SCHEMA, lakeNameProblem, quoteIdent } from "../model/names";

// The catalog schema is the only name in these statements; it is validated and quoted, values are parameters.
const SQL = {
  dataPath: (s: string) => `SELECT value FROM ${s}.ducklake_metadata WHERE key = 'data_path' AND scope IS NULL`,
  schemas: (s: string) => `SELECT schema_id, schema_name, path, path_is_relative FROM ${s}.ducklake_schema
    WHERE end_snapshot IS NULL ORDER BY schema_id`,
  tables: (s: string) => `SELECT t.table_id, s.schema_name, t.table_name, t.path, t.path_is_relative
    FROM ${s}.ducklake_table t JOIN ${s}.ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL
    WHERE t.end_snapshot IS NULL ORDER BY t.table_id`,
  // Only files that can leave their folder: absolute paths, or relative ones climbing out with "..".
  strayFiles: (s: string) => `SELECT 'data' AS kind, table_id, path, path_is_relative FROM ${s}.ducklake_data_file
      WHERE end_snapshot IS NULL AND (NOT path_is_relative OR path LIKE '%..%')
    UNION ALL
    SELECT 'delete', table_id, path, path_is_relative FROM ${s}.ducklake_delete_file
      WHERE end_snapshot IS NULL AND (NOT path_is_relative OR path LIKE '%..%')
    ORDER BY 2, 3`,
};

export interface ReadCatalogLayoutOptions {
  /** PostgreSQL schema holding the ducklake_* tables. Default "public". */
  catalogSchema?: string;
  /** The bucket the policy guards; the catalog's data_path must be inside it. */
  bucket: string;
}

export async function readCatalogLayout(client: Client, opts: ReadCatalogLayoutOptions): Promise<LakeLayout> {
  const schemaName = opts.catalogSchema ?? DEFAULT_CATALOG_SCHEMA;
  const bad = lakeNameProblem(schemaName);
  if (bad) throw new Error(`catalogSchema ${bad}`);
  const s = quoteIdent(schemaName);
  const dp = await client.query<{ value: string }>(SQL.dataPath(s));
  if (dp.rows.length !== 1)
    throw new Error(`catalog ${schemaName} has ${dp.rows.length} global data_path rows in ducklake_metadata (expected 1): is it a DuckLake catalog?`);
  const dataPath = dp.rows[0].value.endsWith("/") ? dp.rows[0].value : `${dp.rows[0].value}/`;
  const layout = emptyLayout(dataPath);
  if (layout.bucket !== opts.bucket)
    throw new Error(`the catalog's data_path ${dataPath} is in bucket "${layout.bucket}", not "${opts.bucket}": the policy of ` +
      `"${opts.bucket}" cannot guard it; create the lake with DATA_PATH 's3://${opts.bucket}/<prefix>/'`);

  const schemas = await client.query(SQL.schemas(s));
  layout.schemas = schemas.rows.map((r) => ({ schemaId: Number(r.schema_id), name: r.schema_name, path: r.path ?? "", pathIsRelative: r.path_is_relative !== false }));
  const tables = await client.query(SQL.tables(s));
  layout.tables = tables.rows.map((r) => ({ tableId: Number(r.table_id), schema: r.schema_name, name: r.table_name, path: r.path ?? "", pathIsRelative: r.path_is_relative !== false }));

  const byId = new Map(layout.tables.map((t) => [t.tableId, t]));
  const outside: OutsideFile[] = [];
  for (const f of (await client.query(SQL.strayFiles(s))).rows) {
    const t = byId.get(Number(f.table_id));
    if (!t) continue; // file of a dropped table: not reachable through any grant
    const folder = tablePrefix(layout, t.schema, t.name);
    const folderUrl = typeof folder === "string" ? `s3://${layout.bucket}/${folder}` : undefined;
    const location: string = f.path_is_relative ? `${folderUrl ?? ""}${f.path}` : f.path;
    const climbs = f.path_is_relative && /(^|\/)\.\.(\/|$)/.test(f.path);
    if (climbs || folderUrl === undefined || !location.startsWith(folderUrl))
      outside.push({ schema: t.schema, table: t.name, kind: f.kind, location });
  }
  layout.outsideFiles = outside;
  return layout;
}
