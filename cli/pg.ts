// PostgreSQL sessions for the workflow CLIs: short timeouts, the catalog schema on the search_path.
import { Client } from "pg";
import { CatalogConnection, pgClientConfig } from "../model/connection";
import { useCatalogSchema } from "./sqlFiles";

/** Connects, names the session after the command, and points unqualified names at the catalog schema. */
export async function connectCatalog(conn: CatalogConnection, schema: string, command: string): Promise<Client> {
  const client = new Client({ ...pgClientConfig(conn), application_name: `ducklake-${command}`,
    connectionTimeoutMillis: 10_000, statement_timeout: 60_000 });
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
