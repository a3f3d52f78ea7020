// A guarded DuckLake made by the real DuckDB client, with the Catalog component's roles: a non-superuser catalog
// owner (owns the database, schema and DuckLake's catalog tables), the BYPASSRLS writer (owns the inlined tables
// it creates), readers; the guard installed by a superuser; data files in a local folder (the catalog guard does
// not need S3). Used by the partitionGuard.* suites.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { randomBytes } from "crypto";
import { Client } from "pg";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { createTestDatabase, dropTestDatabase, withClient } from "./pg";
import { pgAdmin, PgConnection, repoRoot } from "./services";
import { installGuard } from "../../postgres/guardClient";
import { quoteIdent } from "../../model/names";

export const EXT_DIR = process.env.DUCKLAKE_DUCKDB_EXTENSIONS ?? path.join(repoRoot, "..", "shared", "duckdb", "extensions");
export const CATALOG = "lake";

export interface PartitionLake {
  conn: PgConnection;
  /** Superuser session on the lake's database. */
  su: Client;
  owner: string;
  writer: string;
  dataDir: string;
  /** A DuckDB session with the lake attached as `role` (READ_ONLY for readers), `USE lake` done. */
  duck(role: string, opts?: { readOnly?: boolean }): Promise<DuckDBConnection>;
  newReader(base: string): Promise<string>;
  /** A PostgreSQL session as `role`. */
  connectAs(role: string): Promise<Client>;
  close(): Promise<void>;
}

/** Creates the roles and the catalog (the owner's first ATTACH), then installs the guard as a superuser. */
export async function partitionLake(prefix: string): Promise<PartitionLake> {
  const conn = await createTestDatabase(prefix);
  const su = new Client(conn);
  await su.connect();
  const sfx = randomBytes(4).toString("hex");
  const owner = `${prefix}_owner_${sfx}`;
  const writer = `${prefix}_writer_${sfx}`;
  const pw = `pw${randomBytes(8).toString("hex")}`;
  const roles = [owner, writer];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `ducklake-${prefix}-`));
  await su.query(`CREATE ROLE ${quoteIdent(owner)} LOGIN PASSWORD '${pw}'`);
  await su.query(`CREATE ROLE ${quoteIdent(writer)} LOGIN BYPASSRLS PASSWORD '${pw}'`);
  await su.query(`ALTER DATABASE ${quoteIdent(conn.database)} OWNER TO ${quoteIdent(owner)}`);
  await su.query(`REVOKE TEMPORARY ON DATABASE ${quoteIdent(conn.database)} FROM PUBLIC`);
  await su.query(`GRANT CONNECT ON DATABASE ${quoteIdent(conn.database)} TO ${quoteIdent(writer)}`);
  await su.query(`CREATE SCHEMA ${CATALOG} AUTHORIZATION ${quoteIdent(owner)}`);
  await su.query(`GRANT USAGE, CREATE ON SCHEMA ${CATALOG} TO ${quoteIdent(writer)}`);
  await su.query(
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(owner)} IN SCHEMA ${CATALOG} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${quoteIdent(writer)}`,
  );
  await su.query(
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(writer)} IN SCHEMA ${CATALOG} GRANT ALL ON TABLES TO ${quoteIdent(owner)} WITH GRANT OPTION`,
  );
  const instances: DuckDBInstance[] = [];
  const sessions: DuckDBConnection[] = [];
  const clients: Client[] = [];
  const duck = async (role: string, opts: { readOnly?: boolean } = {}): Promise<DuckDBConnection> => {
    const db = await DuckDBInstance.create(":memory:", { allow_unsigned_extensions: "true", extension_directory: EXT_DIR });
    instances.push(db);
    const c = await db.connect();
    sessions.push(c);
    await c.run("LOAD ducklake; LOAD postgres; SET TimeZone = 'UTC'");
    await c.run(
      `ATTACH 'ducklake:postgres:dbname=${conn.database} host=${conn.host} port=${conn.port} user=${role} password=${pw}' AS lake ` +
        `(METADATA_SCHEMA '${CATALOG}', DATA_PATH '${dataDir}/'${opts.readOnly ? ", READ_ONLY" : ""})`,
    );
    await c.run("USE lake");
    return c;
  };
  const first = await duck(owner);
  first.closeSync();
  await installGuard(su, { catalogSchema: CATALOG, catalogOwner: owner });
  return {
    conn,
    su,
    owner,
    writer,
    dataDir,
    duck,
    async newReader(base) {
      const name = `${base}_${randomBytes(4).toString("hex")}`;
      await su.query(`CREATE ROLE ${quoteIdent(name)} LOGIN PASSWORD '${pw}'`);
      roles.push(name);
      return name;
    },
    async connectAs(role) {
      const c = new Client({ ...conn, user: role, password: pw });
      await c.connect();
      clients.push(c);
      return c;
    },
    async close() {
      for (const s of sessions) s.closeSync();
      for (const i of instances) i.closeSync();
      for (const c of clients) await c.end().catch(() => undefined);
      await su.end();
      await dropTestDatabase(conn);
      await withClient(pgAdmin(), async (a) => {
        for (const r of roles.reverse()) await a.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
      });
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
