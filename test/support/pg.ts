// Per-test-file databases on the shared test PostgreSQL.
import { randomBytes } from "crypto";
import { withClient } from "../../postgres/connection";
import { pgAdmin, PgConnection } from "./services";

export { withClient };

/** Creates an empty database named `<prefix>_<random>` and returns a superuser connection to it. */
export async function createTestDatabase(prefix: string): Promise<PgConnection> {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(prefix)) throw new Error(`bad test database prefix ${prefix}`);
  const admin = pgAdmin();
  const database = `${prefix}_${randomBytes(4).toString("hex")}`;
  await withClient(admin, (c) => c.query(`CREATE DATABASE ${database}`));
  return { ...admin, database };
}

/** Drops a database made by createTestDatabase (terminating leftover sessions). */
export async function dropTestDatabase(conn: PgConnection): Promise<void> {
  await withClient(pgAdmin(), async (c) => {
    await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [conn.database]);
    await c.query(`DROP DATABASE IF EXISTS ${conn.database}`);
  });
}
