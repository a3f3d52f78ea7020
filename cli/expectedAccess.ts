// Which tables a reader should see: its grants matched against the live table list. Pure.
import { LakeTable } from "./lakeInventory";

export interface GrantLike {
  schema: string;
  /** undefined or null = every table of the schema. */
  table?: string | null;
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
  return g.table === undefined || g.table === null ? `${g.schema}.*` : `${g.schema}.${g.table}`;
}
