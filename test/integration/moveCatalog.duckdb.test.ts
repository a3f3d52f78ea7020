// Outgrowing the VPS (docs/outgrowing-the-vps.md), end to end on two PostgreSQL servers: a lake in VPS shape
// on the suite's server (superuser-installed guard with its event trigger, a BYPASSRLS writer, data written by
// the real DuckDB client with inlined data and an inlined delete table, two readers: a schema grant and a table
// grant) is moved with scripts/move-catalog.sh to a second, TLS-only server on which only a CREATEROLE
// CREATEDB admin is used (the managed shape). The second server gives the table-grant reader the source OID of
// the schema-grant reader (the OID counter is advanced with lo_create): the runbook must leak nothing, and a
// restore that keeps the `visible` rows must leak (the check that the exclusion is needed). Then the guard is
// upgraded to the program's migrations, the real DuckDB readers re-pointed to the target see exactly what
// they saw on the source, and a writer without BYPASSRLS writes new inlined tables that reach exactly the
// right readers. Last, a streaming replica of the target: a reader on it sees exactly its grants.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { pgAdmin, PgConnection, repoRoot } from "../support/services";
import { describeWithDuckDB, rows } from "../support/duckdb";
import { SecondPg, startReplica, startSecondPg } from "../support/secondPg";
import { PG_BIN } from "../support/tlsPostgres";
import { grantRead, grantRows, installGuard, listGrantDetails, revokeRead } from "../../postgres/guardClient";
import { loadMigrations } from "../../postgres/sqlFiles";
import { pgClientConfig } from "../../postgres/connection";
import { quoteIdent, quoteLiteral } from "../../model/names";
import { duckString } from "../../cli/duckdbSql";
import { DuckSession, openDuckDB } from "../../cli/duckdbSession";
import { parseLakeConnectionInfo } from "../../cli/connectionInfo";
import { lakeStatus } from "../../cli/status";
import type { CatalogConnection } from "../../model/connection";

const hex = randomBytes(3).toString("hex");
const OWNER = `mv_owner_${hex}`,
  WRITER = `mv_writer_${hex}`,
  SALES = `mv_sales_${hex}`, // schema grant: sales
  HR = `mv_hr_${hex}`; // table grant: hr.salaries
const PW = Object.fromEntries([OWNER, WRITER, SALES, HR].map((r) => [r, randomBytes(12).toString("hex")]));
const ADMIN = `mv_admin_${hex}`,
  ADMIN_PW = randomBytes(12).toString("hex");
const LAKE = `mv_lake_${hex}`,
  LEAK = `mv_leak_${hex}`,
  NAIVE = `mv_naive_${hex}`,
  LAKE2 = `mv_lake2_${hex}`;

let source: PgConnection;
let source2: PgConnection | undefined;
let target: SecondPg;
let replica: SecondPg | undefined;
let work: string;
let dataDir: string;
let dumpFile: string;
const sourceOid: Record<string, number> = {};
/** What each reader saw on the source: its table list, and row counts. */
const seen: Record<string, { tables: string[]; counts: Record<string, string> }> = {};
const timings: Array<[string, number]> = [];
const sessions: DuckSession[] = [];

async function timed<T>(step: string, fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings.push([step, Math.round(performance.now() - t0)]);
  }
}

/** scripts/move-catalog.sh with PGPASSWORD; stdout, stderr and exit code. */
function moveCatalog(args: string[], password: string) {
  const r = spawnSync("bash", [path.join(repoRoot, "scripts", "move-catalog.sh"), ...args], {
    encoding: "utf8",
    env: { ...process.env, PGPASSWORD: password, PG_BIN },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sourceConninfo = (db: string) => `host=${source.host} port=${source.port} dbname=${db} user=${source.user} sslmode=disable`;
const libpq = (c: CatalogConnection, caPath?: string) =>
  `host=${c.host} port=${c.port} dbname=${c.database} user=${c.user} password=${c.password} sslmode=${c.sslmode}` +
  (caPath ? ` sslrootcert=${caPath}` : "");

/** A DuckDB attached to the lake catalog at `c` as its user (read-only unless `write`). */
async function duck(
  c: CatalogConnection,
  opts: { caPath?: string; write?: boolean; schema?: string; dataPath?: string } = {},
): Promise<DuckSession> {
  const s = await openDuckDB();
  sessions.push(s);
  await s.connection.run("LOAD ducklake");
  await s.connection.run("LOAD postgres");
  await s.connection.run(
    `ATTACH ${duckString(`ducklake:postgres:${libpq(c, opts.caPath)}`)} AS lake ` +
      `(METADATA_SCHEMA ${duckString(opts.schema ?? "public")}, DATA_PATH ${duckString(`${opts.dataPath ?? dataDir}/`)}` +
      `${opts.write ? "" : ", READ_ONLY"})`,
  );
  return s;
}
function closeDuck(s: DuckSession): void {
  s.close();
  sessions.splice(sessions.indexOf(s), 1);
}

const listTables = async (s: DuckSession) =>
  (await rows(s.connection, "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = 'lake' ORDER BY 1")).map(
    (r) => String(r[0]),
  );
async function view(s: DuckSession): Promise<{ tables: string[]; counts: Record<string, string> }> {
  const tables = await listTables(s);
  const counts: Record<string, string> = {};
  for (const t of tables) {
    const [sc, tb] = t.split(".");
    counts[t] = String((await rows(s.connection, `SELECT count(*) FROM lake.${quoteIdent(sc)}.${quoteIdent(tb)}`))[0][0]);
  }
  return { tables, counts };
}

/** The DuckLake table names a reader's plain SQL session finds in the catalog (what the guard lets through). */
async function catalogTablesAs(conn: CatalogConnection, reader: string): Promise<string[]> {
  return withClient({ ...pgClientConfig({ ...conn, user: reader, password: PW[reader] }) }, async (c) => {
    const r = await c.query("SELECT table_name FROM public.ducklake_table WHERE end_snapshot IS NULL ORDER BY 1");
    return r.rows.map((x) => x.table_name as string);
  });
}

describeWithDuckDB("moving a lake's catalog from the VPS to an external PostgreSQL (two servers)", () => {
  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "move-catalog-"));
    dataDir = path.join(work, "data");
    fs.mkdirSync(dataDir);
    dumpFile = path.join(work, "lake.dump");
    target = await timed("start the second PostgreSQL (local-pg.sh + TLS)", () => startSecondPg("move-target"));
    // The service hands out one admin login; the target's superuser is used for this and nothing else.
    await withClient(pgClientConfig(target.connection("postgres", target.superuser.password, "postgres")), (c) =>
      c.query(`CREATE ROLE ${quoteIdent(ADMIN)} LOGIN CREATEROLE CREATEDB NOSUPERUSER NOBYPASSRLS PASSWORD ${quoteLiteral(ADMIN_PW)}`),
    );
  }, 120_000);

  afterAll(async () => {
    for (const s of [...sessions]) s.close();
    replica?.stop();
    target?.stop();
    if (source) await dropTestDatabase(source);
    if (source2) await dropTestDatabase(source2);
    await withClient(pgAdmin(), async (a) => {
      for (const r of [SALES, HR, WRITER, OWNER]) await a.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
    });
    if (work) fs.rmSync(work, { recursive: true, force: true });
    console.log(`moveCatalog timings (ms):\n${timings.map(([s, ms]) => `  ${String(ms).padStart(6)}  ${s}`).join("\n")}`);
  }, 60_000);

  it("builds the source lake in VPS shape with the real DuckDB client", async () => {
    source = await createTestDatabase("move_src");
    await timed("source: roles, database, guard 001-006 as superuser", () =>
      withClient(source, async (su) => {
        await su.query(`CREATE ROLE ${quoteIdent(OWNER)} LOGIN PASSWORD ${quoteLiteral(PW[OWNER])}`);
        await su.query(`CREATE ROLE ${quoteIdent(WRITER)} LOGIN BYPASSRLS PASSWORD ${quoteLiteral(PW[WRITER])}`);
        await su.query(`ALTER DATABASE ${quoteIdent(source.database)} OWNER TO ${quoteIdent(OWNER)}`);
        await su.query(`GRANT CONNECT ON DATABASE ${quoteIdent(source.database)} TO ${quoteIdent(WRITER)}`);
        await su.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${quoteIdent(WRITER)}`);
        await su.query(
          `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(OWNER)} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${quoteIdent(WRITER)}`,
        );
        await su.query(
          `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(WRITER)} IN SCHEMA public GRANT ALL ON TABLES TO ${quoteIdent(OWNER)} WITH GRANT OPTION`,
        );
        // `pulumi up` on the VPS: the guard before DuckLake's first ATTACH (its event trigger protects the catalog tables).
        await installGuard(su, { catalogOwner: OWNER, migrations: loadMigrations().filter((m) => m.version <= 6) });
        // Readers after the guard: their OIDs are then above the few hundred the guard's objects take, so even on a
        // fresh suite server they lie beyond the second server's counter (the collision below needs that).
        for (const r of [SALES, HR]) await su.query(`CREATE ROLE ${quoteIdent(r)} LOGIN PASSWORD ${quoteLiteral(PW[r])}`);
        for (const r of [SALES, HR]) await su.query(`GRANT ducklake_reader TO ${quoteIdent(r)}`);
        const r = await su.query("SELECT rolname, oid::int8 AS oid FROM pg_roles WHERE rolname = ANY ($1)", [[SALES, HR]]);
        for (const x of r.rows) sourceOid[x.rolname] = Number(x.oid);
      }),
    );
    const srcAs = (user: string): CatalogConnection => ({ ...source, user, password: PW[user], sslmode: "disable" });
    await timed("source: owner and BYPASSRLS writer write through DuckDB", async () => {
      const o = await duck(srcAs(OWNER), { write: true });
      for (const sql of [
        "CREATE SCHEMA lake.sales",
        "CREATE SCHEMA lake.hr",
        "CREATE TABLE lake.sales.customers (id INTEGER, name VARCHAR)",
        "INSERT INTO lake.sales.customers VALUES (1, 'a'), (2, 'b')", // inlined, owner-owned inlined table
        "CREATE TABLE lake.sales.orders AS SELECT range AS id FROM range(3)",
        "CREATE TABLE lake.sales.big AS SELECT range AS id FROM range(5000)", // Parquet
        "CREATE TABLE lake.hr.salaries (name VARCHAR, amount INTEGER)",
        "INSERT INTO lake.hr.salaries VALUES ('x', 1)",
      ])
        await o.connection.run(sql);
      closeDuck(o);
      await withClient(srcAs(OWNER), async (c) => {
        await grantRead(c, { reader: SALES, schema: "sales" });
        await grantRead(c, { reader: HR, schema: "hr", table: "salaries" });
      });
      const w = await duck(srcAs(WRITER), { write: true });
      for (const sql of [
        "INSERT INTO lake.sales.customers VALUES (3, 'c')",
        "CREATE TABLE lake.sales.returns (id INTEGER)", // writer-owned inlined table, granted by the event trigger
        "INSERT INTO lake.sales.returns VALUES (9)",
        "DELETE FROM lake.sales.big WHERE id = 3", // writer-owned inlined delete table
        "CREATE TABLE lake.hr.bonus (amount INTEGER)",
        "INSERT INTO lake.hr.bonus VALUES (5)",
      ])
        await w.connection.run(sql);
      closeDuck(w);
    });
    for (const r of [SALES, HR]) {
      const s = await duck(srcAs(r));
      seen[r] = await view(s);
      closeDuck(s);
    }
    expect(seen[SALES]).toEqual({
      tables: ["sales.big", "sales.customers", "sales.orders", "sales.returns"],
      counts: { "sales.big": "4999", "sales.customers": "3", "sales.orders": "3", "sales.returns": "1" },
    });
    expect(seen[HR]).toEqual({ tables: ["hr.salaries"], counts: { "hr.salaries": "1" } });
    await withClient(source, async (su) => {
      const inl = await su.query(
        `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
          WHERE c.relnamespace = 'public'::regnamespace AND c.relname LIKE 'ducklake_inlined_%' AND c.relkind = 'r' ORDER BY 1`,
      );
      // Inlined data and an inlined delete table, some owned by the writer (their ACLs need the repair).
      expect(inl.rows.some((x) => x.relname.startsWith("ducklake_inlined_delete_") && x.owner === WRITER)).toBe(true);
      expect(inl.rows.some((x) => x.relname.startsWith("ducklake_inlined_data_") && x.owner === OWNER)).toBe(true);
      expect((await su.query("SELECT value FROM ducklake_guard.setting WHERE key = 'event_trigger'")).rows[0].value).toBe("installed");
    });
  }, 240_000);

  it("prepares the target as the admin only; the table-grant reader gets the schema-grant reader's source OID", async () => {
    const admin = target.connection(ADMIN, ADMIN_PW, "postgres");
    for (const db of [LAKE, LEAK, NAIVE]) {
      const p = await timed(
        `target: move-catalog.sh prepare (${db === LAKE ? "runbook" : db === LEAK ? "leak check" : "plain restore"} database)`,
        () =>
          moveCatalog(
            ["prepare", "--target", target.conninfo(ADMIN, "postgres"), "--owner", OWNER, "--writer", WRITER, "--database", db],
            ADMIN_PW,
          ),
      );
      expect(p.stderr).toBe("");
      expect(p.stdout).toContain(`prepared: database ${db} owned by ${OWNER}, writer ${WRITER} (no BYPASSRLS, the owner a member of it)`);
      expect(p.code).toBe(0);
    }
    // The owner is a member of the writer (so the commit trigger can filter the writer's inlined tables), not the reverse.
    await withClient(pgClientConfig(admin), async (c) => {
      const m = await c.query("SELECT pg_has_role($1, $2, 'MEMBER') AS owner_in_writer, pg_has_role($2, $1, 'MEMBER') AS writer_in_owner", [
        OWNER,
        WRITER,
      ]);
      expect(m.rows[0]).toEqual({ owner_in_writer: true, writer_in_owner: false });
    });
    // prepare refuses a database that exists
    const again = moveCatalog(
      ["prepare", "--target", target.conninfo(ADMIN, "postgres"), "--owner", OWNER, "--writer", WRITER, "--database", LAKE],
      ADMIN_PW,
    );
    expect(again.stderr).toContain(`database ${LAKE} exists already on this server`);
    expect(again.code).not.toBe(0);
    // ... and an existing owner role the admin is not a member of (it never grants itself a role it did not create).
    const foreign = `mv_foreign_${hex}`;
    await withClient(pgClientConfig(admin), (c) => c.query(`CREATE ROLE ${quoteIdent(foreign)} NOLOGIN`));
    const taken = moveCatalog(
      ["prepare", "--target", target.conninfo(ADMIN, "postgres"), "--owner", foreign, "--writer", WRITER, "--database", `mv_other_${hex}`],
      ADMIN_PW,
    );
    expect(taken.stderr).toContain(`role ${foreign} exists and ${ADMIN} is not a member of it`);
    expect(taken.code).not.toBe(0);
    await withClient(pgClientConfig(admin), async (c) => {
      expect((await c.query("SELECT count(*)::int AS n FROM pg_database WHERE datname = $1", [`mv_other_${hex}`])).rows[0].n).toBe(0);
      await c.query(`DROP ROLE ${quoteIdent(foreign)}`);
    });
    await timed("target: readers created, the OID counter advanced to force the collision", () =>
      withClient(pgClientConfig(admin), async (c) => {
        for (const r of [OWNER, WRITER]) await c.query(`ALTER ROLE ${quoteIdent(r)} PASSWORD ${quoteLiteral(PW[r])}`);
        const stop = sourceOid[SALES] - 1;
        let last = Number((await c.query("SELECT lo_create(0)::int8 AS o")).rows[0].o);
        await c.query("SELECT lo_unlink($1)", [last]);
        expect(last).toBeLessThan(stop); // a fresh server: its counter is below the source's
        console.log(`target OID counter at ${last}; advancing it to ${stop} (${stop - last} OIDs)`);
        // Every lo_create(0) takes the next OID; stop one short, so CREATE ROLE takes the source OID of SALES.
        // Batches in their own transactions: each large object holds a lock until its transaction ends.
        while (last < stop) {
          const n = Math.min(2000, stop - last);
          last = Number(
            (await c.query("SELECT max(o)::int8 AS o FROM (SELECT lo_create(0) AS o FROM generate_series(1, $1::int)) x", [n])).rows[0].o,
          );
          await c.query(
            "SELECT count(lo_unlink(m.oid)) FROM pg_largeobject_metadata m WHERE m.oid::int8 > $1::int8 - $2::int AND m.oid::int8 <= $1::int8",
            [last, n],
          );
        }
        expect(last).toBe(stop);
        await c.query(`CREATE ROLE ${quoteIdent(HR)} LOGIN PASSWORD ${quoteLiteral(PW[HR])}`);
        await c.query(`CREATE ROLE ${quoteIdent(SALES)} LOGIN PASSWORD ${quoteLiteral(PW[SALES])}`);
        // As the program's LakeReader does: every reader is enrolled when it is created.
        for (const r of [SALES, HR]) await c.query(`GRANT ducklake_reader TO ${quoteIdent(r)}`);
        const oid = Number((await c.query("SELECT oid::int8 AS o FROM pg_roles WHERE rolname = $1", [HR])).rows[0].o);
        expect(oid).toBe(sourceOid[SALES]);
      }),
    );
  }, 120_000);

  it("dumps the source and restores it with the runbook's list: pg_restore reports no error", async () => {
    const d = await timed("source: move-catalog.sh dump (pg_dump -Fc)", () =>
      moveCatalog(["dump", "--source", sourceConninfo(source.database), "--out", dumpFile], source.password),
    );
    console.log(d.stderr);
    expect(d.stderr).toMatch(/^move-catalog: dumped to .* \(\d+ bytes, \d+ entries\)\n$/);
    expect(d.code).toBe(0);
    const r = await timed("target: move-catalog.sh restore", () =>
      moveCatalog(["restore", "--dump", dumpFile, "--target", target.conninfo(ADMIN, LAKE), "--writer", WRITER], ADMIN_PW),
    );
    console.log(`move-catalog.sh restore printed:\n${r.stderr}`);
    expect(r.stderr).not.toMatch(/pg_restore: (error|warning)/);
    const left = r.stderr.split("\n").filter((l) => l.startsWith("move-catalog: leaving out "));
    expect(left.some((l) => l.includes("EVENT TRIGGER - ducklake_guard_create_table"))).toBe(true);
    expect(left.some((l) => l.includes("TABLE DATA ducklake_guard visible "))).toBe(true);
    expect(left.some((l) => l.includes("TABLE DATA ducklake_guard visible_count "))).toBe(true);
    expect(left.some((l) => /ACL public TABLE ducklake_inlined_delete_\d+ /.test(l))).toBe(true);
    expect(r.code).toBe(0);
  }, 180_000);

  it("a plain pg_restore of the whole dump (no list) fails where the runbook's list leaves entries out", () => {
    const r = spawnSync(`${PG_BIN}/pg_restore`, ["-d", target.conninfo(ADMIN, NAIVE), dumpFile], {
      encoding: "utf8",
      env: { ...process.env, PGPASSWORD: ADMIN_PW },
    });
    console.log(`plain pg_restore (no -L) printed:\n${r.stderr}`);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("pg_restore: error:"));
    expect(r.stderr).toContain("permission denied to create event trigger");
    expect(r.stderr).toMatch(/permission denied to set session authorization/);
    expect(r.stderr).toContain(`errors ignored on restore: ${errors.length}`);
    expect(r.status).toBe(1);
  });

  it("leaks nothing between restore and repair; a restore that keeps `visible` leaks the other reader's tables", async () => {
    const lake = target.connection(ADMIN, ADMIN_PW, LAKE);
    // The runbook: the enrolled reader with the colliding OID sees no table (fail closed until the repair).
    expect(await catalogTablesAs(lake, HR)).toEqual([]);
    expect(await catalogTablesAs(lake, SALES)).toEqual([]);
    // The same restore with the `visible` data kept (everything else as the runbook's list).
    const list = moveCatalog(["list", "--dump", dumpFile, "--writer", WRITER], "");
    expect(list.code).toBe(0);
    const full = spawnSync(`${PG_BIN}/pg_restore`, ["-l", dumpFile], { encoding: "utf8" }).stdout.split("\n");
    const listed = list.stdout.split("\n");
    // The list is the dump's contents minus exactly the entries it names on stderr, each of the three kinds.
    const leftOut = list.stderr.split("\n").filter((l) => l.startsWith("move-catalog: leaving out "));
    expect(full.length - listed.length).toBe(leftOut.length);
    for (const l of leftOut)
      expect(l).toMatch(
        /^move-catalog: leaving out ((COMMENT - )?EVENT TRIGGER |TABLE DATA ducklake_guard visible(_count)? |ACL public TABLE ducklake_inlined_)/,
      );
    const keep = new Set(listed);
    const leakList = full.filter((l) => keep.has(l) || / TABLE DATA ducklake_guard visible(_count)? /.test(l));
    expect(leakList.length).toBe(listed.length + 2); // the two `visible` data entries, nothing else
    fs.writeFileSync(path.join(work, "leak.list"), leakList.join("\n"));
    const leak = target.connection(ADMIN, ADMIN_PW, LEAK);
    await withClient(pgClientConfig(leak), (c) => c.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${quoteIdent(WRITER)}`));
    const r = spawnSync(
      `${PG_BIN}/pg_restore`,
      ["-d", target.conninfo(ADMIN, LEAK), "--single-transaction", "--exit-on-error", "-L", path.join(work, "leak.list"), dumpFile],
      { encoding: "utf8", env: { ...process.env, PGPASSWORD: ADMIN_PW } },
    );
    expect(r.stderr).toBe("");
    // HR was granted hr.salaries only; with the source's `visible` rows it reads SALES's catalog rows.
    expect(await catalogTablesAs(leak, HR)).toEqual(["big", "customers", "orders", "returns"]);
    // The repair refuses, changing nothing, while a reader named in the ACL is missing on the target.
    const admin = target.connection(ADMIN, ADMIN_PW, "postgres");
    await withClient(pgClientConfig(admin), (c) => c.query(`ALTER ROLE ${quoteIdent(SALES)} RENAME TO ${quoteIdent(`${SALES}_x`)}`));
    try {
      const refused = moveCatalog(["repair", "--target", target.conninfo(ADMIN, LEAK), "--writer", WRITER], ADMIN_PW);
      expect(refused.stderr).toContain(`readers named in the guard's ACL do not exist on this server: ${SALES}`);
      expect(refused.code).not.toBe(0);
    } finally {
      await withClient(pgClientConfig(admin), (c) => c.query(`ALTER ROLE ${quoteIdent(`${SALES}_x`)} RENAME TO ${quoteIdent(SALES)}`));
    }
    expect(await catalogTablesAs(leak, HR)).toEqual(["big", "customers", "orders", "returns"]);
    // The repair's re-pin and resync close it there too.
    const fixed = moveCatalog(["repair", "--target", target.conninfo(ADMIN, LEAK), "--writer", WRITER], ADMIN_PW);
    expect(fixed.code).toBe(0);
    expect(await catalogTablesAs(leak, HR)).toEqual(["salaries"]);
  }, 180_000);

  it("repairs: grants re-pinned by name, readers enrolled, settings restored; a second run changes nothing", async () => {
    const r = await timed("target: move-catalog.sh repair", () =>
      moveCatalog(["repair", "--target", target.conninfo(ADMIN, LAKE), "--writer", WRITER], ADMIN_PW),
    );
    console.log(`move-catalog.sh repair printed:\n${r.stdout}${r.stderr}`);
    // 0 here: prepare made the owner a member of the writer, so it holds the grant option through that membership.
    expect(r.stderr).toMatch(/the owner's grant option given back on \d+ of the writer's tables/);
    expect(r.stderr).toContain("setting event_trigger = missing");
    expect(r.stderr).toContain("2 grants re-pinned to this server's role OIDs");
    expect(r.stdout).toMatch(/ active \|\s+2\n/);
    expect(r.stdout).toContain("move-catalog: repaired");
    expect(r.code).toBe(0);
    const again = moveCatalog(["repair", "--target", target.conninfo(ADMIN, LAKE), "--writer", WRITER], ADMIN_PW);
    expect(again.stderr).toContain("given back on 0 of the writer's tables");
    expect(again.stderr).toContain("0 grants re-pinned");
    expect(again.stderr).toContain("0 readers enrolled");
    expect(again.code).toBe(0);
    await withClient(pgClientConfig(target.connection(OWNER, PW[OWNER], LAKE)), async (c) => {
      const grants = await listGrantDetails(c);
      expect(grants.map((g) => [g.reader, g.schema, g.table, g.status]).sort()).toEqual(
        [
          [HR, "hr", "salaries", "active"],
          [SALES, "sales", null, "active"],
        ].sort(),
      );
      const log = await c.query(
        "SELECT reader, previous->>'reader_oid' AS old FROM ducklake_guard.acl_log WHERE action = 'update' ORDER BY id",
      );
      expect(log.rows.map((x) => [x.reader, Number(x.old)]).sort()).toEqual(
        [
          [HR, sourceOid[HR]],
          [SALES, sourceOid[SALES]],
        ].sort(),
      );
      const db = await c.query(
        `SELECT has_database_privilege('public', current_database(), 'TEMPORARY') AS temp,
                (SELECT setconfig FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND setrole = 0) AS conf`,
      );
      expect(db.rows[0]).toEqual({ temp: false, conf: ["jit=off"] });
    });
  }, 120_000);

  it("upgrades the guard to the program's migrations as the catalog owner (no superuser)", async () => {
    await timed("target: installGuard as the owner (upgrade to the latest migration)", () =>
      withClient(pgClientConfig(target.connection(OWNER, PW[OWNER], LAKE)), async (c) => {
        const res = await installGuard(c, { catalogOwner: OWNER, catalogWriter: WRITER });
        console.log(`guard upgrade on the target applied: ${JSON.stringify(res.applied)} (now version ${res.version})`);
        expect(res.version).toBe(loadMigrations().length);
        expect((await c.query("SELECT count(*)::int AS n FROM ducklake_guard.enforcement_drift()")).rows[0].n).toBe(0);
      }),
    );
  }, 120_000);

  it("readers re-pointed to the target see exactly what they saw on the source (DuckDB, verify-full)", async () => {
    for (const r of [SALES, HR]) {
      const s = await timed(`target: DuckDB reader ${r === SALES ? "sales" : "hr"} attaches (verify-full)`, () =>
        duck(target.connection(r, PW[r], LAKE), { caPath: target.caPath }),
      );
      expect({ r, view: await view(s) }).toEqual({ r, view: seen[r] });
      closeDuck(s);
    }
  }, 120_000);

  it("a writer without BYPASSRLS writes; new inlined tables reach exactly the right readers without resync()", async () => {
    await withClient(pgClientConfig(target.connection(ADMIN, ADMIN_PW, "postgres")), async (c) => {
      const w = await c.query("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = $1", [WRITER]);
      expect(w.rows[0]).toEqual({ rolbypassrls: false, rolsuper: false });
    });
    const inlinedTables = () =>
      withClient(pgClientConfig(target.connection(OWNER, PW[OWNER], LAKE)), async (c) =>
        (
          await c.query("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname LIKE 'ducklake_inlined_%'")
        ).rows.map((x) => x.relname as string),
      );
    const before = await inlinedTables();
    await timed("target: DuckDB writer (no BYPASSRLS) writes", async () => {
      const w = await duck(target.connection(WRITER, PW[WRITER], LAKE), { caPath: target.caPath, write: true });
      for (const sql of [
        "CREATE TABLE lake.sales.refunds (id INTEGER)",
        "INSERT INTO lake.sales.refunds VALUES (7)",
        "DELETE FROM lake.sales.big WHERE id = 4", // into the inlined delete table restored from the VPS
        "CREATE TABLE lake.sales.big2 AS SELECT range AS id FROM range(5000)",
        "DELETE FROM lake.sales.big2 WHERE id < 10", // a new inlined delete table
        "CREATE TABLE lake.hr.secret (x INTEGER)",
        "INSERT INTO lake.hr.secret VALUES (1)",
        "CREATE TABLE lake.hr.big3 AS SELECT range AS id FROM range(5000)",
        "DELETE FROM lake.hr.big3 WHERE id < 10",
      ])
        await w.connection.run(sql);
      closeDuck(w);
    });
    // Which reader may SELECT each inlined table the writer's commits created on the target (data and delete tables).
    await withClient(pgClientConfig(target.connection(OWNER, PW[OWNER], LAKE)), async (c) => {
      const r = await c.query(
        `SELECT t.table_name || CASE WHEN c.relname LIKE 'ducklake_inlined_delete_%' THEN ' (delete)' ELSE '' END AS t,
                has_table_privilege($1, c.oid, 'SELECT') AS sales, has_table_privilege($2, c.oid, 'SELECT') AS hr
           FROM pg_class c
           JOIN public.ducklake_table t ON t.end_snapshot IS NULL
            AND t.table_id = (regexp_match(c.relname, '^ducklake_inlined_(?:data|delete)_([0-9]+)'))[1]::bigint
          WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname <> ALL ($3::text[])
          ORDER BY 1`,
        [SALES, HR, before],
      );
      expect(r.rows.map((x) => x.t)).toEqual(expect.arrayContaining(["big2 (delete)", "big3 (delete)", "refunds", "secret"]));
      // SALES (schema sales) may read exactly the new inlined tables of sales tables; HR (hr.salaries only) none.
      expect(r.rows).toEqual(r.rows.map((x) => ({ t: x.t, sales: /^(big2|refunds)( |$)/.test(x.t), hr: false })));
    });
    const sales = await duck(target.connection(SALES, PW[SALES], LAKE), { caPath: target.caPath });
    expect(await view(sales)).toEqual({
      tables: ["sales.big", "sales.big2", "sales.customers", "sales.orders", "sales.refunds", "sales.returns"],
      counts: {
        "sales.big": "4998",
        "sales.big2": "4990",
        "sales.customers": "3",
        "sales.orders": "3",
        "sales.refunds": "1",
        "sales.returns": "1",
      },
    });
    closeDuck(sales);
    const hr = await duck(target.connection(HR, PW[HR], LAKE), { caPath: target.caPath });
    expect(await view(hr)).toEqual(seen[HR]);
    closeDuck(hr);
  }, 180_000);

  it("`npm run status` on the moved catalog: every catalog and reader check passes (as the owner, verify-full)", async () => {
    const info = parseLakeConnectionInfo({
      stack: "moved",
      catalog: { ...target.connection(OWNER, PW[OWNER], LAKE), schema: "public" },
      // No bucket in this test: its checks fail and are not looked at.
      storage: {
        bucket: "none",
        endpoint: "http://127.0.0.1:9",
        adminProjectId: "1",
        admin: { accessKey: "x", secretKey: "y" },
      },
      readers: [
        { name: SALES, password: PW[SALES], s3: { projectId: "2", accessKey: "a", secretKey: "b" }, grants: [{ schema: "sales" }] },
        {
          name: HR,
          password: PW[HR],
          s3: { projectId: "2", accessKey: "c", secretKey: "d" },
          grants: [{ schema: "hr", table: "salaries" }],
        },
      ],
    });
    const checks = await timed("target: lakeStatus (npm run status) on the moved catalog", () => lakeStatus(info));
    const catalogChecks = checks.filter((c) => !c.component.startsWith("bucket "));
    console.log(
      `status on the moved catalog:\n${catalogChecks.map((c) => `  ${c.ok ? "ok  " : "FAIL"} ${c.component} | ${c.check} | ${c.detail}`).join("\n")}`,
    );
    expect(catalogChecks.length).toBeGreaterThan(10);
    expect(catalogChecks.filter((c) => !c.ok)).toEqual([]);
  }, 120_000);

  it("HA: a reader on a streaming replica of the target sees exactly its grants", async () => {
    replica = await timed("target: streaming replica (pg_basebackup -R) started", () => startReplica(target));
    // Wait until the replica has replayed everything the primary has written so far.
    const primaryLsn = await withClient(pgClientConfig(target.connection(ADMIN, ADMIN_PW, LAKE)), async (c) => {
      return (await c.query("SELECT pg_current_wal_lsn()::text AS l")).rows[0].l as string;
    });
    await withClient(pgClientConfig(replica.connection(ADMIN, ADMIN_PW, LAKE)), async (c) => {
      for (let i = 0; i < 100; i++) {
        const r = await c.query("SELECT pg_is_in_recovery() AS rec, pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught_up", [primaryLsn]);
        expect(r.rows[0].rec).toBe(true);
        if (r.rows[0].caught_up) break;
        await new Promise((res) => setTimeout(res, 100));
      }
    });
    // The same view through the replica as through the primary, for each reader (grants, `visible` and the
    // policies replicate physically).
    for (const r of [SALES, HR]) {
      const onPrimary = await duck(target.connection(r, PW[r], LAKE), { caPath: target.caPath });
      const expected = await view(onPrimary);
      closeDuck(onPrimary);
      const onReplica = await duck(replica.connection(r, PW[r], LAKE), { caPath: replica.caPath });
      expect({ r, view: await view(onReplica) }).toEqual({ r, view: expected });
      closeDuck(onReplica);
      if (r === HR) expect(expected).toEqual(seen[HR]);
    }
    // A revoke on the primary reaches a reader on the replica once the replica has replayed it (the lag).
    await withClient(pgClientConfig(target.connection(OWNER, PW[OWNER], LAKE)), (c) =>
      revokeRead(c, { reader: HR, schema: "hr", table: "salaries" }),
    );
    const t0 = performance.now();
    let hidden: string[] = ["?"];
    for (let i = 0; i < 200 && hidden.length; i++) {
      hidden = await catalogTablesAs(replica.connection(ADMIN, ADMIN_PW, LAKE), HR);
      if (hidden.length) await new Promise((res) => setTimeout(res, 25));
    }
    expect(hidden).toEqual([]);
    timings.push(["replica: a revoke on the primary seen by the reader on the replica after", Math.round(performance.now() - t0)]);
  }, 120_000);

  it("a catalog in its own schema, on a source with every guard migration, moves the same way", async () => {
    source2 = await createTestDatabase("move_src2");
    const src2 = source2;
    const dir2 = path.join(dataDir, "lake2");
    fs.mkdirSync(dir2);
    const srcAs = (user: string): CatalogConnection => ({ ...src2, user, password: PW[user], sslmode: "disable" });
    await withClient(src2, async (su) => {
      await su.query(`ALTER DATABASE ${quoteIdent(src2.database)} OWNER TO ${quoteIdent(OWNER)}`);
      await su.query(`CREATE SCHEMA lake AUTHORIZATION ${quoteIdent(OWNER)}`);
      await su.query(`GRANT USAGE, CREATE ON SCHEMA lake TO ${quoteIdent(WRITER)}`);
      await su.query(
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(OWNER)} IN SCHEMA lake GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${quoteIdent(WRITER)}`,
      );
      await su.query(
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(WRITER)} IN SCHEMA lake GRANT ALL ON TABLES TO ${quoteIdent(OWNER)} WITH GRANT OPTION`,
      );
      await installGuard(su, { catalogSchema: "lake", catalogOwner: OWNER, catalogWriter: WRITER });
    });
    const o = await duck(srcAs(OWNER), { write: true, schema: "lake", dataPath: dir2 });
    for (const sql of [
      "CREATE SCHEMA lake.sales",
      "CREATE SCHEMA lake.hr",
      "CREATE TABLE lake.sales.t AS SELECT 1 AS i",
      "CREATE TABLE lake.hr.salaries AS SELECT 2 AS i",
      // A partition grant moves too (its ACL row is keyed by the reader's OID like the others).
      "CREATE TABLE lake.hr.pay (y INTEGER, amount INTEGER)",
      "ALTER TABLE lake.hr.pay SET PARTITIONED BY (y)",
      "INSERT INTO lake.hr.pay SELECT CASE WHEN range < 3 THEN 2025 ELSE 2026 END, range FROM range(20)",
    ])
      await o.connection.run(sql);
    closeDuck(o);
    await withClient(srcAs(OWNER), async (c) => {
      await grantRead(c, { reader: SALES, schema: "sales" });
      await grantRead(c, { reader: HR, schema: "hr", table: "salaries" });
      await grantRows(c, { reader: HR, schema: "hr", table: "pay", rows: [{ column: "y", transform: "identity", values: ["2026"] }] });
    });
    const w = await duck(srcAs(WRITER), { write: true, schema: "lake", dataPath: dir2 });
    for (const sql of [
      "CREATE TABLE lake.sales.w (i INTEGER)",
      "INSERT INTO lake.sales.w VALUES (1)",
      "CREATE TABLE lake.sales.big AS SELECT range AS id FROM range(5000)",
      "DELETE FROM lake.sales.big WHERE id = 1",
    ])
      await w.connection.run(sql);
    closeDuck(w);
    const seen2: Record<string, unknown> = {};
    for (const r of [SALES, HR]) {
      const s = await duck(srcAs(r), { schema: "lake", dataPath: dir2 });
      seen2[r] = await view(s);
      closeDuck(s);
    }
    expect(seen2[SALES]).toEqual({
      tables: ["sales.big", "sales.t", "sales.w"],
      counts: { "sales.big": "4999", "sales.t": "1", "sales.w": "1" },
    });
    expect(seen2[HR]).toEqual({ tables: ["hr.pay", "hr.salaries"], counts: { "hr.pay": "17", "hr.salaries": "1" } });

    const dump2 = path.join(work, "lake2.dump");
    const steps: Array<[string, string[], string]> = [
      ["dump", ["dump", "--source", sourceConninfo(src2.database), "--out", dump2], src2.password],
      [
        "prepare",
        ["prepare", "--target", target.conninfo(ADMIN, "postgres"), "--owner", OWNER, "--writer", WRITER, "--database", LAKE2],
        ADMIN_PW,
      ],
      [
        "restore",
        ["restore", "--dump", dump2, "--target", target.conninfo(ADMIN, LAKE2), "--writer", WRITER, "--catalog-schema", "lake"],
        ADMIN_PW,
      ],
      ["repair", ["repair", "--target", target.conninfo(ADMIN, LAKE2), "--writer", WRITER], ADMIN_PW],
    ];
    for (const [name, args, pw] of steps) {
      const r = await timed(`schema lake: move-catalog.sh ${name}`, () => moveCatalog(args, pw));
      expect({ name, code: r.code, errors: r.stderr.split("\n").filter((l) => /ERROR|pg_restore: (error|warning)/.test(l)) }).toEqual({
        name,
        code: 0,
        errors: [],
      });
      if (name === "restore") expect(r.stderr).toMatch(/leaving out ACL lake TABLE ducklake_inlined_delete_\d+ /);
      if (name === "repair") expect(r.stderr).toContain("3 grants re-pinned"); // 2 in acl, 1 in partition_acl
    }
    await withClient(pgClientConfig(target.connection(OWNER, PW[OWNER], LAKE2)), async (c) => {
      const res = await installGuard(c, { catalogSchema: "lake", catalogOwner: OWNER, catalogWriter: WRITER });
      expect(res.applied).toEqual([]); // the source had every migration already
      const setting = await c.query(
        "SELECT key, value FROM ducklake_guard.setting WHERE key IN ('event_trigger', 'inlined_grants') ORDER BY 1",
      );
      expect(setting.rows).toEqual([
        { key: "event_trigger", value: "missing" },
        { key: "inlined_grants", value: "commit_trigger" },
      ]);
    });
    for (const r of [SALES, HR]) {
      const s = await duck(target.connection(r, PW[r], LAKE2), { caPath: target.caPath, schema: "lake", dataPath: dir2 });
      expect({ r, view: await view(s) }).toEqual({ r, view: seen2[r] });
      closeDuck(s);
    }
    const tw = await duck(target.connection(WRITER, PW[WRITER], LAKE2), {
      caPath: target.caPath,
      write: true,
      schema: "lake",
      dataPath: dir2,
    });
    await tw.connection.run("CREATE TABLE lake.sales.n (i INTEGER)");
    await tw.connection.run("INSERT INTO lake.sales.n VALUES (1), (2)");
    closeDuck(tw);
    const ts = await duck(target.connection(SALES, PW[SALES], LAKE2), { caPath: target.caPath, schema: "lake", dataPath: dir2 });
    expect((await view(ts)).counts).toEqual({ "sales.big": "4999", "sales.n": "2", "sales.t": "1", "sales.w": "1" });
    closeDuck(ts);
    const th = await duck(target.connection(HR, PW[HR], LAKE2), { caPath: target.caPath, schema: "lake", dataPath: dir2 });
    expect(await view(th)).toEqual(seen2[HR]);
    closeDuck(th);
  }, 240_000);
});
