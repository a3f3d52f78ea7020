// Which tables a reader should see: its grants matched against the live table list. Pure.
import { LakeTable } from "./lakeInventory";
import type { RowFilterKey } from "../model/accessSpec";

export interface GrantLike {
  schema: string;
  /** undefined or null = every table of the schema. */
  table?: string | null;
  /** A partition grant's filter: only these partitions of the table (absent or empty = the whole table). */
  rows?: RowFilterKey[];
}

/** Whether the grant covers only some partitions of its table. */
export function isPartitionGrantLike(g: GrantLike): g is GrantLike & { table: string; rows: RowFilterKey[] } {
  return typeof g.table === "string" && g.rows !== undefined && g.rows.length > 0;
}

/** Table ids the grants cover only in part (partition grants, no whole grant of the same table or its schema). */
export function partitionOnlyTables(grants: GrantLike[], tables: LakeTable[]): Set<string> {
  const out = new Set<string>();
  for (const t of tables)
    if (
      grants.some((g) => isPartitionGrantLike(g) && grantCovers(g, t)) &&
      !grants.some((g) => !isPartitionGrantLike(g) && grantCovers(g, t))
    )
      out.add(t.tableId);
  return out;
}

export function grantCovers(g: GrantLike, t: { schema: string; table: string }): boolean {
  return g.schema === t.schema && (g.table === undefined || g.table === null || g.table === t.table);
}

/** Table ids covered by any grant, and the grants that match no current table (typos or not yet created). */
export function expectedTables(grants: GrantLike[], tables: LakeTable[]): { ids: Set<string>; unmatched: GrantLike[] } {
  const ids = new Set<string>();
  const unmatched: GrantLike[] = [];
  for (const g of grants) {
    const hits = tables.filter((t) => grantCovers(g, t));
    if (hits.length === 0) unmatched.push(g);
    for (const t of hits) ids.add(t.tableId);
  }
  return { ids, unmatched };
}

export function grantLabel(g: GrantLike): string {
  if (g.table === undefined || g.table === null) return `${g.schema}.*`;
  const rows = (g.rows ?? []).map((k) => `${k.key}=${k.values.map((v) => (v === null ? "null" : v)).join(",")}`);
  return rows.length > 0 ? `${g.schema}.${g.table} [${rows.join("; ")}]` : `${g.schema}.${g.table}`;
}
