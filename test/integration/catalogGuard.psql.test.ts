// The guard stands on its own: a DBA applies sql/ in order with plain psql, as a superuser or as the
// catalog owner, and installGuard afterwards finds nothing to do.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { randomBytes } from "crypto";
import { Client } from "pg";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { pgAdmin, PgConnection, repoRoot } from "../support/services";
import { buildSampleLake, createDuckLakeCatalog } from "../fixtures/ducklakeCatalog";
import { grantRead, guardStatus, installGuard, listGrants } from "../../postgres/guardClient";
import { loadMigrations } from "../../postgres/sqlFiles";

const pgBin = fs
  .readdirSync("/usr/lib/postgresql")
  .sort()
  .reverse()
  .map((v) => `/usr/lib/postgresql/${v}/bin/psql`)
  .find((p) => fs.existsSync(p));
const sqlFiles = fs
  .readdirSync(path.join(repoRoot, "sql"))
  .filter((f) => f.endsWith(".sql"))
  .sort();

function psql(conn: PgConnection, file: string, catalogSchema: string): { status: number | null; stderr: string } {
  const r = spawnSync(
    pgBin!,
    [
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      conn.host,
      "-p",
      String(conn.port),
      "-U",
      conn.user,
      "-d",
      conn.database,
      "-f",
      path.join(repoRoot, "sql", file),
    ],
    {
      env: { ...process.env, PGPASSWORD: conn.password, PGOPTIONS: `-c ducklake_guard.catalog_schema=${catalogSchema}` },
      encoding: "utf8",
    },
  );
  return { status: r.status, stderr: r.stderr };
}

const dbs: PgConnection[] = [];
const roles: string[] = [];
afterAll(async () => {
  for (const d of dbs) await dropTestDatabase(d);
  await withClient(pgAdmin(), async (a) => {
    for (const r of roles) await a.query(`DROP ROLE IF EXISTS ${r}`);
  });
});

test("psql is available (the DBA path is tested with the real client)", () => {
  expect(pgBin).toBeDefined();
  expect(execFileSync(pgBin!, ["--version"], { encoding: "utf8" })).toMatch(/psql \(PostgreSQL\) \d+/);
});

test("as a superuser: files apply in order, re-applying is harmless, installGuard has nothing left to do", async () => {
  const conn = await createTestDatabase("cg_psql_su");
  dbs.push(conn);
  await withClient(conn, async (c) => buildSampleLake(await createDuckLakeCatalog(c, { catalogSchema: "lake" })));
  expect(sqlFiles).toEqual(loadMigrations().map((m) => `${m.name}.sql`));
  for (const f of sqlFiles) {
    const r = psql(conn, f, "lake");
    expect({ f, status: r.status, problems: r.stderr.split("\n").filter((l) => /ERROR|WARNING/.test(l)) }).toEqual({
      f,
      status: 0,
      problems: [],
    });
  }
  for (const f of sqlFiles) expect({ f, status: psql(conn, f, "lake").status }).toEqual({ f, status: 0 });
  await withClient(conn, async (c) => {
    expect(await guardStatus(c)).toEqual({
      installed: true,
      version: loadMigrations().at(-1)!.version,
      catalogSchema: "lake",
      catalogOwner: "postgres",
      eventTrigger: true,
      catalogWriter: null,
      inlinedGrants: "commit_trigger,event_trigger",
    });
    expect(await installGuard(c, { catalogSchema: "lake" })).toEqual({ version: loadMigrations().at(-1)!.version, applied: [] });
    await expect(installGuard(c, { catalogSchema: "public" })).rejects.toThrow(/protects catalog schema "lake", not "public"/);
    const migrations = (await c.query("SELECT version, name FROM ducklake_guard.migration ORDER BY version")).rows;
    expect(migrations.map((m) => m.name)).toEqual(sqlFiles.map((f) => f.replace(/\.sql$/, "")));
  });
});

test("out of order fails with a message naming the missing file", async () => {
  const conn = await createTestDatabase("cg_psql_order");
  dbs.push(conn);
  await withClient(conn, async (c) => createDuckLakeCatalog(c, { catalogSchema: "lake" }));
  const r = psql(conn, sqlFiles[2], "lake");
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/ducklake_guard.*does not exist|apply sql\/00\d/);
});

test("as the (non-superuser) catalog owner: installs with a warning about the event trigger, objects owned by the owner", async () => {
  const conn = await createTestDatabase("cg_psql_owner");
  dbs.push(conn);
  const owner = `cg_owner_${randomBytes(4).toString("hex")}`;
  const pw = randomBytes(8).toString("hex");
  roles.push(owner);
  await withClient(pgAdmin(), async (a) => {
    await a.query(`CREATE ROLE ${owner} LOGIN PASSWORD '${pw}'`);
    await a.query(`ALTER DATABASE ${conn.database} OWNER TO ${owner}`);
    // ducklake_reader may not exist yet on a fresh cluster; a DBA creates it once and hands ADMIN to the owner.
    await a.query("DO $$ BEGIN CREATE ROLE ducklake_reader NOLOGIN NOINHERIT; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
    await a.query(`GRANT ducklake_reader TO ${owner} WITH ADMIN OPTION`);
  });
  const ownerConn = { ...conn, user: owner, password: pw };
  await withClient(ownerConn, async (c) => {
    await c.query(`CREATE SCHEMA lake`);
    await buildSampleLake(await createDuckLakeCatalog(c, { catalogSchema: "lake" }));
  });
  const results = sqlFiles.map((f) => ({ f, ...psql(ownerConn, f, "lake") }));
  for (const r of results) expect({ f: r.f, status: r.status }).toEqual({ f: r.f, status: 0 });
  expect(results.find((r) => r.f.endsWith("004_inlined_event_trigger.sql"))!.stderr).toMatch(
    /not a superuser: the event trigger .* was not installed/,
  );
  await withClient(ownerConn, async (c: Client) => {
    const s = await guardStatus(c);
    expect(s).toMatchObject({ installed: true, catalogOwner: owner, eventTrigger: false });
    const owners = await c.query(
      `SELECT DISTINCT pg_get_userbyid(p.proowner) AS o FROM pg_proc p WHERE p.pronamespace = 'ducklake_guard'::regnamespace`,
    );
    expect(owners.rows).toEqual([{ o: owner }]);
    const reader = `cg_psql_r_${randomBytes(3).toString("hex")}`;
    roles.push(reader);
    await withClient(pgAdmin(), (a) => a.query(`CREATE ROLE ${reader} LOGIN`));
    await grantRead(c, { reader, schema: "sales", table: "orders" });
    expect(await listGrants(c)).toEqual([{ reader, schema: "sales", table: "orders" }]);
    await c.query(`REVOKE ALL ON lake.ducklake_data_file FROM ducklake_reader`); // a later resync/protect restores it
    await c.query("SELECT ducklake_guard.protect_all()");
    const priv = await c.query("SELECT has_table_privilege($1, 'lake.ducklake_data_file', 'SELECT') AS ok", [reader]);
    expect(priv.rows[0].ok).toBe(true);
  });
});
