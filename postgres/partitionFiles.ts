// Reads what the storage guard needs about partition-granted tables: their partition specs, whether new files
// go to hive folders, and their data/delete files grouped by folder and partition values (sql/queries/partition_*.sql).
// Read-only; the caller runs it inside its transaction with the catalog schema on search_path.
import type { ClientBase } from "pg";
import { LayoutIndex, tableFileLocation } from "../model/lakePaths";
import { DELETE_FILE_RE, PartitionFileGroup, PartitionSpecFact, PartitionedTableFacts } from "../model/partitionFolders";
import { catalogQuery } from "./sqlFiles";

/** Effective hive_file_pattern of a table: table option, else schema option, else global, else true unless encrypted. */
export function effectiveHivePattern(
  options: { key: string; value: string; scope: string | null; scopeId: number | null }[],
  schemaId: number | undefined,
  tableId: number,
): boolean {
  const pick = (scope: string | null, id: number | null) =>
    options.find((o) => o.key === "hive_file_pattern" && o.scope === scope && (scope === null || o.scopeId === id));
  const set = pick("table", tableId) ?? (schemaId === undefined ? undefined : pick("schema", schemaId)) ?? pick(null, null);
  if (set) return set.value.toLowerCase() === "true";
  return !options.some((o) => o.key === "encrypted" && o.scope === null && o.value.toLowerCase() === "true");
}

/** `{"0": "emea", "1": "2026"}` (jsonb_object_agg by key index) → ["emea", "2026"]. */
function valuesByIndex(vals: Record<string, string | null> | null): Array<string | null> {
  const out: Array<string | null> = [];
  for (const [i, v] of Object.entries(vals ?? {})) out[Number(i)] = v;
  return Array.from(out, (v) => (v === undefined ? null : v));
}

/** Facts of the given tables (as resolved in `ix`); tables that do not exist are left out. */
export async function readPartitionFacts(
  client: ClientBase,
  ix: LayoutIndex,
  tables: { schema: string; table: string }[],
): Promise<PartitionedTableFacts[]> {
  const found = new Map<number, { schema: string; table: string; schemaId?: number }>();
  for (const t of tables) {
    const hit = ix.findTable(t.schema, t.table);
    if (hit?.tableId !== undefined)
      found.set(hit.tableId, { schema: hit.schema, table: hit.name, schemaId: ix.schemas.find(hit.schema)?.schemaId });
  }
  if (found.size === 0) return [];
  const ids = [...found.keys()].map(String);
  const options = (await client.query(catalogQuery("partition_options"))).rows.map((r) => ({
    key: String(r.key),
    value: String(r.value ?? ""),
    scope: r.scope === null ? null : String(r.scope),
    scopeId: r.scope_id === null ? null : Number(r.scope_id),
  }));
  const specs = new Map<number, PartitionSpecFact[]>();
  for (const r of (await client.query(catalogQuery("partition_specs"), [ids])).rows) {
    const list = specs.get(Number(r.table_id)) ?? [];
    specs.set(Number(r.table_id), list);
    let spec = list.find((s) => s.partitionId === Number(r.partition_id));
    if (!spec) list.push((spec = { partitionId: Number(r.partition_id), current: r.current === true, keys: [] }));
    if (r.partition_key_index !== null)
      spec.keys.push({ index: Number(r.partition_key_index), column: r.column_name ?? null, transform: String(r.transform) });
  }
  // One aggregation over every file of these tables: in memory, in this process (transaction-local settings;
  // parallel workers each rebuilt the per-file hash, and the default work_mem spilled the sorts to disk).
  await client.query("SELECT set_config('work_mem', '64MB', true), set_config('max_parallel_workers_per_gather', '0', true)");
  const groups = new Map<number, PartitionFileGroup[]>();
  for (const r of (await client.query(catalogQuery("partition_files"), [ids])).rows) {
    const id = Number(r.table_id);
    const t = found.get(id)!;
    const relative = r.path_is_relative !== false;
    const file = tableFileLocation(ix, t.schema, t.table, { path: String(r.sample), pathIsRelative: relative });
    const folder = file.key === undefined ? undefined : file.key.slice(0, file.key.lastIndexOf("/") + 1);
    const tableFolder = ix.tablePrefix(t.schema, t.table);
    // Absolute paths come one per row: decide their delete shape from the resolved key.
    const shaped =
      relative || file.key === undefined || typeof tableFolder !== "string"
        ? Number(r.delete_shaped)
        : Number(DELETE_FILE_RE.test(file.key.slice(tableFolder.length)));
    const list = groups.get(id) ?? [];
    groups.set(id, list);
    list.push({
      kind: r.kind === "delete" ? "delete" : "data",
      partitionId: r.partition_id === null ? null : Number(r.partition_id),
      folder,
      sample: file.location,
      sampleKey: file.key,
      values: valuesByIndex(r.vals as Record<string, string | null> | null),
      files: Number(r.files),
      deleteShaped: shaped,
    });
  }
  return [...found.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([id, t]) => ({
      schema: t.schema,
      table: t.table,
      specs: specs.get(id) ?? [],
      hiveFilePattern: effectiveHivePattern(options, t.schemaId, id),
      groups: groups.get(id) ?? [],
    }));
}
