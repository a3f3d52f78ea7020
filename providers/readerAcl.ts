// A reader's entries in the catalog guard's ACL, as one Pulumi dynamic resource per reader.
//
// Why per reader and not per grant: every registered resource costs a preview about 1 ms and 100 KB, and a
// dynamic resource also stores its serialized provider in state. At 20,000 grants a resource per entry
// means minutes and gigabytes; one per reader (200) is negligible. Each grant still appears in the preview
// as its own `ducklake:access:Grant` resource (components/grant.ts), and this resource's diff shows exactly
// which entries are added or removed. `read` returns the live ACL, so `pulumi refresh` shows entries added
// or revoked by hand, and the next `pulumi up` puts the list back.
//
// Partition grants (access.ts `rows`) are entries too: { schema, table, rows }, applied with grant_rows /
// revoke_rows. An entry is its whole filter: changing a filter revokes the old entry and grants the new one,
// and the same filter in another order is the same entry (canonicalGrants), so reordering shows no diff.
//
// The provider calls only the guard's own owner-only SQL functions (grant_read, revoke_read, grant_rows, revoke_rows, list_grants)
// with parameters, in one transaction per reader: a failing entry applies nothing of that reader's change.
//
// One more resource per LakeAccess, UndeclaredAcl, owns the rest of the ACL: entries of roles that are NOT
// declared readers (granted by hand). Its `read` lists them, so `pulumi refresh` shows them, and `pulumi up`
// revokes them all in one transaction. It never touches a declared reader's entries: those are ReaderAcl's.
import * as pulumi from "@pulumi/pulumi";
import type { Client } from "pg";
import type { CatalogConnection } from "../model/connection";
import { inTransaction as inClientTransaction, withCatalog as withCatalogClient } from "../postgres/connection";
import { grantRead, grantRows, parseGuardRows, revokeRead, revokeRows } from "../postgres/guardClient";
import { lakeNameProblem, readerNameProblem } from "../model/names";
import type { PartitionTransform } from "../model/accessSpec";
import { canonicalRows, columnNameProblem, describeRows, TEMPORAL_TRANSFORMS } from "../model/rowFilter";

/** One key of a partition grant's filter, as the guard takes it (grant_rows p_filter). */
export interface AclRowKey {
  column: string;
  transform: PartitionTransform;
  values: Array<string | null>;
}

/** One ACL entry: the whole schema when `table` is null; only the rows of the listed partitions when `rows` is set. */
export interface AclGrant {
  schema: string;
  table: string | null;
  /** Partition grant: keys sorted, values canonical and sorted (absent = the whole table or schema). */
  rows?: AclRowKey[];
}

export interface ReaderAclArgs {
  /** The catalog database as its owner (the guard's ACL functions are owner-only). Kept secret. */
  connection: pulumi.Input<CatalogConnection>;
  /** Reader login role. Changing it replaces the resource. */
  reader: pulumi.Input<string>;
  /** Everything this reader may read; order does not matter (stored sorted). */
  grants: pulumi.Input<AclGrant[]>;
}

interface ReaderAclState {
  connection: CatalogConnection;
  reader: string;
  grants: AclGrant[];
}

/** A filter's canonical form: keys sorted by their key text, values sorted and unique, no `key` field. */
export function canonicalAclRows(
  rows: ReadonlyArray<{ column: string; transform: PartitionTransform; values: ReadonlyArray<string | null> }>,
): AclRowKey[] {
  return canonicalRows(rows).map((r) => ({ column: r.column, transform: r.transform, values: r.values }));
}

/**
 * Canonical order and shape, so the same list in any order is the same input. Entries without rows keep
 * exactly the shape they had before partition grants existed (no `rows` field): existing stacks see no diff.
 */
export function canonicalGrants(
  grants: ReadonlyArray<{
    schema: string;
    table?: string | null;
    rows?: ReadonlyArray<{ column: string; transform: PartitionTransform; values: ReadonlyArray<string | null> }> | null;
  }>,
): AclGrant[] {
  const out: AclGrant[] = grants.map((g) =>
    g.rows && g.rows.length && g.table
      ? { schema: g.schema, table: g.table, rows: canonicalAclRows(g.rows) }
      : { schema: g.schema, table: g.table ?? null },
  );
  const key = (g: AclGrant) => JSON.stringify(g.rows ? [g.schema, g.table, g.rows] : [g.schema, g.table]);
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Problems with one entry's filter (inputs may come from anywhere: check before SQL sees them). */
function aclRowsProblems(rows: unknown): string[] {
  if (!Array.isArray(rows) || rows.length === 0) return ["rows must be a non-empty list of { column, transform, values }"];
  const problems: string[] = [];
  rows.forEach((r: any, i: number) => {
    if (r === null || typeof r !== "object") return void problems.push(`rows[${i}] is not an object`);
    const c = columnNameProblem(r.column);
    if (c) problems.push(`rows[${i}].column ${c}`);
    if (r.transform !== "identity" && !TEMPORAL_TRANSFORMS.includes(r.transform))
      problems.push(`rows[${i}].transform ${JSON.stringify(r.transform)} is not identity, year, month, day or hour`);
    if (!Array.isArray(r.values) || r.values.length === 0 || !r.values.every((v: unknown) => v === null || typeof v === "string"))
      problems.push(`rows[${i}].values must be a non-empty list of strings and nulls (canonical partition values)`);
  });
  return problems;
}

// Everything below runs inside Pulumi's dynamic-provider host: Pulumi serializes what these functions capture
// (postgres/connection.ts requires `pg` inside its functions), so keep the imports above small.
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // how preview passes values not known yet

type Query = (sql: string, params: unknown[]) => Promise<any[]>;

async function withCatalog<T>(conn: CatalogConnection, fn: (q: Query, client: Client) => Promise<T>): Promise<T> {
  return withCatalogClient(conn, (client) => fn(async (sql, params) => (await client.query(sql, params)).rows, client));
}

const sameEntry = (a: AclGrant, b: AclGrant) =>
  a.schema === b.schema && (a.table ?? null) === (b.table ?? null) && JSON.stringify(a.rows ?? null) === JSON.stringify(b.rows ?? null);
const missingFrom = (xs: AclGrant[], ys: AclGrant[]) => xs.filter((x) => !ys.some((y) => sameEntry(x, y)));

/** Runs `fn` in one transaction: all of it commits, or nothing does. */
async function inTransaction<T>(conn: CatalogConnection, fn: (q: Query, client: Client) => Promise<T>): Promise<T> {
  return withCatalog(conn, (q, client) => inClientTransaction(client, () => fn(q, client)));
}

/** Writes `desired` for `reader` in one transaction: revokes `revoke`, (re-)grants `grant`. */
async function apply(conn: CatalogConnection, reader: string, revoke: AclGrant[], grant: AclGrant[]): Promise<void> {
  await inTransaction(conn, async (_q, client) => {
    for (const g of revoke)
      if (g.rows && g.table !== null) await revokeRows(client, { reader, schema: g.schema, table: g.table, rows: g.rows });
      else await revokeRead(client, { reader, schema: g.schema, table: g.table });
    for (const g of grant)
      if (g.rows && g.table !== null) await grantRows(client, { reader, schema: g.schema, table: g.table, rows: g.rows });
      else await grantRead(client, { reader, schema: g.schema, table: g.table });
  });
}

/** The live entries of `reader` that still point at an existing schema/table (dropped ones read as absent). */
async function liveGrants(conn: CatalogConnection, reader: string): Promise<AclGrant[]> {
  const rows = await withCatalog(conn, (q) =>
    q("SELECT * FROM ducklake_guard.list_grants($1) WHERE status IN ('active', 'renamed')", [reader]),
  );
  // `rows` exists from the partition-grant migration on; before it, every entry is a table or schema grant.
  return canonicalGrants(rows.map((r) => ({ schema: r.schema_name, table: r.table_name, rows: parseGuardRows(r.rows) })));
}

/** Shared by every ReaderAcl (Pulumi serializes it once); exported for the integration tests. */
export const readerAclProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: unknown, news: any): Promise<pulumi.dynamic.CheckResult> {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (news.reader !== UNKNOWN) {
      const p = readerNameProblem(news.reader);
      if (p) failures.push({ property: "reader", reason: `reader ${p}` });
    }
    const listed = Array.isArray(news.grants) && news.grants.every((g: unknown) => g !== null && typeof g === "object");
    if (!listed)
      failures.push({ property: "grants", reason: "grants must be a list of { schema, table, rows? } (table null for the whole schema)" });
    const shaped: any[] = listed ? news.grants : [];
    const rowsFailures: pulumi.dynamic.CheckFailure[] = [];
    shaped.forEach((g, i) => {
      if (g.rows === undefined || g.rows === null) return;
      if (g.table === undefined || g.table === null)
        rowsFailures.push({ property: `grants[${i}].rows`, reason: "a partition grant (rows) needs a table" });
      for (const p of aclRowsProblems(g.rows)) rowsFailures.push({ property: `grants[${i}].rows`, reason: p });
    });
    failures.push(...rowsFailures);
    // A malformed filter cannot be put in canonical form; the other entries' names are still checked below.
    const grants: AclGrant[] = listed && !rowsFailures.length ? canonicalGrants(news.grants) : [];
    grants.forEach((g, i) => {
      const ps = lakeNameProblem(g.schema);
      if (ps) failures.push({ property: `grants[${i}].schema`, reason: `schema ${ps}` });
      if (g.table !== null) {
        const pt = lakeNameProblem(g.table);
        if (pt) failures.push({ property: `grants[${i}].table`, reason: `table ${pt}; omit the table to grant the whole schema` });
      }
      if (i > 0 && sameEntry(grants[i - 1], g))
        failures.push({
          property: `grants[${i}]`,
          reason: `duplicate grant of ${JSON.stringify({ schema: g.schema, table: g.table })}${g.rows ? ` [${describeRows(g.rows.map((r) => ({ ...r, key: "" })))}]` : ""}: list each schema/table once`,
        });
    });
    // A grant to a schema/table missing from the catalog fails here, at preview, whenever the catalog can be
    // reached (on a first deployment it cannot, and grant_read refuses it at apply with the same message).
    const c = news.connection;
    const known =
      c && typeof c === "object" && [c.host, c.port, c.database, c.user, c.password].every((v) => v !== undefined && v !== UNKNOWN);
    if (!failures.length && known && grants.length) {
      const found = await withCatalog(c, async (q) => {
        const [{ cs }] = await q(
          "SELECT CASE WHEN to_regprocedure('ducklake_guard.catalog_schema()') IS NULL THEN NULL ELSE ducklake_guard.catalog_schema() END AS cs",
          [],
        );
        if (cs === null) return undefined;
        const [{ ok }] = await q("SELECT to_regclass(format('%I.ducklake_table', $1::text)) IS NOT NULL AS ok", [cs]);
        if (!ok) return undefined;
        const quoted = `"${String(cs).replace(/"/g, '""')}"`; // the guard's own catalog schema name
        const existing = await q(
          `SELECT s.schema_name, t.table_name FROM ${quoted}.ducklake_schema s
          LEFT JOIN ${quoted}.ducklake_table t ON t.schema_id = s.schema_id AND t.end_snapshot IS NULL
          WHERE s.end_snapshot IS NULL`,
          [],
        );
        // This reader's entries still pinned to an object that was renamed since: the grant names the old name.
        const renamed =
          news.reader === UNKNOWN
            ? []
            : await q(
                `SELECT schema_name, table_name, current_schema_name, current_table_name
          FROM ducklake_guard.list_grants($1) WHERE status = 'renamed'`,
                [news.reader],
              );
        return { existing, renamed };
      }).catch(() => undefined);
      if (found) {
        for (const g of grants) {
          if (found.existing.some((r: any) => r.schema_name === g.schema && (g.table === null || r.table_name === g.table))) continue;
          const to = found.renamed.find((r: any) => r.schema_name === g.schema && (r.table_name ?? null) === g.table);
          failures.push({
            property: "grants",
            reason: to
              ? g.table === null
                ? `DuckLake schema "${g.schema}" was renamed to "${to.current_schema_name}": update the grant in access.ts`
                : `DuckLake table "${g.schema}"."${g.table}" was renamed to "${to.current_schema_name}"."${to.current_table_name}": update the grant in access.ts`
              : g.table === null
                ? `DuckLake schema "${g.schema}" does not exist in the catalog: fix the name or create the schema first`
                : `DuckLake table "${g.schema}"."${g.table}" does not exist in the catalog: fix the name, create the table first, or grant the whole schema`,
          });
        }
      }
    }
    return { inputs: { ...news, grants }, failures };
  },

  async diff(_id: pulumi.ID, olds: ReaderAclState, news: ReaderAclState): Promise<pulumi.dynamic.DiffResult> {
    const replaces: string[] = [];
    if (olds.reader !== news.reader) replaces.push("reader");
    const o = olds.connection,
      n = news.connection;
    if (o.host !== n.host || o.port !== n.port || o.database !== n.database) replaces.push("connection");
    const grantsChanged = JSON.stringify(canonicalGrants(olds.grants)) !== JSON.stringify(canonicalGrants(news.grants));
    const changes = replaces.length > 0 || grantsChanged || JSON.stringify(o) !== JSON.stringify(n);
    return { changes, replaces, deleteBeforeReplace: true };
  },

  async create(inputs: ReaderAclState): Promise<pulumi.dynamic.CreateResult> {
    const grants = canonicalGrants(inputs.grants);
    // The role may hold entries already (granted by hand before it was declared): the list replaces them.
    const live = await liveGrants(inputs.connection, inputs.reader);
    await apply(inputs.connection, inputs.reader, missingFrom(live, grants), grants);
    return { id: inputs.reader, outs: { ...inputs, grants } };
  },

  async read(id: pulumi.ID, props: ReaderAclState): Promise<pulumi.dynamic.ReadResult> {
    return { id, props: { ...props, grants: await liveGrants(props.connection, props.reader) } };
  },

  async update(_id: pulumi.ID, olds: ReaderAclState, news: ReaderAclState): Promise<pulumi.dynamic.UpdateResult> {
    const desired = canonicalGrants(news.grants);
    // Revoke against the live list, so an entry added by hand is removed too; grant everything desired
    // that is not live (grant_read is idempotent and re-pins a grant whose table was re-created).
    const live = await liveGrants(news.connection, news.reader);
    const previous = canonicalGrants(olds.grants);
    const revoke = [...missingFrom(live, desired), ...missingFrom(missingFrom(previous, desired), live)];
    await apply(news.connection, news.reader, revoke, missingFrom(desired, live));
    return { outs: { ...news, grants: desired } };
  },

  async delete(_id: pulumi.ID, props: ReaderAclState): Promise<void> {
    const live = await liveGrants(props.connection, props.reader).catch(() => [] as AclGrant[]);
    const all = [...canonicalGrants(props.grants), ...missingFrom(live, canonicalGrants(props.grants))];
    await apply(props.connection, props.reader, all, []);
  },
};

/** Everything one reader may read, kept equal to its grants in code (see the top of this file). */
export class ReaderAcl extends pulumi.dynamic.Resource {
  /** The owner connection (secret). */
  declare public readonly connection: pulumi.Output<CatalogConnection>;
  declare public readonly reader: pulumi.Output<string>;
  declare public readonly grants: pulumi.Output<AclGrant[]>;

  constructor(name: string, args: ReaderAclArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      readerAclProvider,
      name,
      {
        connection: pulumi.secret(args.connection),
        reader: args.reader,
        grants: pulumi.output(args.grants).apply(canonicalGrants),
      },
      { ...opts, additionalSecretOutputs: ["connection", ...(opts?.additionalSecretOutputs ?? [])] },
      "ducklake",
      "ReaderAcl",
    );
  }
}

// ---- UndeclaredAcl: the entries of every role that is not a declared reader --------------------------------

/** An ACL entry of a role the stack does not declare, under the names it was granted with. */
export interface UndeclaredEntry {
  reader: string;
  schema: string;
  table: string | null;
  /** A partition grant's filter (absent for table and schema entries). */
  rows?: AclRowKey[];
}

export interface UndeclaredAclArgs {
  /** The catalog database as its owner (the guard's ACL functions are owner-only). Kept secret. */
  connection: pulumi.Input<CatalogConnection>;
  /** Every reader the stack declares: their entries are never touched. Order does not matter (stored sorted). */
  declaredReaders: pulumi.Input<string[]>;
}

interface UndeclaredAclState {
  connection: CatalogConnection;
  declaredReaders: string[];
  entries: UndeclaredEntry[];
}

/** Sorted, without duplicates, so the same readers in any order are the same input. */
export function canonicalReaders(readers: ReadonlyArray<string>): string[] {
  return [...new Set(readers)].sort();
}

/** Canonical order: by reader, schema, then table (whole-schema entries first). */
function canonicalEntries(entries: UndeclaredEntry[]): UndeclaredEntry[] {
  // "" is never a table: schema entries first; a table's partition entries after its table entry.
  const key = (e: UndeclaredEntry) =>
    JSON.stringify(e.rows ? [e.reader, e.schema, e.table ?? "", e.rows] : [e.reader, e.schema, e.table ?? ""]);
  return entries
    .map((e): UndeclaredEntry =>
      e.rows && e.rows.length && e.table
        ? { reader: e.reader, schema: e.schema, table: e.table, rows: canonicalAclRows(e.rows) }
        : { reader: e.reader, schema: e.schema, table: e.table ?? null },
    )
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * Every ACL entry of a role not in `declared`, whatever its status: entries pinned to dropped tables or left
 * by a dropped role are cleaned too (a role re-created under that name must not find them).
 */
async function undeclaredEntries(q: Query, declared: string[]): Promise<UndeclaredEntry[]> {
  const rows = await q(
    `SELECT l.*, l.reader::text AS reader_name FROM ducklake_guard.list_grants(NULL) l
    WHERE NOT (l.reader::text = ANY ($1::text[]))`,
    [declared],
  );
  // The SQL filter already excludes declared readers; filtering again keeps that true whatever the SQL does.
  return canonicalEntries(
    rows
      .filter((r) => !declared.includes(r.reader_name))
      .map((r) => ({ reader: r.reader_name, schema: r.schema_name, table: r.table_name ?? null, rows: parseGuardRows(r.rows) })),
  );
}

/** Revokes every undeclared entry in one transaction (list and revokes see the same ACL). */
async function sweep(conn: CatalogConnection, declared: string[]): Promise<void> {
  await inTransaction(conn, async (q, client) => {
    for (const e of await undeclaredEntries(q, declared)) {
      if (declared.includes(e.reader)) throw new Error(`refusing to revoke an entry of declared reader "${e.reader}"`);
      // Revoking an entry that is gone meanwhile returns false: harmless.
      if (e.rows && e.table !== null) await revokeRows(client, { reader: e.reader, schema: e.schema, table: e.table, rows: e.rows });
      else await revokeRead(client, e);
    }
  });
}

/** One per LakeAccess (Pulumi serializes it once); exported for the integration tests. */
export const undeclaredAclProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: unknown, news: any): Promise<pulumi.dynamic.CheckResult> {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const listed = Array.isArray(news.declaredReaders);
    if (!listed) failures.push({ property: "declaredReaders", reason: "declaredReaders must be a list of reader names" });
    const readers: unknown[] = listed ? news.declaredReaders : [];
    readers.forEach((r, i) => {
      const p = readerNameProblem(r);
      if (p) failures.push({ property: `declaredReaders[${i}]`, reason: `reader ${p}` });
    });
    const declaredReaders = failures.length ? [] : canonicalReaders(readers as string[]);
    // `entries` is always [] in the program: what the live ACL must hold outside the declared readers.
    return { inputs: { connection: news.connection, declaredReaders, entries: [] }, failures };
  },

  async diff(_id: pulumi.ID, olds: UndeclaredAclState, news: UndeclaredAclState): Promise<pulumi.dynamic.DiffResult> {
    const live = (olds.entries ?? []).length > 0; // found by the last refresh
    const readersChanged =
      JSON.stringify(canonicalReaders(olds.declaredReaders ?? [])) !== JSON.stringify(canonicalReaders(news.declaredReaders));
    const connectionChanged = JSON.stringify(olds.connection) !== JSON.stringify(news.connection);
    return { changes: live || readersChanged || connectionChanged, replaces: [] };
  },

  async create(inputs: UndeclaredAclState): Promise<pulumi.dynamic.CreateResult> {
    const declaredReaders = canonicalReaders(inputs.declaredReaders);
    await sweep(inputs.connection, declaredReaders);
    return { id: "undeclared", outs: { ...inputs, declaredReaders, entries: [] } };
  },

  async read(id: pulumi.ID, props: UndeclaredAclState): Promise<pulumi.dynamic.ReadResult> {
    const declaredReaders = canonicalReaders(props.declaredReaders);
    const entries = await withCatalog(props.connection, (q) => undeclaredEntries(q, declaredReaders));
    return { id, props: { ...props, entries } };
  },

  async update(_id: pulumi.ID, _olds: UndeclaredAclState, news: UndeclaredAclState): Promise<pulumi.dynamic.UpdateResult> {
    const declaredReaders = canonicalReaders(news.declaredReaders);
    await sweep(news.connection, declaredReaders);
    return { outs: { ...news, declaredReaders, entries: [] } };
  },

  // Nothing to undo: the sweep only removed access, and removing the stack must not grant anything back.
  async delete(): Promise<void> {
    /* nothing */
  },
};

/** Revokes, on `pulumi up`, every ACL entry of a role that is not a declared reader; `pulumi refresh` shows them. */
export class UndeclaredAcl extends pulumi.dynamic.Resource {
  /** The owner connection (secret). */
  declare public readonly connection: pulumi.Output<CatalogConnection>;
  /** The declared readers, sorted: their entries are ReaderAcl's, never this resource's. */
  declare public readonly declaredReaders: pulumi.Output<string[]>;
  /** Live entries of undeclared roles as of the last refresh; [] after every apply. */
  declare public readonly entries: pulumi.Output<UndeclaredEntry[]>;

  constructor(name: string, args: UndeclaredAclArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      undeclaredAclProvider,
      name,
      {
        connection: pulumi.secret(args.connection),
        declaredReaders: pulumi.output(args.declaredReaders).apply(canonicalReaders),
        entries: [],
      },
      { ...opts, additionalSecretOutputs: ["connection", ...(opts?.additionalSecretOutputs ?? [])] },
      "ducklake",
      "UndeclaredAcl",
    );
  }
}
