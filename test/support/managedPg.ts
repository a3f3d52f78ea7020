// The managed-PostgreSQL shape (issue 17) on the shared test server: a login with CREATEROLE and CREATEDB and
// nothing else, as RDS, Azure and Cloud SQL hand out. External-target tests connect only as such a login.
import { randomBytes } from "crypto";
import { withClient } from "../../postgres/connection";
import { pgAdmin, PgConnection } from "./services";

/** Creates `<prefix>_admin_<random>` LOGIN CREATEROLE CREATEDB (no superuser, no BYPASSRLS); database `postgres`. */
export async function createManagedAdmin(prefix: string): Promise<PgConnection> {
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(prefix)) throw new Error(`bad managed admin prefix ${prefix}`);
  const admin = pgAdmin();
  const user = `${prefix}_admin_${randomBytes(3).toString("hex")}`;
  const password = randomBytes(12).toString("hex");
  await withClient(admin, (c) => c.query(`CREATE ROLE ${user} LOGIN CREATEROLE CREATEDB NOSUPERUSER NOBYPASSRLS PASSWORD '${password}'`));
  return { ...admin, user, password, database: "postgres" };
}

/** Drops the login made by createManagedAdmin (its databases and roles must be dropped by the test first). */
export async function dropManagedAdmin(conn: PgConnection): Promise<void> {
  await withClient(pgAdmin(), async (c) => {
    await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()`, [conn.user]);
    await c.query(`DROP OWNED BY ${conn.user} CASCADE`).catch(() => undefined);
    await c.query(`DROP ROLE IF EXISTS ${conn.user}`);
  });
}
