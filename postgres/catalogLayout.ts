// Reads where a live DuckLake catalog keeps its files: data_path, the current schema and table paths, and
// data/delete files that lie outside their table's folder (ducklake_add_data_files, hand-written paths), and for
// partition-granted tables their specs and files (postgres/partitionFiles.ts).
// Read-only; runs as any role that may SELECT the catalog tables (the catalog owner at deploy time, the
// workflow CLIs' admin login). Paths are resolved by model/lakePaths.ts only.
import type { ClientBase } from "pg";
import { IndexedLayout, OutsideFile, emptyLayout, indexLayout, layoutIndex, tableFileLocation } from "../model/lakePaths";
import { DEFAULT_CATALOG_SCHEMA, lakeNameProblem, quoteIdent } from "../model/names";
import { catalogQuery } from "../postgres/sqlFiles";
import { readPartitionFacts } from "./partitionFiles";

export interface ReadCatalogLayoutOptions {
  /** PostgreSQL schema holding the ducklake_* tables. Default "public". */
  catalogSchema?: string;
  /** The bucket the policy guards; the catalog's data_path must be inside it. */
  bucket: string;
  /** Tables with partition grants: their specs and files are read too (LakeLayout.partitions). */
  partitionTables?: { schema: string; table: string }[];
}

/**
 * Reads the layout in one read-only, repeatable-read transaction (one consistent catalog snapshot), with the
 * catalog schema on search_path for that transaction only. The client must not be inside a transaction.
 * The result is sealed and indexed (indexLayout): resolving all its tables and files is linear.
 */
export async function readCatalogLayout(client: ClientBase, opts: ReadCatalogLayoutOptions): Promise<IndexedLayout> {
  const schemaName = opts.catalogSchema ?? DEFAULT_CATALOG_SCHEMA;
  const bad = lakeNameProblem(schemaName);
  if (bad) throw new Error(`catalogSchema ${bad}`);
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    // The schema name reaches PostgreSQL quoted, as a value: no SQL text is built from it.
    await client.query("SELECT set_config('search_path', $1, true)", [quoteIdent(schemaName)]);
    const layout = await readLayout(client, schemaName, opts.bucket, opts.partitionTables ?? []);
    await client.query("COMMIT");
    return layout;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
}

async function readLayout(
  client: ClientBase,
  schemaName: string,
  bucket: string,
  partitionTables: { schema: string; table: string }[],
): Promise<IndexedLayout> {
  const dp = await client.query<{ value: string }>(catalogQuery("data_path"));
  if (dp.rows.length !== 1)
    throw new Error(
      `catalog ${schemaName} has ${dp.rows.length} global data_path rows in ducklake_metadata (expected 1): is it a DuckLake catalog?`,
    );
  const dataPath = dp.rows[0].value.endsWith("/") ? dp.rows[0].value : `${dp.rows[0].value}/`;
  const layout = emptyLayout(dataPath);
  if (layout.bucket !== bucket)
    throw new Error(
      `the catalog's data_path ${dataPath} is in bucket "${layout.bucket}", not "${bucket}": the policy of ` +
        `"${bucket}" cannot guard it; create the lake with DATA_PATH 's3://${bucket}/<prefix>/'`,
    );

  const schemas = await client.query(catalogQuery("current_schemas"));
  layout.schemas = schemas.rows.map((r) => ({
    schemaId: Number(r.schema_id),
    name: r.schema_name,
    path: r.path ?? "",
    pathIsRelative: r.path_is_relative !== false,
  }));
  const tables = await client.query(catalogQuery("current_tables"));
  layout.tables = tables.rows.map((r) => ({
    tableId: Number(r.table_id),
    schema: r.schema_name,
    name: r.table_name,
    path: r.path ?? "",
    pathIsRelative: r.path_is_relative !== false,
  }));

  const byId = new Map(layout.tables.map((t) => [t.tableId, t]));
  // One index for every file (tables without a final "/" return all their files here: up to millions).
  const ix = layoutIndex(layout);
  const outside: OutsideFile[] = [];
  for (const f of (await client.query(catalogQuery("stray_files"))).rows) {
    const t = byId.get(Number(f.table_id));
    if (!t) continue; // file of a dropped table: not reachable through any grant
    const file = tableFileLocation(ix, t.schema, t.name, { path: f.path, pathIsRelative: f.path_is_relative !== false });
    if (file.key === undefined) outside.push({ schema: t.schema, table: t.name, kind: f.kind, location: file.location });
  }
  const partitions = partitionTables.length > 0 ? await readPartitionFacts(client, ix, partitionTables) : undefined;
  return indexLayout({ ...layout, outsideFiles: outside, ...(partitions ? { partitions } : {}) });
}
