// How this project talks to PostgreSQL: node-postgres client options (TLS) for a CatalogConnection, one
// client per call, transactions, and the workflow CLIs' sessions. Used by the dynamic providers (so `pg`
// is required inside the functions: Pulumi serializes what they capture), the CLIs and the tests.
import type { Client, ClientBase, ClientConfig } from "pg";
import type { CatalogConnection } from "../model/connection";
import { quoteIdent } from "../model/names";

/** node-postgres client options for a CatalogConnection. */
export function pgClientConfig(c: CatalogConnection): {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  ssl?: false | { rejectUnauthorized: boolean; ca?: string; servername?: string };
} {
  const base = { host: c.host, port: c.port, database: c.database, user: c.user, password: c.password };
  if (c.sslmode === "disable") return { ...base, ssl: false };
  if (c.sslmode === "require") return { ...base, ssl: { rejectUnauthorized: false } };
  // TLS SNI must not carry an IP address (RFC 6066); node still checks the certificate's IP SAN against host.
  const isIp = /^[0-9.]+$/.test(c.host) || c.host.includes(":");
  return { ...base, ssl: { rejectUnauthorized: true, ca: c.sslRootCert, servername: isIp ? undefined : c.host } };
}

/** Runs `fn` with a connected client, closing it afterwards. */
export async function withClient<T>(config: ClientConfig, fn: (c: Client) => Promise<T>): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required inside the function: Pulumi serializes dynamic providers
  const pg = require("pg") as typeof import("pg");
  const client = new pg.Client(config);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs `fn` on a client connected to the catalog database (10 s connect timeout). */
export async function withCatalog<T>(conn: CatalogConnection, fn: (c: Client) => Promise<T>): Promise<T> {
  return withClient({ ...pgClientConfig(conn), connectionTimeoutMillis: 10000 }, fn);
}

/** Runs `fn` in one transaction on `client`: all of it commits, or nothing does. */
export async function inTransaction<T>(client: Pick<ClientBase, "query">, fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const out = await fn();
    await client.query("COMMIT");
    return out;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
}

/** Points unqualified names at the catalog schema for this session (the name is quoted, then passed as a value). */
export async function useCatalogSchema(client: Pick<ClientBase, "query">, schema: string): Promise<void> {
  await client.query("SELECT set_config('search_path', $1, false)", [quoteIdent(schema)]);
}

/** A workflow CLI's session: named after the command, short timeouts, the catalog schema on the search_path. */
export async function connectCatalog(conn: CatalogConnection, schema: string, command: string): Promise<Client> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required inside the function: Pulumi serializes dynamic providers
  const pg = require("pg") as typeof import("pg");
  const client = new pg.Client({
    ...pgClientConfig(conn),
    application_name: `ducklake-${command}`,
    connectionTimeoutMillis: 10_000,
    statement_timeout: 60_000,
  });
  client.on("error", () => undefined); // a dropped connection surfaces on the next query instead
  await client.connect();
  try {
    await useCatalogSchema(client, schema);
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
  return client;
}
