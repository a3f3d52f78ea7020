// One ACL entry of the catalog guard as a Pulumi dynamic resource: reader may read one DuckLake table, or
// a whole schema. It calls the guard's own SQL functions (ducklake_guard.grant_read / revoke_read /
// list_grants) with parameters. The provider object is module-level and shared by every entry, so Pulumi
// serializes it once; its functions capture only small helpers (state carries the provider text per
// resource, so size matters at 20,000 entries).
import * as pulumi from "@pulumi/pulumi";
import type { CatalogConnection } from "../model/connection";
import { lakeNameProblem, readerNameProblem } from "../model/names";

export interface AclEntryArgs {
  /** How to reach the catalog database as its owner (the guard's functions are owner-only). Secret. */
  connection: pulumi.Input<CatalogConnection>;
  /** Reader login role (see model/names readerNameProblem). Changing it replaces the entry. */
  reader: pulumi.Input<string>;
  /** DuckLake schema name as in ducklake_schema.schema_name. Changing it replaces the entry. */
  schema: pulumi.Input<string>;
  /** DuckLake table name; null/omitted grants the whole schema including later tables. */
  table?: pulumi.Input<string | null>;
}

/** Inputs after `check`. */
export interface AclEntryInputs {
  connection: CatalogConnection;
  reader: string;
  schema: string;
  table: string | null;
}

/** State after create/read: the inputs plus what the guard resolved. */
export interface AclEntryOutputs extends AclEntryInputs {
  schemaId: number;
  tableId: number | null;
  /** active | renamed | dropped | role missing — what the pinned ids point at now. */
  status: string;
}

// Small, self-contained helpers (captured by the serialized provider).
function clientConfig(c: CatalogConnection) {
  const ssl = c.sslmode === "disable" ? false
    : c.sslmode === "require" ? { rejectUnauthorized: false }
      : { rejectUnauthorized: true, ca: c.sslRootCert, servername: c.host };
  return { host: c.host, port: c.port, database: c.database, user: c.user, password: c.password, ssl, connectionTimeoutMillis: 10000 };
}

async function withCatalog<T>(conn: CatalogConnection, fn: (q: (sql: string, params: unknown[]) => Promise<any[]>) => Promise<T>): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { Client } = require("pg");
  const client = new Client(clientConfig(conn));
  await client.connect();
  try {
    return await fn(async (sql, params) => (await client.query(sql, params)).rows);
  } finally {
    await client.end();
  }
}

function entryId(i: { reader: string; schema: string; table: string | null }): string {
  return JSON.stringify([i.reader, i.schema, i.table]);
}

async function readEntry(conn: CatalogConnection, i: { reader: string; schema: string; table: string | null }) {
  return withCatalog(conn, async (q) => {
    const rows = await q("SELECT schema_id, table_id, status FROM ducklake_guard.list_grants($1) WHERE schema_name = $2 AND table_name IS NOT DISTINCT FROM $3",
      [i.reader, i.schema, i.table]);
    return rows[0] as { schema_id: string; table_id: string | null; status: string } | undefined;
  });
}

function isKnown(v: unknown): boolean {
  // During preview unknown values reach `check` as this sentinel.
  return v !== undefined && v !== "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
}

/** Whether (schema, table) exists in the current snapshot; undefined when that cannot be known yet. */
async function catalogHas(conn: CatalogConnection, schema: string, table: string | null): Promise<boolean | undefined> {
  // One catalog listing per connection per 30 s: `check` runs for every entry on every preview.
  const g = globalThis as unknown as { __ducklakeGuardNames?: Map<string, { at: number; names: Promise<Set<string> | undefined> }> };
  const cache = (g.__ducklakeGuardNames ??= new Map());
  const key = `${conn.host}:${conn.port}/${conn.database}`;
  let hit = cache.get(key);
  if (!hit || Date.now() - hit.at > 30000) {
    const names = withCatalog(conn, async (q) => {
      const installed = await q("SELECT to_regprocedure('ducklake_guard.catalog_schema()') IS NOT NULL AS ok", []);
      if (!installed[0].ok) return undefined;
      const cs = (await q("SELECT ducklake_guard.catalog_schema() AS s", []))[0].s as string;
      const exists = await q("SELECT to_regclass(format('%I.ducklake_table', $1::text)) IS NOT NULL AS ok", [cs]);
      if (!exists[0].ok) return undefined;
      const qs = `"${cs.replace(/"/g, '""')}"`; // the guard's own catalog schema, quoted
      const rows = await q(`SELECT s.schema_name, t.table_name FROM ${qs}.ducklake_schema s
        LEFT JOIN ${qs}.ducklake_table t ON t.schema_id = s.schema_id AND t.end_snapshot IS NULL WHERE s.end_snapshot IS NULL`, []);
      const set = new Set<string>();
      for (const r of rows) { set.add(JSON.stringify([r.schema_name])); if (r.table_name !== null) set.add(JSON.stringify([r.schema_name, r.table_name])); }
      return set;
    }).catch(() => undefined); // unreachable at preview (e.g. server not created yet): the grant function checks at create
    hit = { at: Date.now(), names };
    cache.set(key, hit);
  }
  const names = await hit.names;
  if (!names) return undefined;
  return names.has(JSON.stringify(table === null ? [schema] : [schema, table]));
}

/** The dynamic provider shared by all AclEntry resources (exported for integration tests). */
export const aclEntryProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: unknown, news: any): Promise<pulumi.dynamic.CheckResult> {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const table = news.table === undefined || news.table === "" ? null : news.table;
    if (isKnown(news.reader)) {
      const p = readerNameProblem(news.reader);
      if (p) failures.push({ property: "reader", reason: `reader ${p}` });
    }
    if (isKnown(news.schema)) {
      const p = lakeNameProblem(news.schema);
      if (p) failures.push({ property: "schema", reason: `schema ${p}` });
    }
    if (table !== null && isKnown(table)) {
      const p = lakeNameProblem(table);
      if (p) failures.push({ property: "table", reason: `table ${p}; omit table (null) to grant the whole schema` });
    }
    const c = news.connection;
    const connKnown = c && typeof c === "object" && [c.host, c.port, c.database, c.user, c.password].every(isKnown);
    if (!failures.length && connKnown && isKnown(news.schema) && isKnown(table)) {
      const found = await catalogHas(c, news.schema, table);
      if (found === false)
        failures.push({ property: table === null ? "schema" : "table",
          reason: table === null ? `DuckLake schema "${news.schema}" does not exist in the catalog; create it first or fix the name`
            : `DuckLake table "${news.schema}"."${table}" does not exist in the catalog; create it first, fix the name, or grant the whole schema` });
    }
    return { inputs: { ...news, table }, failures };
  },

  async diff(_id: pulumi.ID, olds: AclEntryOutputs, news: AclEntryInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces: string[] = [];
    for (const k of ["reader", "schema", "table"] as const) if ((olds[k] ?? null) !== (news[k] ?? null)) replaces.push(k);
    const o = olds.connection, n = news.connection;
    if (o.host !== n.host || o.port !== n.port || o.database !== n.database) replaces.push("connection");
    // A grant whose pinned table was dropped (seen by refresh) is re-pinned to today's table of that name.
    if (!replaces.length && olds.status && olds.status !== "active" && olds.status !== "renamed") replaces.push("table");
    const changes = replaces.length > 0 || JSON.stringify(o) !== JSON.stringify(n);
    // Same (reader, schema, table) key: the old grant must go before the new one is written.
    return { changes, replaces, deleteBeforeReplace: true };
  },

  async create(inputs: AclEntryInputs): Promise<pulumi.dynamic.CreateResult> {
    const i = { reader: inputs.reader, schema: inputs.schema, table: inputs.table ?? null };
    const row = await withCatalog(inputs.connection, async (q) => {
      await q("SELECT ducklake_guard.grant_read($1, $2, $3)", [i.reader, i.schema, i.table]);
      return (await q("SELECT schema_id, table_id, status FROM ducklake_guard.list_grants($1) WHERE schema_name = $2 AND table_name IS NOT DISTINCT FROM $3",
        [i.reader, i.schema, i.table]))[0];
    });
    return { id: entryId(i), outs: { ...inputs, table: i.table, schemaId: Number(row.schema_id),
      tableId: row.table_id === null ? null : Number(row.table_id), status: row.status } };
  },

  async read(id: pulumi.ID, props: AclEntryOutputs): Promise<pulumi.dynamic.ReadResult> {
    const i = { reader: props.reader, schema: props.schema, table: props.table ?? null };
    const row = await readEntry(props.connection, i);
    if (!row) return { id: "" }; // revoked by hand: gone from the ACL, so refresh drops it from state
    return { id, props: { ...props, table: i.table, schemaId: Number(row.schema_id),
      tableId: row.table_id === null ? null : Number(row.table_id), status: row.status } };
  },

  async update(_id: pulumi.ID, _olds: AclEntryOutputs, news: AclEntryInputs): Promise<pulumi.dynamic.UpdateResult> {
    // Only credentials changed: re-assert the grant (idempotent) through the new connection.
    const i = { reader: news.reader, schema: news.schema, table: news.table ?? null };
    const row = await withCatalog(news.connection, async (q) => {
      await q("SELECT ducklake_guard.grant_read($1, $2, $3)", [i.reader, i.schema, i.table]);
      return (await q("SELECT schema_id, table_id, status FROM ducklake_guard.list_grants($1) WHERE schema_name = $2 AND table_name IS NOT DISTINCT FROM $3",
        [i.reader, i.schema, i.table]))[0];
    });
    return { outs: { ...news, table: i.table, schemaId: Number(row.schema_id),
      tableId: row.table_id === null ? null : Number(row.table_id), status: row.status } };
  },

  async delete(_id: pulumi.ID, props: AclEntryOutputs): Promise<void> {
    await withCatalog(props.connection, (q) => q("SELECT ducklake_guard.revoke_read($1, $2, $3)", [props.reader, props.schema, props.table ?? null]));
  },
};

/** One guard ACL entry: `reader` may read `schema`.`table` (or all of `schema`). */
export class AclEntry extends pulumi.dynamic.Resource {
  declare public readonly connection: pulumi.Output<CatalogConnection>;
  declare public readonly reader: pulumi.Output<string>;
  declare public readonly schema: pulumi.Output<string>;
  declare public readonly table: pulumi.Output<string | null>;
  /** Catalog id of the granted schema (pinned at grant time). */
  declare public readonly schemaId: pulumi.Output<number>;
  /** Catalog id of the granted table, null for a schema grant (pinned: a re-created table is not granted). */
  declare public readonly tableId: pulumi.Output<number | null>;
  declare public readonly status: pulumi.Output<string>;

  constructor(name: string, args: AclEntryArgs, opts?: pulumi.CustomResourceOptions) {
    super(aclEntryProvider, name, {
      connection: pulumi.secret(args.connection), reader: args.reader, schema: args.schema, table: args.table ?? null,
      schemaId: undefined, tableId: undefined, status: undefined,
    }, { ...opts, additionalSecretOutputs: ["connection", ...(opts?.additionalSecretOutputs ?? [])] }, "ducklake", "AclEntry");
  }
}
