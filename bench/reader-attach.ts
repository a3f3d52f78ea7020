// What a reader waits for with the real client: DuckDB 1.5.5 (ducklake + postgres extensions) ATTACH of
// a large guarded lake plus the first `SELECT count(*)` on a granted table, reader vs catalog owner, in
// one run, over TCP to a throw-away PostgreSQL (127.0.0.1).
// The lake: DuckDB itself creates the catalog and one real table (data files on local disk, so the figure
// is the catalog's, not S3's); then the catalog is grown in SQL the way bench/catalog-rls.ts grows its
// synthetic one, in the exact DDL DuckDB created (10,000 tables of 10 columns in 100 schemas, 1,000,000 data
// files with 2 column-stats rows each, a delete file per 20 data files), in one new snapshot. The guard is
// installed on top; the reader is granted 100 tables, the real one among them; reader-all every schema.
// Owner and reader runs are interleaved (one of each per round, fresh DuckDB each), medians printed; then
// one timed listing of every table per role (DuckDB loads each table's stats for it: slow on a big lake).
// Seen here: DuckDB's postgres extension reads catalog tables in ctid page ranges (the whole table, e.g. every
// row of ducklake_data_file at the first query), not by table_id, so the guard's row filter runs on every
// catalog row: cheap for a reader of 100 tables (hashed id list), dearer beyond 1,000 visible tables.
//   npx ts-node --transpile-only bench/reader-attach.ts                         (full scale)
//   READER_BENCH_SCALE=0.05 READER_BENCH_RUNS=3 npx ts-node --transpile-only bench/reader-attach.ts   (quick)
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { Client } from "pg";
import { DuckDBInstance } from "@duckdb/node-api";
import { findOfflineExtensions, instanceOptions } from "../cli/duckdbExtensions";
import { duckString } from "../cli/duckdbSql";
import { grantRead, installGuard } from "../postgres/guardClient";

const SCALE = Number(process.env.READER_BENCH_SCALE ?? 1);
const TABLES = Math.max(200, Math.round(10000 * SCALE));
const FILES = Math.max(2000, Math.round(1000000 * SCALE));
const SCHEMAS = 100;
const GRANTED = 100;
const RUNS = Number(process.env.READER_BENCH_RUNS ?? 7);
const root = path.resolve(__dirname, "..");
const work = `/tmp/ducklake-pulumi/bench-attach-${process.pid}`;
const pgDir = `${work}/pg`;
const dataPath = `${work}/data/`;

function pg(cmd: "start" | "stop", port?: number): string {
  return execFileSync("bash", [path.join(root, "scripts", "local-pg.sh"), cmd], {
    env: { ...process.env, LAKE_PG_DIR: pgDir, PURGE: "1", ...(port ? { LAKE_PG_PORT: String(port) } : {}) },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
}

/** Starts PostgreSQL on a port the kernel just handed out (the default 5433x range collides with client sockets here). */
async function startPg(): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    try {
      return pg("start", port);
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

async function duck() {
  const instance = await DuckDBInstance.create(":memory:", instanceOptions(findOfflineExtensions()));
  const c = await instance.connect();
  await c.run("LOAD ducklake; LOAD postgres");
  return {
    c,
    close: () => {
      c.closeSync();
      instance.closeSync();
    },
  };
}

type Login = { host: string; port: number; user: string; password: string };

async function attached(conn: Login) {
  const d = await duck();
  await d.c.run(
    `CREATE SECRET cat (TYPE postgres, HOST ${duckString(conn.host)}, PORT ${conn.port}, DATABASE 'bench', ` +
      `USER ${duckString(conn.user)}, PASSWORD ${duckString(conn.password)})`,
  );
  return d;
}
const ATTACH = "ATTACH 'ducklake:sslmode=disable' AS lake (READ_ONLY, METADATA_PARAMETERS MAP {'TYPE': 'postgres', 'SECRET': 'cat'})";

/** One user's wait: ATTACH (read-only) + the first count(*) on the real table, in a fresh DuckDB. */
async function attachAndCount(conn: Login): Promise<{ ms: number; rows: bigint }> {
  const d = await attached(conn);
  try {
    const t0 = process.hrtime.bigint();
    await d.c.run(ATTACH);
    const rows = (await d.c.runAndReadAll("SELECT count(*) FROM lake.s_real.t")).getRows()[0][0] as bigint;
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, rows };
  } finally {
    d.close();
  }
}

/** ATTACH + listing every table DuckDB shows (what `.tables` does): once, it is slow on a big lake. */
async function attachAndList(conn: Login): Promise<{ ms: number; tables: number }> {
  const d = await attached(conn);
  try {
    const t0 = process.hrtime.bigint();
    await d.c.run(ATTACH);
    const tables = Number((await d.c.runAndReadAll("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'lake'")).getRows()[0][0]);
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, tables };
  } finally {
    d.close();
  }
}

/** Grows the DuckDB-made catalog to the bench size in one new snapshot (ids above DuckDB's own). */
async function grow(c: Client): Promise<void> {
  const snap = Number((await c.query("SELECT max(snapshot_id) AS s FROM ducklake_snapshot")).rows[0].s) + 1;
  const S0 = 1000; // schema ids
  const T0 = 10000; // table ids
  const F0 = 10_000_000; // data file ids
  await c.query("BEGIN");
  await c.query(
    `INSERT INTO ducklake_snapshot (snapshot_id, snapshot_time, schema_version, next_catalog_id, next_file_id)
    VALUES ($1, now(), $1, ${T0 + TABLES + 10}, ${F0 + 2 * FILES})`,
    [snap],
  );
  await c.query("INSERT INTO ducklake_snapshot_changes (snapshot_id, changes_made) VALUES ($1, 'bench: synthetic tables')", [snap]);
  await c.query(
    `INSERT INTO ducklake_schema (schema_id, schema_uuid, begin_snapshot, schema_name, path, path_is_relative)
    SELECT ${S0} + s, gen_random_uuid(), $1, 'schema_' || s, 'schema_' || s || '/', true FROM generate_series(0, ${SCHEMAS - 1}) s`,
    [snap],
  );
  await c.query(
    `INSERT INTO ducklake_table (table_id, table_uuid, begin_snapshot, schema_id, table_name, path, path_is_relative)
    SELECT ${T0} + t, gen_random_uuid(), $1, ${S0} + t % ${SCHEMAS}, 'table_' || t, 'table_' || t || '/', true FROM generate_series(0, ${TABLES - 2}) t`,
    [snap],
  );
  await c.query(
    `INSERT INTO ducklake_schema_versions (begin_snapshot, schema_version, table_id) SELECT $1, $1, ${T0} + t FROM generate_series(0, ${TABLES - 2}) t`,
    [snap],
  );
  await c.query(
    `INSERT INTO ducklake_column (column_id, begin_snapshot, table_id, column_order, column_name, column_type, default_value, nulls_allowed, default_value_type, default_value_dialect)
    SELECT k, $1, ${T0} + t, k, 'col_' || k, 'int64', 'NULL', true, 'literal', 'duckdb' FROM generate_series(0, ${TABLES - 2}) t, generate_series(1, 10) k`,
    [snap],
  );
  await c.query(`INSERT INTO ducklake_table_stats (table_id, record_count, next_row_id, file_size_bytes)
    SELECT ${T0} + t, 0, 0, 0 FROM generate_series(0, ${TABLES - 2}) t`);
  // Data files of the synthetic tables (never read: nobody queries them), spread evenly.
  await c.query(
    `INSERT INTO ducklake_data_file (data_file_id, table_id, begin_snapshot, path, path_is_relative, file_format, record_count, file_size_bytes, footer_size, row_id_start)
    SELECT ${F0} + f, ${T0} + f % ${TABLES - 1}, $1, 'ducklake-' || f || '.parquet', true, 'parquet', 1000, 100000, 512, (f / ${TABLES - 1}) * 1000
      FROM generate_series(0, ${FILES - 1}) f`,
    [snap],
  );
  await c.query(
    `INSERT INTO ducklake_delete_file (delete_file_id, table_id, begin_snapshot, data_file_id, path, path_is_relative, format, delete_count, file_size_bytes, footer_size)
    SELECT ${F0 + FILES} + f, ${T0} + f % ${TABLES - 1}, $1, ${F0} + f, 'del-' || f || '.parquet', true, 'parquet', 3, 1000, 100 FROM generate_series(0, ${FILES - 1}, 20) f`,
    [snap],
  );
  await c.query(`INSERT INTO ducklake_file_column_stats (data_file_id, table_id, column_id, column_size_bytes, value_count, null_count, min_value, max_value)
    SELECT ${F0} + f, ${T0} + f % ${TABLES - 1}, k, 1000, 1000, 0, '0', '999' FROM generate_series(0, ${FILES - 1}) f, generate_series(1, 2) k`);
  await c.query("COMMIT");
  await c.query("VACUUM ANALYZE");
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (!findOfflineExtensions())
    console.log("reader-attach: no offline extension folder: DuckDB installs the official extensions (needs internet)");
  fs.mkdirSync(dataPath, { recursive: true });
  const admin = JSON.parse(await startPg());
  const owner = { host: "127.0.0.1", port: admin.port, user: admin.user, password: admin.password };
  const reader = { ...owner, user: "bench_reader", password: "bench-reader-pw" };
  const readerAll = { ...owner, user: "bench_all", password: "bench-reader-pw" };
  try {
    const a = new Client(admin);
    await a.connect();
    await a.query("CREATE DATABASE bench");
    await a.end();
    const t0 = Date.now();
    // 1. DuckDB creates the lake and one real table (3 data files).
    const d = await duck();
    await d.c.run(
      `ATTACH ${duckString(`ducklake:postgres:dbname=bench host=127.0.0.1 port=${admin.port} user=${admin.user} password=${admin.password}`)} AS lake (DATA_PATH ${duckString(dataPath)})`,
    );
    await d.c.run("CREATE SCHEMA lake.s_real; CREATE TABLE lake.s_real.t (id BIGINT, v DOUBLE)");
    for (let i = 0; i < 3; i++)
      await d.c.run(`INSERT INTO lake.s_real.t SELECT i, i * 0.5 FROM range(${i * 100000}, ${(i + 1) * 100000}) r(i)`);
    d.close();
    // 2. The catalog grown to size, 3. the guard, a reader with 100 grants.
    const c = new Client({ ...admin, database: "bench" });
    await c.connect();
    await grow(c);
    const built = Date.now() - t0;
    const ti = Date.now();
    await installGuard(c);
    const installMs = Date.now() - ti;
    await c.query(`CREATE ROLE bench_reader LOGIN PASSWORD '${reader.password}'`);
    await grantRead(c, { reader: "bench_reader", schema: "s_real", table: "t" });
    const names = (
      await c.query(`SELECT s.schema_name, t.table_name FROM ducklake_table t JOIN ducklake_schema s USING (schema_id)
      WHERE t.table_id >= 10000 AND t.table_id % ${Math.floor(TABLES / GRANTED)} = 0 ORDER BY t.table_id LIMIT ${GRANTED - 1}`)
    ).rows;
    for (const n of names) await grantRead(c, { reader: "bench_reader", schema: n.schema_name, table: n.table_name });
    await c.query(`CREATE ROLE bench_all LOGIN PASSWORD '${readerAll.password}'`);
    for (const sc of ["s_real", ...Array.from({ length: SCHEMAS }, (_, i) => `schema_${i}`)])
      await grantRead(c, { reader: "bench_all", schema: sc });
    await c.query("VACUUM ANALYZE ducklake_guard.visible");
    const counts = (
      await c.query("SELECT (SELECT count(*) FROM ducklake_table) AS tables, (SELECT count(*) FROM ducklake_data_file) AS files")
    ).rows[0];
    await c.end();
    console.log(
      `reader-attach: scale ${SCALE}: ${counts.tables} tables, ${counts.files} data files, reader granted ${names.length + 1} tables, reader-all every schema; ` +
        `built in ${(built / 1000).toFixed(1)} s, guard installed in ${(installMs / 1000).toFixed(1)} s; ${RUNS} interleaved runs each`,
    );

    // 4. Warm-up (first-load costs of PostgreSQL's caches), then interleaved rounds.
    const who = { owner, reader, "reader-all": readerAll };
    const names3 = Object.keys(who) as (keyof typeof who)[];
    for (const k of names3) await attachAndCount(who[k]);
    const times: Record<string, number[]> = { owner: [], reader: [], "reader-all": [] };
    for (let i = 0; i < RUNS; i++) {
      for (const k of names3) {
        const r = await attachAndCount(who[k]);
        if (r.rows !== 300000n) throw new Error(`${k}: count(*) gave ${r.rows}, expected 300000`);
        times[k].push(r.ms);
      }
    }
    const m = Object.fromEntries(names3.map((k) => [k, median(times[k])]));
    for (const k of names3)
      console.log(
        `  ${k.padEnd(10)} ATTACH + first count(*): median ${m[k].toFixed(0).padStart(6)} ms  (min ${Math.min(...times[k]).toFixed(0)}, max ${Math.max(...times[k]).toFixed(0)})`,
      );
    console.log(`  reader / owner:     ${(m.reader / m.owner).toFixed(2)}×   (goal ≤ 1.1; the reader's catalog holds its 100 tables)`);
    console.log(`  reader-all / owner: ${(m["reader-all"] / m.owner).toFixed(2)}×   (every table granted: the guard's full cost)`);
    for (const k of names3) {
      const l = await attachAndList(who[k]);
      console.log(`  ${k.padEnd(10)} ATTACH + list all tables (duckdb_tables()): ${(l.ms / 1000).toFixed(1)} s, ${l.tables} tables`);
    }
  } finally {
    pg("stop");
    fs.rmSync(work, { recursive: true, force: true });
  }
}
main().catch((e) => {
  console.error(e);
  try {
    pg("stop");
  } catch {
    /* already down */
  }
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(1);
});
