// The Catalog component's writer has CONNECT but no TEMPORARY on the catalog database (a temp table shadowing a
// system catalog was an attack on the guard). This proves with the real DuckDB client (DuckLake over DuckDB's
// postgres extension, v1.5.5) that every kind of DuckLake write and maintenance works without it, on a guarded
// catalog, and that a granted reader then reads what the writer wrote. DuckDB's postgres extension creates a temp
// table only for an UPDATE of a plain PostgreSQL table through ATTACH (duckdb-postgres, src/storage/
// postgres_update.cpp, CreateUpdateTable), which DuckLake does not use.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { randomBytes } from "crypto";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { pgAdmin, PgConnection, repoRoot } from "../support/services";
import { grantRead, installGuard } from "../../postgres/guardClient";
import { quoteIdent } from "../../model/names";

const EXT_DIR = path.join(repoRoot, "..", "shared", "duckdb", "extensions");
const haveExtensions = fs.existsSync(path.join(EXT_DIR, "v1.5.5"));
if (!haveExtensions) console.warn(`SKIPPED writer-without-TEMPORARY DuckDB test: no DuckDB extensions at ${EXT_DIR}`);
const maybe = haveExtensions ? test : test.skip;

const sfx = randomBytes(4).toString("hex");
const owner = `nt_owner_${sfx}`,
  writer = `nt_writer_${sfx}`,
  reader = `nt_reader_${sfx}`;
const PW = `pw-${sfx}`;
let conn: PgConnection;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ducklake-notemp-"));

afterAll(async () => {
  if (conn) await dropTestDatabase(conn);
  await withClient(pgAdmin(), async (a) => {
    for (const r of [reader, writer, owner]) await a.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
  });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function duck(): Promise<DuckDBConnection> {
  const db = await DuckDBInstance.create(":memory:", { allow_unsigned_extensions: "true", extension_directory: EXT_DIR });
  const c = await db.connect();
  await c.run("LOAD ducklake; LOAD postgres");
  return c;
}
const attach = (c: DuckDBConnection, role: string, extra = "") =>
  c.run(
    `ATTACH 'ducklake:postgres:dbname=${conn.database} host=${conn.host} port=${conn.port} user=${role} password=${PW}' AS lake (METADATA_SCHEMA 'lake', DATA_PATH '${dataDir}/'${extra})`,
  );

maybe(
  "DuckLake writes, updates, deletes, schema changes and maintenance need no TEMPORARY",
  async () => {
    conn = await createTestDatabase("writer_notemp");
    await withClient(conn, async (su) => {
      await su.query(`CREATE ROLE ${quoteIdent(owner)} LOGIN PASSWORD '${PW}'`);
      await su.query(`CREATE ROLE ${quoteIdent(writer)} LOGIN BYPASSRLS PASSWORD '${PW}'`);
      await su.query(`CREATE ROLE ${quoteIdent(reader)} LOGIN PASSWORD '${PW}'`);
      await su.query(`ALTER DATABASE ${quoteIdent(conn.database)} OWNER TO ${quoteIdent(owner)}`);
      await su.query(`REVOKE TEMPORARY ON DATABASE ${quoteIdent(conn.database)} FROM PUBLIC`);
      await su.query(`GRANT CONNECT ON DATABASE ${quoteIdent(conn.database)} TO ${quoteIdent(writer)}`); // what components/catalog.ts grants
      await su.query(`CREATE SCHEMA lake AUTHORIZATION ${quoteIdent(owner)}`);
      await su.query(`GRANT USAGE, CREATE ON SCHEMA lake TO ${quoteIdent(writer)}`);
      await su.query(
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(owner)} IN SCHEMA lake GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${quoteIdent(writer)}`,
      );
      await su.query(
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(writer)} IN SCHEMA lake GRANT ALL ON TABLES TO ${quoteIdent(owner)} WITH GRANT OPTION`,
      );
    });
    const o = await duck();
    await attach(o, owner);
    await o.run("CREATE SCHEMA lake.s; CREATE TABLE lake.s.t0 AS SELECT 1 AS i");
    o.closeSync();
    await withClient(conn, async (su) => {
      await installGuard(su, { catalogSchema: "lake", catalogOwner: owner });
      await grantRead(su, { reader, schema: "s" });
      const temp = await su.query("SELECT has_database_privilege($1, current_database(), 'TEMPORARY') AS t", [writer]);
      expect(temp.rows[0].t).toBe(false);
    });
    const w = await duck();
    await attach(w, writer);
    for (const sql of [
      "CREATE TABLE lake.s.t1 (i INTEGER, v VARCHAR)",
      "INSERT INTO lake.s.t1 VALUES (1, 'a'), (2, 'b')", // inlined rows: a new inlined table, made by the writer
      "INSERT INTO lake.s.t1 SELECT range, 'x' FROM range(5000)",
      "UPDATE lake.s.t1 SET v = 'c' WHERE i = 1",
      "DELETE FROM lake.s.t1 WHERE i = 2",
      "ALTER TABLE lake.s.t1 ADD COLUMN w INTEGER",
      "INSERT INTO lake.s.t1 VALUES (3, 'd', 4)",
      "ALTER TABLE lake.s.t1 RENAME TO t2",
      "CREATE VIEW lake.s.v AS SELECT 1 AS one",
      "CALL ducklake_flush_inlined_data('lake')",
      "CALL ducklake_merge_adjacent_files('lake')",
      "CALL ducklake_expire_snapshots('lake', older_than => now())",
      "CALL ducklake_cleanup_old_files('lake', cleanup_all => true)",
      "CHECKPOINT lake",
    ])
      await expect(w.run(sql).then(() => "ok")).resolves.toBe("ok");
    w.closeSync();
    const r = await duck();
    await attach(r, reader, ", READ_ONLY");
    const rows = (
      await r.runAndReadAll("SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE v = 'c')::INTEGER AS c FROM lake.s.t2")
    ).getRowObjects();
    expect(rows).toEqual([{ n: 5001, c: 2 }]); // 2 + 5000 rows (i 0..4999), both i = 2 deleted, one added; both i = 1 updated
    r.closeSync();
  },
  120_000,
);
