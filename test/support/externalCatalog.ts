// The catalog database set up the way the external target does it (components/catalog.ts with
// adminIsSuperuser: false), connecting only as a managed-shape admin (test/support/managedPg.ts: LOGIN
// CREATEROLE CREATEDB, no superuser) and then as the owner login. The statements are what the postgresql
// provider runs for the Catalog's resources, in the order their dependencies give; the dynamic providers'
// own functions (ReaderBaseRole, WriterTableGrants) run as they are. Role names carry a prefix: roles are
// cluster-wide and the test server is shared.
import { randomBytes } from "crypto";
import { withClient } from "../../postgres/connection";
import { quoteIdent, quoteLiteral } from "../../model/names";
import { ensureReaderBaseRole } from "../../providers/readerBaseRole";
import { grantWriterTables } from "../../providers/writerTableGrants";
import type { CatalogConnection } from "../../model/connection";
import { createManagedAdmin, dropManagedAdmin } from "./managedPg";
import { pgAdmin, PgConnection } from "./services";

/** A catalog database on the external target's terms. */
export interface ExternalCatalog {
  /** The managed admin, connected to database `postgres`. */
  admin: PgConnection;
  /** The admin, connected to the catalog database. */
  adminDb: PgConnection;
  /** The owner login (installs the guard, runs DuckLake's first ATTACH, enrols readers through the guard). */
  owner: PgConnection;
  /** The writer login: no BYPASSRLS. */
  writer: PgConnection;
  database: string;
  /** Creates a reader login as LakeReader does (CREATE ROLE … IN ROLE ducklake_reader), as the admin. */
  createReader(name: string, password: string): Promise<void>;
  /** Drops the database, the roles and the admin (as the test server's superuser: cleanup, not the system under test). */
  drop(readers?: string[]): Promise<void>;
}

const disable = (c: PgConnection): CatalogConnection => ({ ...c, sslmode: "disable" });

/** Sets up roles, database, schema and the writer's privileges as the external target's Catalog component does. */
export async function setUpExternalCatalog(prefix: string, opts: { catalogSchema?: string } = {}): Promise<ExternalCatalog> {
  const schema = opts.catalogSchema ?? "public";
  const admin = await createManagedAdmin(prefix);
  const tag = randomBytes(3).toString("hex");
  const ownerRole = `${prefix}_owner_${tag}`;
  const writerRole = `${prefix}_writer_${tag}`;
  const database = `${prefix}_${tag}`;
  const ownerPw = randomBytes(12).toString("hex");
  const writerPw = randomBytes(12).toString("hex");
  const [o, w, s] = [quoteIdent(ownerRole), quoteIdent(writerRole), quoteIdent(schema)];

  await withClient(admin, async (c) => {
    // postgresql.Role owner / writer (bypassRowLevelSecurity: false)
    await c.query(`CREATE ROLE ${o} LOGIN PASSWORD ${quoteLiteral(ownerPw)}`);
    await c.query(`CREATE ROLE ${w} LOGIN NOBYPASSRLS PASSWORD ${quoteLiteral(writerPw)}`);
  });
  // ReaderBaseRole (the provider's own function), then the GrantRoles of the managed shape.
  await ensureReaderBaseRole(disable(admin));
  await withClient(admin, async (c) => {
    await c.query(`GRANT ducklake_reader TO ${o} WITH ADMIN OPTION`);
    await c.query(`GRANT ${o} TO ${quoteIdent(admin.user)}`);
    await c.query(`GRANT ${w} TO ${quoteIdent(admin.user)}`);
    await c.query(`GRANT ${w} TO ${o}`); // the owner acts on the writer's inlined tables (owner-member-of-writer)
    // postgresql.Database
    await c.query(`CREATE DATABASE ${quoteIdent(database)} OWNER ${o} ENCODING 'UTF8' TEMPLATE template0`);
  });
  const adminDb = { ...admin, database };
  await withClient(adminDb, async (c) => {
    if (schema !== "public") await c.query(`CREATE SCHEMA ${s} AUTHORIZATION ${o}`); // postgresql.Schema
    await c.query(`GRANT CONNECT ON DATABASE ${quoteIdent(database)} TO ${w}`);
    await c.query(`GRANT USAGE, CREATE ON SCHEMA ${s} TO ${w}`);
    await c.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${o} IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${w}`);
    await c.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${w} IN SCHEMA ${s} GRANT ALL ON TABLES TO ${o} WITH GRANT OPTION`);
  });
  const owner = { ...admin, user: ownerRole, password: ownerPw, database };
  const writer = { ...admin, user: writerRole, password: writerPw, database };
  // WriterTableGrants runs as the owner on this target.
  await grantWriterTables(disable(owner), schema, ownerRole, writerRole);

  return {
    admin,
    adminDb,
    owner,
    writer,
    database,
    async createReader(name: string, password: string) {
      await withClient(admin, (c) =>
        c.query(`CREATE ROLE ${quoteIdent(name)} LOGIN INHERIT PASSWORD ${quoteLiteral(password)} IN ROLE ducklake_reader`),
      );
    },
    async drop(readers: string[] = []) {
      await withClient(pgAdmin(), async (c) => {
        await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [database]);
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)}`);
        for (const r of [...readers, writerRole, ownerRole]) await c.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
      });
      await dropManagedAdmin(admin);
    },
  };
}
