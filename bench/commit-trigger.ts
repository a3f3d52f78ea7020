// What the guard's commit trigger (sql/*_external_catalog.sql: a deferred constraint trigger on ducklake_snapshot
// that grants the inlined tables a DuckLake commit created) costs per DuckLake commit, with the real client:
// DuckDB 1.5.5 (ducklake + postgres extensions) as a writer WITHOUT BYPASSRLS (the write policy), one session, each
// statement its own commit. In one run, interleaved in rounds: the trigger enabled vs disabled (the baseline), for
//   - insert: a one-row INSERT into an existing table (no new inlined table: the trigger only scans pg_class), and
//   - new table: CREATE TABLE + one-row INSERT (a new inlined table per commit, granted to a schema reader);
// first on a small catalog, then after adding MANY inlined tables (each a real PostgreSQL table with DuckLake's
// inlined-table columns, so pg_class grows as it does on a lake with that many inlined tables/versions).
// Uses the running PostgreSQL of LAKE_PG_DIR (scripts/local-pg.sh start; superuser only to set the bench up).
//   LAKE_PG_DIR=/tmp/ducklake-pulumi/pg-x npx ts-node --transpile-only bench/commit-trigger.ts
//   COMMIT_BENCH_ROUNDS=5 COMMIT_BENCH_PER_ROUND=20 COMMIT_BENCH_MANY=5000 …                  (defaults)
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { randomBytes } from "crypto";
import { Client } from "pg";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { findOfflineExtensions, instanceOptions } from "../cli/duckdbExtensions";
import { duckString } from "../cli/duckdbSql";
import { grantRead, installGuard } from "../postgres/guardClient";
import { quoteIdent } from "../model/names";

const ROUNDS = Number(process.env.COMMIT_BENCH_ROUNDS ?? 5);
const PER_ROUND = Number(process.env.COMMIT_BENCH_PER_ROUND ?? 20);
const MANY = Number(process.env.COMMIT_BENCH_MANY ?? 5000);
const pgDir = process.env.LAKE_PG_DIR;
if (!pgDir || !fs.existsSync(path.join(pgDir, "connection.json")))
  throw new Error("set LAKE_PG_DIR to a running scripts/local-pg.sh server (bash scripts/local-pg.sh start)");
const su = JSON.parse(fs.readFileSync(path.join(pgDir, "connection.json"), "utf8"));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const sfx = randomBytes(3).toString("hex");
  const database = `bench_commit_${sfx}`,
    owner = `bc_owner_${sfx}`,
    writer = `bc_writer_${sfx}`,
    reader = `bc_reader_${sfx}`,
    pw = `pw_${sfx}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-commit-"));
  const admin = new Client({ ...su, database: "postgres" });
  await admin.connect();
  for (const r of [owner, writer, reader]) await admin.query(`CREATE ROLE ${quoteIdent(r)} LOGIN PASSWORD '${pw}'`);
  await admin.query(`CREATE DATABASE ${quoteIdent(database)} OWNER ${quoteIdent(owner)}`);
  const db = new Client({ ...su, database });
  await db.connect();
  try {
    await run(db, { database, owner, writer, reader, pw, dataDir });
  } finally {
    await db.end().catch(() => undefined);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [database]);
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)}`);
    for (const r of [reader, writer, owner]) await admin.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
    await admin.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function run(
  db: Client,
  {
    database,
    owner,
    writer,
    reader,
    pw,
    dataDir,
  }: { database: string; owner: string; writer: string; reader: string; pw: string; dataDir: string },
): Promise<void> {
  const setup = [
    `GRANT CONNECT ON DATABASE ${quoteIdent(database)} TO ${quoteIdent(writer)}`,
    `CREATE SCHEMA lake AUTHORIZATION ${quoteIdent(owner)}`,
    `GRANT USAGE, CREATE ON SCHEMA lake TO ${quoteIdent(writer)}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(owner)} IN SCHEMA lake GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${quoteIdent(writer)}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(writer)} IN SCHEMA lake GRANT ALL ON TABLES TO ${quoteIdent(owner)} WITH GRANT OPTION`,
  ];
  for (const s of setup) await db.query(s);
  const ext = findOfflineExtensions();
  const instance = await DuckDBInstance.create(":memory:", instanceOptions(ext));
  const attach = async (role: string): Promise<DuckDBConnection> => {
    const c = await instance.connect();
    await c.run("LOAD ducklake; LOAD postgres");
    const dsn = `ducklake:postgres:dbname=${database} host=${su.host} port=${su.port} user=${role} password=${pw}`;
    await c.run(`ATTACH ${duckString(dsn)} AS lake_${role} (METADATA_SCHEMA 'lake', DATA_PATH ${duckString(dataDir + "/")})`);
    return c;
  };
  const o = await attach(owner);
  await o.run(`CREATE SCHEMA lake_${owner}.s; CREATE TABLE lake_${owner}.s.t (i INTEGER)`);
  o.closeSync();
  await installGuard(db, { catalogSchema: "lake", catalogOwner: owner, catalogWriter: writer });
  await grantRead(db, { reader, schema: "s" });
  const w = await attach(writer);
  const L = `lake_${writer}`;
  let n = 0;
  const trigger = (on: boolean) =>
    db.query(`ALTER TABLE lake.ducklake_snapshot ${on ? "ENABLE ALWAYS" : "DISABLE"} TRIGGER ducklake_guard_snapshot_at_commit`);
  const workloads: Record<string, () => Promise<void>> = {
    insert: () => w.run(`INSERT INTO ${L}.s.t VALUES (${n++})`).then(() => undefined),
    "new table": async () => {
      const t = `n${n++}`;
      await w.run(`BEGIN; CREATE TABLE ${L}.s.${t} (i INTEGER); INSERT INTO ${L}.s.${t} VALUES (1); COMMIT`);
    },
  };
  const results: Array<{ catalog: string; workload: string; off: number; on: number }> = [];
  const measure = async (catalog: string) => {
    for (const [name, op] of Object.entries(workloads)) {
      await op(); // warm-up
      const times: Record<"on" | "off", number[]> = { on: [], off: [] };
      for (let r = 0; r < ROUNDS; r++)
        for (const mode of r % 2 ? (["off", "on"] as const) : (["on", "off"] as const)) {
          await trigger(mode === "on");
          for (let i = 0; i < PER_ROUND; i++) {
            const t0 = process.hrtime.bigint();
            await op();
            times[mode].push(Number(process.hrtime.bigint() - t0) / 1e6);
          }
        }
      await trigger(true);
      results.push({ catalog, workload: name, off: median(times.off), on: median(times.on) });
    }
    // The trigger's own pg_class scan (what every commit pays even when it creates no inlined table), in PostgreSQL:
    // the query of ducklake_guard.on_snapshot_commit(), with its xid and namespace computed once as there.
    await db.query(`DO $$ DECLARE t0 timestamptz := clock_timestamp(); x bigint[]; v_xid xid := pg_current_xact_id()::xid;
        v_nsp oid := 'lake'::regnamespace; BEGIN
        FOR k IN 1..200 LOOP
          SELECT array_agg(c.oid::bigint) INTO x FROM pg_class c WHERE c.xmin = v_xid AND c.relnamespace = v_nsp AND c.relkind = 'r'
             AND c.relname ~ '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$';
        END LOOP;
        PERFORM set_config('bench.scan_ms', (extract(epoch FROM clock_timestamp() - t0) * 1000 / 200)::text, false);
      END $$`);
    const { rows } = await db.query("SELECT current_setting('bench.scan_ms')::float AS ms");
    scans.push({ catalog, ms: Number(rows[0].ms) });
    // What the trigger calls for a commit that created an inlined table: the grant sync of one DuckLake table id.
    await db.query(`DO $$ DECLARE t0 timestamptz := clock_timestamp(); v_id bigint := (SELECT max(table_id) FROM lake.ducklake_table); BEGIN
        FOR k IN 1..50 LOOP PERFORM ducklake_guard.sync_inlined_grants(NULL, ARRAY[v_id]); END LOOP;
        PERFORM set_config('bench.sync_ms', (extract(epoch FROM clock_timestamp() - t0) * 1000 / 50)::text, false);
      END $$`);
    syncs.push({ catalog, ms: Number((await db.query("SELECT current_setting('bench.sync_ms')::float AS ms")).rows[0].ms) });
  };
  const scans: Array<{ catalog: string; ms: number }> = [];
  const syncs: Array<{ catalog: string; ms: number }> = [];
  const inlinedCount = async () =>
    Number(
      (
        await db.query(
          "SELECT count(*) AS n FROM pg_class WHERE relnamespace = 'lake'::regnamespace AND relname ~ '^ducklake_inlined_(data|delete)_'",
        )
      ).rows[0].n,
    );
  const small = await inlinedCount();
  await measure(`${small} inlined tables`);
  // Many inlined tables: the writer creates them, with DuckLake's inlined-table shape (ids far above real ones).
  await db.query(`SET ROLE ${quoteIdent(writer)}`);
  for (let i = 0; i < MANY; i += 500)
    await db.query(
      `DO $$ BEGIN FOR k IN ${i}..${Math.min(i + 499, MANY - 1)} LOOP
         EXECUTE format('CREATE TABLE lake.%I (row_id BIGINT, begin_snapshot BIGINT, end_snapshot BIGINT, i INTEGER)', 'ducklake_inlined_data_' || (1000000 + k) || '_1');
       END LOOP; END $$`,
    );
  await db.query("RESET ROLE");
  const many = await inlinedCount();
  await measure(`${many} inlined tables`);
  const pgClass = Number((await db.query("SELECT count(*) AS n FROM pg_class")).rows[0].n);

  console.log(
    `DuckLake commits by a DuckDB writer without BYPASSRLS; median ms per commit over ${ROUNDS} interleaved rounds of ${PER_ROUND}`,
  );
  console.log(
    `(pg_class rows at the end: ${pgClass}; PostgreSQL ${su.host}:${su.port}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)})`,
  );
  console.log("catalog                 | workload  | trigger off | trigger on | on/off");
  for (const sc of scans) console.log(`trigger's pg_class scan alone, ${sc.catalog}: ${sc.ms.toFixed(3)} ms`);
  for (const sy of syncs) console.log(`sync_inlined_grants(NULL, ARRAY[one table id]) alone, ${sy.catalog}: ${sy.ms.toFixed(3)} ms`);
  for (const r of results)
    console.log(
      `${r.catalog.padEnd(23)} | ${r.workload.padEnd(9)} | ${r.off.toFixed(2).padStart(11)} | ${r.on.toFixed(2).padStart(10)} | ${(r.on / r.off).toFixed(3)}`,
    );

  w.closeSync();
  instance.closeSync();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
