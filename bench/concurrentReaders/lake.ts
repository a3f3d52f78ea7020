// A small guarded lake for the concurrent-readers bench: the catalog owner builds it with DuckDB itself
// (one table), the catalog guard is installed as a superuser, readers are login roles in the reader base
// role with a CONNECTION LIMIT and a grant_read on the table.
import { Client } from "pg";
import { DuckDBInstance } from "@duckdb/node-api";
import { installGuard, grantRead } from "../../postgres/guardClient";
import { quoteIdent, quoteLiteral, READER_BASE_ROLE } from "../../model/names";
import { duckLakeAttachSql } from "../../model/attach";
import { libpqQuote } from "../../model/libpq";

export const OWNER = "ducklake_owner";
export const CATALOG_SCHEMA = "lake";

export interface PgAdmin {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}
export interface BenchLake {
  host: string;
  port: number;
  database: string;
  ownerPassword: string;
  readerPassword: string;
  dataPath: string;
}

/** DuckDB options that load the offline extensions of ../shared/duckdb when the folder exists. */
export function duckdbOptions(extensionDir: string | undefined): Record<string, string> {
  const o: Record<string, string> = { threads: "1" };
  if (extensionDir) Object.assign(o, { allow_unsigned_extensions: "true", extension_directory: extensionDir });
  return o;
}

export function conninfo(c: { host: string; port: number; database: string; user: string; password: string }): string {
  return [
    `dbname=${libpqQuote(c.database)}`,
    `host=${libpqQuote(c.host)}`,
    `port=${libpqQuote(String(c.port))}`,
    `user=${libpqQuote(c.user)}`,
    `password=${libpqQuote(c.password)}`,
    "sslmode='disable'",
    "connect_timeout='20'",
  ].join(" ");
}

export function attachReadOnlySql(c: Parameters<typeof conninfo>[0]): string {
  return duckLakeAttachSql({
    metadata: `postgres:${conninfo(c)}`,
    alias: "lake",
    options: [{ readOnly: true }, { metadataSchema: CATALOG_SCHEMA }],
  });
}

async function withClient<T>(c: PgAdmin, fn: (cl: Client) => Promise<T>): Promise<T> {
  const cl = new Client(c);
  await cl.connect();
  try {
    return await fn(cl);
  } finally {
    await cl.end();
  }
}

/** Creates the owner, the database, the DuckLake (one table of `rows` rows) and installs the guard. */
export async function buildLake(
  admin: PgAdmin,
  o: { database: string; dataPath: string; extensionDir?: string; rows?: number },
): Promise<BenchLake> {
  const ownerPassword = "owner" + Math.random().toString(36).slice(2, 12);
  const readerPassword = "reader" + Math.random().toString(36).slice(2, 12);
  await withClient(admin, async (c) => {
    await c.query(`CREATE ROLE ${quoteIdent(OWNER)} LOGIN PASSWORD ${quoteLiteral(ownerPassword)}`);
    await c.query(`CREATE DATABASE ${quoteIdent(o.database)} OWNER ${quoteIdent(OWNER)}`);
  });
  await withClient({ ...admin, database: o.database, user: OWNER, password: ownerPassword }, (c) =>
    c.query(`CREATE SCHEMA ${quoteIdent(CATALOG_SCHEMA)}`),
  );
  const db = await DuckDBInstance.create(":memory:", duckdbOptions(o.extensionDir));
  const dc = await db.connect();
  const ownerConn = { host: admin.host, port: admin.port, database: o.database, user: OWNER, password: ownerPassword };
  await dc.run(
    duckLakeAttachSql({
      metadata: `postgres:${conninfo(ownerConn)}`,
      alias: "lake",
      options: [{ dataPath: o.dataPath }, { metadataSchema: CATALOG_SCHEMA }],
    }),
  );
  await dc.run("CREATE SCHEMA lake.sales");
  await dc.run(
    `CREATE TABLE lake.sales.orders AS SELECT range AS id, range % 97 AS customer, (range * 7) % 1000 AS cents FROM range(${o.rows ?? 10000})`,
  );
  await dc.run("CREATE TABLE lake.sales.secret AS SELECT 42 AS answer");
  dc.closeSync();
  db.closeSync();
  await withClient({ ...admin, database: o.database }, (c) => installGuard(c, { catalogSchema: CATALOG_SCHEMA, catalogOwner: OWNER }));
  return { host: admin.host, port: admin.port, database: o.database, ownerPassword, readerPassword, dataPath: o.dataPath };
}

/** Reader roles `<prefix>NNN` with CONNECTION LIMIT `limit`, each granted sales.orders. */
export async function createReaders(admin: PgAdmin, lake: BenchLake, names: string[], limit: number): Promise<void> {
  await withClient({ ...admin, database: lake.database }, async (c) => {
    for (const name of names) {
      await c.query(
        `CREATE ROLE ${quoteIdent(name)} LOGIN PASSWORD ${quoteLiteral(lake.readerPassword)} ` +
          `CONNECTION LIMIT ${Math.floor(limit)} IN ROLE ${quoteIdent(READER_BASE_ROLE)}`,
      );
      await grantRead(c, { reader: name, schema: "sales", table: "orders" });
    }
  });
}
