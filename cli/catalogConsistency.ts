// Does a reader see exactly the catalog rows of its granted tables? Compares, per catalog table keyed
// by table_id, the rows a reader sees with what the owner sees: a hidden table's rows must be
// invisible, and a granted table's rows must all be visible (a hidden delete_file row silently
// brings deleted rows back; hidden partition rows of a visible table break DuckDB's catalog load).
// Every other catalog table is probed for rows of objects the reader was not granted. Which tables
// there are, and how each is filtered, comes from the guard itself (ducklake_guard.catalog_rule).
import { Client } from "pg";
import { quoteIdent } from "../model/names";
import { sqlFile } from "../postgres/sqlFiles";

/** table_id → row count in one catalog table; undefined when the role may not read it. */
export type RowCounts = Map<string, number>;

export async function catalogRowCounts(client: Client, existing: readonly string[]): Promise<Map<string, RowCounts | undefined>> {
  const out = new Map<string, RowCounts | undefined>();
  for (const t of existing) {
    try {
      const rows = (
        await client.query<{ table_id: string; n: number }>(
          `SELECT table_id::bigint AS table_id, count(*)::int AS n FROM ${quoteIdent(t)} GROUP BY 1`,
        )
      ).rows;
      out.set(t, new Map(rows.map((r) => [String(r.table_id), r.n])));
    } catch (e) {
      if ((e as { code?: string }).code === "42501") {
        out.set(t, undefined);
        continue;
      } // permission denied
      throw e;
    }
  }
  return out;
}

/** One catalog table present in the catalog schema and the guard's rule for it (ducklake_guard.catalog_rule). */
export interface CatalogRule {
  table: string;
  rule: string;
}

/**
 * The guard's rules for the catalog tables present, read from ducklake_guard.catalog_rule (the one list; needs the
 * catalog owner or a superuser). undefined when the guard is not installed.
 */
export async function catalogRules(admin: Client): Promise<CatalogRule[] | undefined> {
  const installed = (await admin.query<{ ok: boolean }>("SELECT to_regclass('ducklake_guard.catalog_rule') IS NOT NULL AS ok")).rows[0].ok;
  if (!installed) return undefined;
  return (await admin.query<{ table_name: string; rule: string }>(sqlFile("catalog_rules"))).rows.map((r) => ({
    table: r.table_name,
    rule: r.rule,
  }));
}

/**
 * The partition guard's restrictive rules (sql/007 ducklake_guard.partition_rule: 'file', 'table_full'), checked per
 * file by probeCatalogTables for readers with partition grants. [] when the guard has no partition grants.
 */
export async function partitionRules(admin: Client): Promise<CatalogRule[]> {
  const installed = (await admin.query<{ ok: boolean }>("SELECT to_regclass('ducklake_guard.partition_rule') IS NOT NULL AS ok")).rows[0]
    .ok;
  if (!installed) return [];
  return (await admin.query<{ table_name: string; rule: string }>(sqlFile("partition_rules"))).rows.map((r) => ({
    table: r.table_name,
    rule: r.rule,
  }));
}

/** The catalog tables whose rows belong to one table: the guard's 'table' rules, or (no guard) those with a table_id column. */
export async function existingTableKeyedTables(admin: Client, rules?: CatalogRule[]): Promise<string[]> {
  const r = rules ?? (await catalogRules(admin));
  if (r)
    return (
      r
        // 'file' and 'table_full' (sql/007) are table-keyed for whole-table readers; partition readers are probed per file.
        .filter((x) => ["table", "table_or_null", "file", "table_full"].includes(x.rule))
        .map((x) => x.table)
        .sort()
    );
  return (await admin.query<{ table_name: string }>(sqlFile("table_keyed_tables"))).rows.map((x) => x.table_name);
}

// ---- Every other catalog table: does the reader see a row of an object it was not granted? -----------------

/** What one reader may see, by id, computed from the owner's unfiltered view. */
export interface ExpectedIds {
  s: Set<string>;
  t: Set<string>;
  v: Set<string>;
  m: Set<string>;
  mappings: Set<string>;
  /** Tables granted only in part (partition grants) → the data files (any snapshot) the reader may see. */
  partitionFiles?: Map<string, Set<string>>;
}

/** Data files of `tableId` a partition grant covers: every key matches (the guard's rule, from the owner's view). */
export async function partitionGrantFiles(
  admin: Client,
  tableId: string,
  rows: Array<{ column: string; transform: string; values: Array<string | null> }>,
): Promise<Set<string>> {
  let out: Set<string> | undefined;
  for (const k of rows) {
    const nonNull = k.values.filter((v): v is string => v !== null);
    const ids = (
      await admin.query<{ data_file_id: string }>(sqlFile("partition_grant_files"), [
        tableId,
        k.column,
        k.transform,
        nonNull,
        k.values.includes(null),
      ])
    ).rows.map((r) => String(r.data_file_id));
    out = out === undefined ? new Set(ids) : new Set(ids.filter((id) => out!.has(id)));
  }
  return out ?? new Set();
}

/** A grant resolved to ids: a schema id, and a table id or null for the whole schema. */
export interface ResolvedGrant {
  schemaId: string;
  tableId: string | null;
}

/**
 * A reader's grants as ids: the current schema/table of each name, plus the ids its live ACL entries pinned for
 * the same names (a table dropped since stays granted by id; its rows are history the reader may see).
 */
export function resolveGrants(
  grants: Array<{ schema: string; table?: string | null }>,
  objects: CatalogObjects,
  pinned: Array<{ schema: string; table: string | null; schemaId: number; tableId: number | null }>,
): ResolvedGrant[] {
  const out: ResolvedGrant[] = [];
  const current = [...objects.byKey.entries()].filter(([, o]) => o.current);
  for (const g of grants) {
    const table = g.table ?? null;
    for (const [key, o] of current) {
      if (o.kind !== "s" || o.name !== g.schema) continue;
      const schemaId = key.slice(2);
      if (table === null) {
        out.push({ schemaId, tableId: null });
        continue;
      }
      for (const [tk, t] of current)
        if (t.kind === "t" && t.schemaId === schemaId && t.name === `${g.schema}.${table}`) out.push({ schemaId, tableId: tk.slice(2) });
    }
    for (const p of pinned)
      if (p.schema === g.schema && p.table === table)
        out.push({ schemaId: String(p.schemaId), tableId: p.tableId === null ? null : String(p.tableId) });
  }
  return out;
}

/** The ids `grants` cover, as the guard resolves them (a schema grant covers every table, view and macro of it, any snapshot). */
export async function expectedIds(admin: Client, grants: ResolvedGrant[], objects: CatalogObjects): Promise<ExpectedIds> {
  const e: ExpectedIds = { s: new Set(), t: new Set(), v: new Set(), m: new Set(), mappings: new Set() };
  const whole = new Set(grants.filter((g) => g.tableId === null).map((g) => g.schemaId));
  for (const g of grants) {
    e.s.add(g.schemaId);
    if (g.tableId !== null) e.t.add(g.tableId);
  }
  for (const [key, o] of objects.byKey) if (o.kind !== "s" && whole.has(o.schemaId)) e[o.kind].add(key.slice(2));
  for (const r of (await admin.query<{ mapping_id: string; table_id: string }>(sqlFile("column_mappings"))).rows)
    if (e.t.has(String(r.table_id))) e.mappings.add(String(r.mapping_id));
  return e;
}

export interface CatalogObject {
  kind: "s" | "t" | "v" | "m";
  schemaId: string;
  name: string;
  current: boolean;
}
export interface CatalogObjects {
  byKey: Map<string, CatalogObject>;
  mappingTable: Map<string, string>;
}

/** Every schema, table, view and macro (any snapshot) with its latest name, keyed "<kind>:<id>". */
export async function readCatalogObjects(admin: Client): Promise<CatalogObjects> {
  const byKey = new Map<string, CatalogObject>();
  for (const r of (
    await admin.query<{ kind: "s" | "t" | "v" | "m"; id: string; schema_id: string; name: string; current: boolean }>(
      sqlFile("catalog_objects"),
    )
  ).rows)
    byKey.set(`${r.kind}:${r.id}`, { kind: r.kind, schemaId: String(r.schema_id), name: r.name, current: r.current });
  const mappingTable = new Map(
    (await admin.query<{ mapping_id: string; table_id: string }>(sqlFile("column_mappings"))).rows.map(
      (r) => [String(r.mapping_id), String(r.table_id)] as const,
    ),
  );
  return { byKey, mappingTable };
}

const KIND_WORD = { s: "schema", t: "table", v: "view", m: "macro" } as const;

/** DuckLake's default schema, whose row every reader sees (DuckDB needs it to USE the lake). */
export const DEFAULT_SCHEMA = "main";
const isDefaultSchema = (objects: CatalogObjects, id: string) => objects.byKey.get(`s:${id}`)?.name === DEFAULT_SCHEMA;

/**
 * Probes, as the reader, every catalog table whose rule is not by table_id (those are compared row by row in
 * catalogRowCounts): each row must belong to an object the reader was granted. Returns one problem per catalog
 * table and object the reader should not see, naming both.
 */
export async function probeCatalogTables(
  reader: Client,
  readerName: string,
  rules: CatalogRule[],
  e: ExpectedIds,
  objects: CatalogObjects,
): Promise<string[]> {
  const problems: string[] = [];
  const label = (kind: keyof typeof KIND_WORD, id: string) =>
    `${KIND_WORD[kind]} ${objects.byKey.get(`${kind}:${id}`)?.name ?? "(unknown)"} (id ${id})`;
  const leak = (table: string, what: string) =>
    problems.push(`${readerName}: ${table} shows ${what}, which it was not granted: the reader sees too much`);
  const read = async <T>(table: string, sql: string): Promise<T[] | undefined> => {
    try {
      return (await reader.query(sql)).rows as T[];
    } catch (err) {
      if ((err as { code?: string }).code !== "42501") throw err;
      problems.push(`${readerName}: may not read ${table}: DuckDB cannot load the catalog for it`);
      return undefined;
    }
  };
  for (const { table, rule } of rules) {
    const t = quoteIdent(table);
    const ids = async (col: string) =>
      (
        await read<{ id: string }>(table, `SELECT DISTINCT ${quoteIdent(col)}::bigint AS id FROM ${t} WHERE ${quoteIdent(col)} IS NOT NULL`)
      )?.map((r) => String(r.id)) ?? [];
    switch (rule) {
      case "global":
      case "table":
      case "table_or_null":
        break;
      case "hidden": {
        let n = 0;
        try {
          n = (await reader.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n;
        } catch (err) {
          if ((err as { code?: string }).code !== "42501") throw err;
        }
        if (n > 0) leak(table, `${n} row(s) (hidden from every reader)`);
        break;
      }
      // DuckLake's default schema `main` is shown to every reader (its row only; the guard's schema rule).
      case "schema":
        for (const id of await ids("schema_id")) if (!e.s.has(id) && !isDefaultSchema(objects, id)) leak(table, label("s", id));
        break;
      case "view":
        for (const id of await ids("view_id")) if (!e.v.has(id)) leak(table, label("v", id));
        break;
      case "macro":
        for (const id of await ids("macro_id")) if (!e.m.has(id)) leak(table, label("m", id));
        break;
      case "tag":
        for (const id of await ids("object_id")) {
          if (e.s.has(id) || e.t.has(id) || e.v.has(id)) continue;
          const kind = (["t", "v", "s"] as const).find((k) => objects.byKey.has(`${k}:${id}`)) ?? "t";
          leak(table, `tags of ${label(kind, id)}`);
        }
        break;
      case "metadata":
        for (const r of (await read<{ scope: string; id: string }>(
          table,
          `SELECT DISTINCT scope, scope_id::bigint AS id FROM ${t} WHERE scope IS NOT NULL`,
        )) ?? []) {
          const id = String(r.id);
          if (r.scope === "schema" && !e.s.has(id)) leak(table, `settings of ${label("s", id)}`);
          else if (r.scope === "table" && !e.t.has(id)) leak(table, `settings of ${label("t", id)}`);
          else if (r.scope !== "schema" && r.scope !== "table") leak(table, `settings of scope ${r.scope} ${id}`);
        }
        break;
      case "name_mapping":
        for (const id of await ids("mapping_id"))
          if (!e.mappings.has(id)) leak(table, `column mapping ${id} of ${label("t", objects.mappingTable.get(id) ?? "?")}`);
        break;
      // Per-file rows (sql/007): whole-table readers see the table's rows, partition readers those of their files.
      case "file": {
        const seen =
          (await read<{ table_id: string; data_file_id: string }>(
            table,
            `SELECT DISTINCT table_id::bigint AS table_id, data_file_id::bigint AS data_file_id FROM ${t}`,
          )) ?? [];
        const outside = new Map<string, number>();
        for (const r of seen) {
          const id = String(r.table_id);
          const files = e.partitionFiles?.get(id);
          if (!e.t.has(id)) leak(table, label("t", id));
          else if (files && !files.has(String(r.data_file_id))) outside.set(id, (outside.get(id) ?? 0) + 1);
        }
        for (const [id, n] of outside) leak(table, `${n} data file(s) of ${label("t", id)} outside its granted partitions`);
        if (table === "ducklake_data_file")
          for (const [id, files] of e.partitionFiles ?? []) {
            const visible = new Set(seen.filter((r) => String(r.table_id) === id).map((r) => String(r.data_file_id)));
            const missing = [...files].filter((f) => !visible.has(f)).length;
            if (missing > 0)
              problems.push(
                `${readerName}: ${table} hides ${missing} data file(s) of granted partitions of ${label("t", id)}: reads would be wrong`,
              );
          }
        break;
      }
      // Table-wide summaries (sql/007): whole-table readers only; they would leak other partitions to partition readers.
      case "table_full":
        for (const id of await ids("table_id"))
          if (!e.t.has(id)) leak(table, label("t", id));
          else if (e.partitionFiles?.has(id))
            leak(table, `table-wide rows of ${label("t", id)}, of which it is granted only some partitions`);
        break;
      default:
        problems.push(`${readerName}: ${table} has guard rule "${rule}", which verify does not know: upgrade this checkout`);
    }
  }
  return problems;
}

export interface ConsistencyProblem {
  catalogTable: string;
  tableId: string;
  kind: "hidden-rows-visible" | "granted-rows-missing" | "not-readable";
  owner: number;
  reader: number;
}

/** Pure comparison of owner and reader row counts for the granted table ids. */
export function compareRowCounts(
  owner: Map<string, RowCounts | undefined>,
  reader: Map<string, RowCounts | undefined>,
  granted: Set<string>,
): ConsistencyProblem[] {
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
