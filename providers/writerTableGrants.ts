// The writer's privileges on the catalog tables that exist already, as a Pulumi dynamic resource that
// only ever adds. It replaces a postgresql.Grant on "all tables in schema": that resource's read compares
// each table's privilege set *exactly* (terraform-provider-postgresql, resource_postgresql_grant.go,
// readRolePrivileges), so the first table the writer creates itself (all seven privileges) reads as drift,
// and its update runs REVOKE ALL … ON ALL TABLES then GRANT — on every refresh. Here read reports only the
// tables owned by the catalog owner on which the writer lacks one of the four privileges; create/update
// grant exactly those; nothing is ever revoked from tables the writer owns. Tables created later are
// covered by the owner → writer default privileges (postgresql.DefaultPrivileges in components/catalog.ts).
import * as pulumi from "@pulumi/pulumi";
import type { CatalogConnection } from "../model/connection";
import { withCatalog } from "../postgres/connection";

export const WRITER_TABLE_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;

export interface WriterTableGrantsArgs {
  /** Superuser (or owner) connection to the catalog database (secret). */
  connection: pulumi.Input<CatalogConnection>;
  schema: pulumi.Input<string>;
  /** Role owning the catalog tables (DuckLake's first ATTACH). */
  owner: pulumi.Input<string>;
  /** Role that gets SELECT, INSERT, UPDATE, DELETE on them. */
  writer: pulumi.Input<string>;
}

interface State {
  connection: CatalogConnection;
  schema: string;
  owner: string;
  writer: string;
  missing?: string[];
}

// Everything below runs inside Pulumi's dynamic-provider host: Pulumi serializes what these functions capture
// (postgres/connection.ts requires `pg` inside its functions), so keep the imports above small.
type Query = (sql: string, params: unknown[]) => Promise<any[]>;

async function withDb<T>(conn: CatalogConnection, fn: (q: Query) => Promise<T>): Promise<T> {
  return withCatalog(conn, (client) => fn(async (sql, params) => (await client.query(sql, params)).rows));
}

// Owner-owned plain/partitioned tables of schema $1 on which role $3 lacks one of the four privileges.
const LACKING_TABLES = `
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relowner = to_regrole($2)
    AND NOT (has_table_privilege(to_regrole($3), c.oid, 'SELECT') AND has_table_privilege(to_regrole($3), c.oid, 'INSERT')
         AND has_table_privilege(to_regrole($3), c.oid, 'UPDATE') AND has_table_privilege(to_regrole($3), c.oid, 'DELETE'))`;

/** Tables in `schema` owned by `owner` on which `writer` lacks one of the four privileges (sorted). */
export async function missingWriterTables(conn: CatalogConnection, schema: string, owner: string, writer: string): Promise<string[]> {
  return withDb(conn, async (q) => {
    const [{ ok }] = await q("SELECT to_regrole($1) IS NOT NULL AND to_regrole($2) IS NOT NULL AND to_regnamespace($3) IS NOT NULL AS ok", [
      quoteIdentSql(owner),
      quoteIdentSql(writer),
      quoteIdentSql(schema),
    ]);
    if (!ok) return [];
    const rows = await q(`SELECT c.relname ${LACKING_TABLES} ORDER BY c.relname COLLATE "C"`, [
      schema,
      quoteIdentSql(owner),
      quoteIdentSql(writer),
    ]);
    return rows.map((r) => r.relname as string);
  });
}

/** Grants the four privileges on every owner-owned table in `schema` that lacks one; one transaction. */
export async function grantWriterTables(conn: CatalogConnection, schema: string, owner: string, writer: string): Promise<void> {
  await withDb(conn, async (q) => {
    await q("BEGIN", []);
    try {
      // Identifiers are quoted server-side by format('%I'); the privilege list is fixed text.
      const rows = await q(
        `SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %I.%I TO %I', n.nspname, c.relname, $4::text) AS stmt
        ${LACKING_TABLES} ORDER BY c.relname COLLATE "C"`,
        [schema, quoteIdentSql(owner), quoteIdentSql(writer), writer],
      );
      for (const { stmt } of rows) await q(stmt, []);
      await q("COMMIT", []);
    } catch (e) {
      await q("ROLLBACK", []).catch(() => undefined);
      throw e;
    }
  });
}

/** to_regrole/to_regnamespace parse their argument as a (possibly quoted) identifier: quote it. */
function quoteIdentSql(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const same = (a: State, b: State) =>
  a.schema === b.schema &&
  a.owner === b.owner &&
  a.writer === b.writer &&
  a.connection.host === b.connection.host &&
  a.connection.database === b.connection.database;

/** Shared by every WriterTableGrants (Pulumi serializes it once); exported for the integration tests. */
export const writerTableGrantsProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: pulumi.ID, olds: State, news: State): Promise<pulumi.dynamic.DiffResult> {
    // After a refresh, olds.missing lists tables that lost a privilege: an update grants it again.
    const changes = !same(olds, news) || (olds.missing ?? []).length > 0;
    return { changes, replaces: [], deleteBeforeReplace: false };
  },
  async create(inputs: State): Promise<pulumi.dynamic.CreateResult> {
    await grantWriterTables(inputs.connection, inputs.schema, inputs.owner, inputs.writer);
    return { id: `${inputs.connection.database}/${inputs.schema}/${inputs.writer}`, outs: { ...inputs, missing: [] } };
  },
  async read(id: pulumi.ID, props: State): Promise<pulumi.dynamic.ReadResult> {
    const missing = await missingWriterTables(props.connection, props.schema, props.owner, props.writer);
    return { id, props: { ...props, missing } };
  },
  async update(_id: pulumi.ID, _olds: State, news: State): Promise<pulumi.dynamic.UpdateResult> {
    await grantWriterTables(news.connection, news.schema, news.owner, news.writer);
    return { outs: { ...news, missing: [] } };
  },
  // Delete revokes nothing: the default privileges (their own resource) keep covering later tables, and
  // taking rights from a writer mid-pipeline is never what removing this resource means.
  async delete(): Promise<void> {
    /* nothing to undo safely */
  },
};

/** SELECT, INSERT, UPDATE, DELETE for the writer on the owner's existing catalog tables; never revokes. */
export class WriterTableGrants extends pulumi.dynamic.Resource {
  declare public readonly missing: pulumi.Output<string[]>;

  constructor(name: string, args: WriterTableGrantsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      writerTableGrantsProvider,
      name,
      { ...args, connection: pulumi.secret(args.connection), missing: undefined },
      { ...opts, additionalSecretOutputs: ["connection", ...(opts?.additionalSecretOutputs ?? [])] },
      "ducklake",
      "WriterTableGrants",
    );
  }
}
