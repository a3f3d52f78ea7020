// Catalog guard benchmark on a throw-away PostgreSQL: a synthetic DuckLake catalog (10,000 tables,
// 1,000,000 data files at scale 1), DuckLake's full catalog load and one table's file listing, as
//   owner-stock   the owner on DuckLake's own DDL (no indexes besides primary keys), jit at its default (on)
//   owner-guard   the owner after the guard installed its table_id indexes (the guard sets jit = off)
//   reader-guard  a reader granted 100 tables through the guard
//   reader-all    a reader granted every schema whole (all tables: the largest visible set)
//   seed-style    a reader under per-row name-matching EXISTS policies (ducklake-pixi's design), jit on
//   seed-jit-off  the same with jit off
//   role-policy   a reader under one policy per role (issue 15's design without the per-statement sub-select):
//                 on a copy of the guarded catalog, `CREATE POLICY ... TO <reader> USING (table_id = ANY('{ids}'))`
//                 with the reader's ids as a literal array, per catalog table; also timed: rewriting those
//                 policies for one grant (what grant/revoke would cost) and for a table created in a schema
//                 granted whole to 10 readers (what DuckLake's CREATE TABLE would cost inside its commit)
// Each query is read table by table, as DuckDB's postgres extension does (COPY (SELECT …) per table).
// Figures print as medians and ratios measured in this run. The guarded listings of owner and readers are
// measured interleaved (one round each, in turn) so that load from other processes hits them alike.
//   npx ts-node --transpile-only bench/catalog-rls.ts            (full scale; ~2.5 min on 2 cores)
//   CATALOG_BENCH_SCALE=0.1 npx ts-node --transpile-only bench/catalog-rls.ts    (quick, ~20 s; noisy)
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import { SPEC_1_0_TABLES } from "../test/fixtures/ducklakeCatalog";
import { grantRead, installGuard } from "../postgres/guardClient";

const SCALE = Number(process.env.CATALOG_BENCH_SCALE ?? 1);
const TABLES = Math.max(200, Math.round(10000 * SCALE));
const FILES = Math.max(2000, Math.round(1000000 * SCALE));
const SCHEMAS = 100;
const GRANTED = 100;
const RUNS_LOAD = Number(process.env.CATALOG_BENCH_RUNS ?? 7);
const RUNS_LIST = Number(process.env.CATALOG_BENCH_LIST_RUNS ?? 301);
const root = path.resolve(__dirname, "..");
const pgDir = `/tmp/ducklake-pulumi/bench-${process.pid}`;

function pg(cmd: "start" | "stop"): string {
  return execFileSync("bash", [path.join(root, "scripts", "local-pg.sh"), cmd], {
    env: { ...process.env, LAKE_PG_DIR: pgDir, PURGE: "1" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
}

async function connect(cfg: object): Promise<Client> {
  const c = new Client(cfg);
  await c.connect();
  return c;
}

async function fill(c: Client): Promise<void> {
  await c.query("CREATE SCHEMA lake");
  for (const [t, cols] of SPEC_1_0_TABLES) await c.query(`CREATE TABLE lake.${t} (${cols})`);
  const snaps = 1000;
  await c.query(
    `INSERT INTO lake.ducklake_metadata (key, value) VALUES ('version','1.0'), ('data_path','s3://lake/data/'), ('encrypted','false')`,
  );
  await c.query(
    `INSERT INTO lake.ducklake_snapshot SELECT s, now(), s, ${TABLES + SCHEMAS + 10}, ${FILES * 2} FROM generate_series(0, ${snaps}) s`,
  );
  await c.query(
    `INSERT INTO lake.ducklake_snapshot_changes SELECT s, 'inserted_into_table:' || s, NULL, NULL, NULL FROM generate_series(0, ${snaps}) s`,
  );
  await c.query(
    `INSERT INTO lake.ducklake_schema SELECT s, gen_random_uuid(), 0, NULL, 'schema_' || s, 'schema_' || s || '/', true FROM generate_series(0, ${SCHEMAS - 1}) s`,
  );
  // table ids start after the schema ids; table t lives in schema t % SCHEMAS
  await c.query(
    `INSERT INTO lake.ducklake_table SELECT ${SCHEMAS} + t, gen_random_uuid(), 1, NULL, t % ${SCHEMAS}, 'table_' || t, 'table_' || t || '/', true FROM generate_series(0, ${TABLES - 1}) t`,
  );
  await c.query(
    `INSERT INTO lake.ducklake_column SELECT k, 1, NULL, ${SCHEMAS} + t, k, 'col_' || k, 'int64', NULL, NULL, true, NULL, 'literal', NULL FROM generate_series(0, ${TABLES - 1}) t, generate_series(1, 10) k`,
  );
  await c.query(
    `INSERT INTO lake.ducklake_tag SELECT ${SCHEMAS} + t, 1, NULL, 'comment', 'table ' || t FROM generate_series(0, ${TABLES - 1}, 5) t`,
  );
  await c.query(
    `INSERT INTO lake.ducklake_partition_info SELECT ${SCHEMAS + TABLES} + t, ${SCHEMAS} + t, 1, NULL FROM generate_series(0, ${TABLES - 1}, 10) t`,
  );
  await c.query(
    `INSERT INTO lake.ducklake_partition_column SELECT ${SCHEMAS + TABLES} + t, ${SCHEMAS} + t, 0, 1, 'identity' FROM generate_series(0, ${TABLES - 1}, 10) t`,
  );
  await c.query(
    `INSERT INTO lake.ducklake_sort_info SELECT ${SCHEMAS + 2 * TABLES} + t, ${SCHEMAS} + t, 1, NULL FROM generate_series(0, ${TABLES - 1}, 10) t`,
  );
  await c.query(
    `INSERT INTO lake.ducklake_sort_expression SELECT ${SCHEMAS + 2 * TABLES} + t, ${SCHEMAS} + t, 0, 'col_1', 'duckdb', 'ASC', 'NULLS_LAST' FROM generate_series(0, ${TABLES - 1}, 10) t`,
  );
  await c.query(`INSERT INTO lake.ducklake_table_stats SELECT ${SCHEMAS} + t, 1000, 1000, 100000 FROM generate_series(0, ${TABLES - 1}) t`);
  await c.query(
    `INSERT INTO lake.ducklake_view SELECT ${SCHEMAS + 3 * TABLES} + v, gen_random_uuid(), 1, NULL, v % ${SCHEMAS}, 'view_' || v, 'duckdb', 'SELECT 1', '' FROM generate_series(0, ${SCHEMAS * 2 - 1}) v`,
  );
  // files: spread over tables, snapshots ascending; 5% of files have a delete file; 2 stats rows per file
  await c.query(
    `INSERT INTO lake.ducklake_data_file SELECT f, ${SCHEMAS} + (f % ${TABLES}), 1 + f % ${snaps}, NULL, NULL, 'ducklake-' || f || '.parquet', true, 'parquet', 1000, 100000, 512, 0, NULL, NULL, NULL, NULL FROM generate_series(0, ${FILES - 1}) f`,
  );
  await c.query(
    `INSERT INTO lake.ducklake_delete_file SELECT ${FILES} + f, ${SCHEMAS} + (f % ${TABLES}), 1 + f % ${snaps}, NULL, f, 'del-' || f || '.parquet', true, 'parquet', 3, 1000, 100, NULL, NULL FROM generate_series(0, ${FILES - 1}, 20) f`,
  );
  await c.query(
    `INSERT INTO lake.ducklake_file_column_stats SELECT f, ${SCHEMAS} + (f % ${TABLES}), k, 1000, 1000, 0, '0', '999', false, NULL FROM generate_series(0, ${FILES - 1}) f, generate_series(1, 2) k`,
  );
  await c.query(`INSERT INTO lake.ducklake_schema_versions SELECT 1, 1, ${SCHEMAS} + t FROM generate_series(0, ${TABLES - 1}) t`);
  await c.query("VACUUM ANALYZE");
}

// DuckLake's catalog load at snapshot S, one scan per catalog table (what the postgres scanner pushes down).
const cur = (s: number) => `${s} >= begin_snapshot AND (${s} < end_snapshot OR end_snapshot IS NULL)`;
const loadQueries = (s: number) => [
  "SELECT key, value, scope, scope_id FROM lake.ducklake_metadata",
  `SELECT snapshot_id, schema_version, next_catalog_id, next_file_id FROM lake.ducklake_snapshot WHERE snapshot_id = (SELECT max(snapshot_id) FROM lake.ducklake_snapshot)`,
  `SELECT schema_id, schema_uuid, schema_name, path, path_is_relative FROM lake.ducklake_schema WHERE ${cur(s)}`,
  `SELECT schema_id, table_id, table_uuid, table_name, path, path_is_relative FROM lake.ducklake_table WHERE ${cur(s)}`,
  `SELECT table_id, column_id, column_name, column_type, initial_default, default_value, nulls_allowed, parent_column, column_order FROM lake.ducklake_column WHERE ${cur(s)}`,
  `SELECT object_id, key, value FROM lake.ducklake_tag WHERE ${cur(s)}`,
  `SELECT table_id, column_id, key, value FROM lake.ducklake_column_tag WHERE ${cur(s)}`,
  "SELECT table_id, table_name, schema_version FROM lake.ducklake_inlined_data_tables",
  `SELECT view_id, view_uuid, schema_id, view_name, dialect, sql, column_aliases FROM lake.ducklake_view WHERE ${cur(s)}`,
  `SELECT schema_id, macro_id, macro_name FROM lake.ducklake_macro WHERE ${cur(s)}`,
  "SELECT macro_id, impl_id, dialect, sql, type FROM lake.ducklake_macro_impl",
  "SELECT macro_id, impl_id, parameter_name, parameter_type FROM lake.ducklake_macro_parameters",
  `SELECT partition_id, table_id FROM lake.ducklake_partition_info WHERE ${cur(s)}`,
  "SELECT partition_id, table_id, partition_key_index, column_id, transform FROM lake.ducklake_partition_column",
  `SELECT sort_id, table_id FROM lake.ducklake_sort_info WHERE ${cur(s)}`,
  "SELECT sort_id, table_id, sort_key_index, expression, dialect, sort_direction, null_order FROM lake.ducklake_sort_expression",
];
const listQueries = (s: number, tableId: number) => [
  `SELECT data_file_id, path, path_is_relative, file_size_bytes, footer_size, record_count, row_id_start, begin_snapshot, partial_max, mapping_id, encryption_key FROM lake.ducklake_data_file WHERE table_id = ${tableId} AND ${cur(s)}`,
  `SELECT data_file_id, path, path_is_relative, file_size_bytes, footer_size, encryption_key FROM lake.ducklake_delete_file WHERE table_id = ${tableId} AND ${cur(s)}`,
];

async function median(c: Client, queries: string[], runs: number): Promise<{ ms: number; rows: number }> {
  for (const q of queries) await c.query(q); // warm
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    rows = 0;
    for (const q of queries) rows += (await c.query(q)).rowCount ?? 0;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], rows };
}

// Interleaved: round i runs the queries once per client, in turn; medians per client.
async function medianInterleaved(cs: Client[], queries: string[], runs: number): Promise<{ ms: number; rows: number }[]> {
  for (const c of cs) for (const q of queries) await c.query(q); // warm
  const times: number[][] = cs.map(() => []);
  const rows: number[] = cs.map(() => 0);
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < cs.length; k++) {
      const t0 = process.hrtime.bigint();
      let n = 0;
      for (const q of queries) n += (await cs[k].query(q)).rowCount ?? 0;
      times[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
      rows[k] = n;
    }
  }
  return times.map((t, k) => {
    t.sort((a, b) => a - b);
    return { ms: t[Math.floor(t.length / 2)], rows: rows[k] };
  });
}

async function seedPolicies(c: Client, reader: string, grantedTables: number[]): Promise<void> {
  await c.query("CREATE TABLE lake.seed_acl (role name, schema_name text, table_name text)");
  const { rows } = await c.query(
    `SELECT s.schema_name, t.table_name FROM lake.ducklake_table t JOIN lake.ducklake_schema s USING (schema_id) WHERE t.table_id = ANY($1)`,
    [grantedTables],
  );
  for (const r of rows) await c.query("INSERT INTO lake.seed_acl VALUES ($1, $2, $3)", [reader, r.schema_name, r.table_name]);
  await c.query("GRANT USAGE ON SCHEMA lake TO PUBLIC; GRANT SELECT ON ALL TABLES IN SCHEMA lake TO PUBLIC");
  await c.query(`ALTER TABLE lake.ducklake_table ENABLE ROW LEVEL SECURITY; CREATE POLICY seed ON lake.ducklake_table FOR SELECT USING (EXISTS (
    SELECT 1 FROM lake.seed_acl a JOIN lake.ducklake_schema s ON s.schema_name = a.schema_name
     WHERE a.role = current_user AND s.schema_id = ducklake_table.schema_id AND (a.table_name IS NULL OR a.table_name = ducklake_table.table_name)))`);
  for (const t of [
    "ducklake_column",
    "ducklake_data_file",
    "ducklake_delete_file",
    "ducklake_file_column_stats",
    "ducklake_partition_info",
    "ducklake_partition_column",
    "ducklake_sort_info",
    "ducklake_sort_expression",
    "ducklake_column_tag",
    "ducklake_inlined_data_tables",
  ])
    await c.query(`ALTER TABLE lake.${t} ENABLE ROW LEVEL SECURITY; CREATE POLICY seed ON lake.${t} FOR SELECT USING (EXISTS (
      SELECT 1 FROM lake.seed_acl a JOIN lake.ducklake_schema s ON s.schema_name = a.schema_name JOIN lake.ducklake_table tb ON tb.schema_id = s.schema_id
       WHERE a.role = current_user AND tb.table_id = ${t}.table_id AND (a.table_name IS NULL OR a.table_name = tb.table_name)))`);
}

// Per-role policies: each rule of ducklake_guard.catalog_rule with the reader's ids inlined as literal arrays.
function rolePredicate(rule: string, ids: Record<"s" | "t" | "v" | "m", number[]>): string {
  const any = (col: string, xs: number[]) => `${col} = ANY ('{${xs.join(",")}}'::bigint[])`;
  switch (rule) {
    case "global":
      return "true";
    case "hidden":
      return "false";
    case "table":
      return any("table_id", ids.t);
    case "table_or_null":
      return `table_id IS NULL OR ${any("table_id", ids.t)}`;
    case "schema":
      return any("schema_id", ids.s);
    case "view":
      return any("view_id", ids.v);
    case "macro":
      return any("macro_id", ids.m);
    case "tag":
      return any("object_id", [...ids.s, ...ids.t, ...ids.v]);
    case "metadata":
      return `scope IS NULL OR (scope = 'schema' AND ${any("scope_id", ids.s)}) OR (scope = 'table' AND ${any("scope_id", ids.t)})`;
    case "name_mapping":
      return "mapping_id IN (SELECT m.mapping_id FROM lake.ducklake_column_mapping m)";
    default:
      throw new Error(`unknown rule ${rule}`);
  }
}

/** (Re)writes one role's policies on every existing catalog table; returns how many were written. */
async function writeRolePolicies(c: Client, role: string, ids: Record<"s" | "t" | "v" | "m", number[]>): Promise<number> {
  const { rows } = await c.query(`SELECT r.table_name, r.rule FROM ducklake_guard.catalog_rule r
    WHERE to_regclass(format('lake.%I', r.table_name)) IS NOT NULL ORDER BY 1`);
  for (const r of rows) {
    await c.query(`DROP POLICY IF EXISTS ${"role_" + role} ON lake.${r.table_name}`);
    await c.query(`CREATE POLICY ${"role_" + role} ON lake.${r.table_name} FOR SELECT TO ${role} USING (${rolePredicate(r.rule, ids)})`);
  }
  return rows.length;
}

async function visibleIds(c: Client, role: string): Promise<Record<"s" | "t" | "v" | "m", number[]>> {
  const { rows } = await c.query(
    "SELECT kind, array_agg(object_id ORDER BY object_id) AS ids FROM ducklake_guard.visible WHERE role_oid = $1::regrole::oid GROUP BY kind",
    [role],
  );
  const ids: Record<"s" | "t" | "v" | "m", number[]> = { s: [], t: [], v: [], m: [] };
  for (const r of rows) ids[r.kind as "s" | "t" | "v" | "m"] = r.ids.map(Number);
  return ids;
}

async function main(): Promise<void> {
  const admin = JSON.parse(pg("start"));
  console.log(
    `catalog-rls: scale ${SCALE}: ${SCHEMAS} schemas, ${TABLES} tables, ${TABLES * 10} columns, ${FILES} data files, ${FILES * 2} file column stats, ${Math.ceil(FILES / 20)} delete files; reader granted ${GRANTED} tables; medians of ${RUNS_LOAD} (load) / ${RUNS_LIST} (guarded listing, interleaved) runs`,
  );
  try {
    const a = await connect(admin);
    await a.query("CREATE DATABASE bench_guard");
    const t0 = Date.now();
    const filler = await connect({ ...admin, database: "bench_guard" });
    await fill(filler);
    await filler.end();
    await a.query("CREATE DATABASE bench_seed TEMPLATE bench_guard");
    const g = await connect({ ...admin, database: "bench_guard" });
    console.log(`  catalog generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const s = 1000;
    const granted = Array.from({ length: GRANTED }, (_, i) => SCHEMAS + Math.floor((i * TABLES) / GRANTED));
    const listed = granted[GRANTED / 2];

    // owner, stock DuckLake DDL, PostgreSQL's default jit = on
    await g.query("SET jit = on");
    const ownerStockLoad = await median(g, loadQueries(s), RUNS_LOAD);
    const ownerStockList = await median(g, listQueries(s, listed), RUNS_LOAD * 3);
    await g.end();

    // guard: install (indexes, RLS, jit off for the database), 100 grants
    const g2 = await connect({ ...admin, database: "bench_guard" });
    const ti = Date.now();
    await installGuard(g2, { catalogSchema: "lake" });
    const installMs = Date.now() - ti;
    await g2.query(
      "CREATE ROLE bench_reader LOGIN PASSWORD 'bench'; CREATE ROLE bench_all LOGIN PASSWORD 'bench'; CREATE ROLE seed_reader LOGIN PASSWORD 'bench'",
    );
    const names = (
      await g2.query(
        "SELECT t.table_id, s.schema_name, t.table_name FROM lake.ducklake_table t JOIN lake.ducklake_schema s USING (schema_id) WHERE t.table_id = ANY($1)",
        [granted],
      )
    ).rows;
    const tg = Date.now();
    for (const n of names) await grantRead(g2, { reader: "bench_reader", schema: n.schema_name, table: n.table_name });
    const grantMs = (Date.now() - tg) / names.length;
    for (let i = 0; i < SCHEMAS; i++) await grantRead(g2, { reader: "bench_all", schema: `schema_${i}` });
    // the steady state autovacuum reaches: visibility map set (index-only scans) and fresh statistics
    await g2.query("VACUUM ANALYZE ducklake_guard.visible");
    await g2.end();
    const owner = await connect({ ...admin, database: "bench_guard" });
    const reader = await connect({ ...admin, database: "bench_guard", user: "bench_reader", password: "bench" });
    const readerAll = await connect({ ...admin, database: "bench_guard", user: "bench_all", password: "bench" });
    const ownerGuardLoad = await median(owner, loadQueries(s), RUNS_LOAD);
    const readerLoad = await median(reader, loadQueries(s), RUNS_LOAD);
    const readerAllLoad = await median(readerAll, loadQueries(s), RUNS_LOAD);
    const [ownerGuardList, readerList, readerAllList] = await medianInterleaved(
      [owner, reader, readerAll],
      listQueries(s, listed),
      RUNS_LIST,
    );
    if (process.env.CATALOG_BENCH_EXPLAIN)
      // the plans behind the listing figures
      for (const [who, c] of [
        ["owner", owner],
        ["reader", reader],
        ["reader-all", readerAll],
      ] as const)
        for (const q of listQueries(s, listed))
          console.log(
            `-- ${who}\n` + (await c.query(`EXPLAIN (ANALYZE, BUFFERS, SUMMARY) ${q}`)).rows.map((x) => x["QUERY PLAN"]).join("\n"),
          );
    await owner.end();
    await reader.end();
    await readerAll.end();

    // role-policy on a copy of the guarded catalog (same rows, indexes, statistics and visibility map).
    await a.query("CREATE DATABASE bench_role TEMPLATE bench_guard");
    const rp = await connect({ ...admin, database: "bench_role" });
    await rp.query("CREATE ROLE role_reader LOGIN PASSWORD 'bench'; CREATE ROLE role_all LOGIN PASSWORD 'bench'");
    await rp.query(
      "GRANT USAGE ON SCHEMA lake TO role_reader, role_all; GRANT SELECT ON ALL TABLES IN SCHEMA lake TO role_reader, role_all",
    );
    const readerIds = await visibleIds(rp, "bench_reader"),
      allIds = await visibleIds(rp, "bench_all");
    await writeRolePolicies(rp, "role_reader", readerIds);
    await writeRolePolicies(rp, "role_all", allIds);
    // What a grant costs: rewriting one reader's policies with one more id (per catalog table, ACCESS EXCLUSIVE each).
    const tw = Date.now();
    const written = await writeRolePolicies(rp, "role_reader", { ...readerIds, t: [...readerIds.t, SCHEMAS] });
    const rewriteMs = Date.now() - tw;
    await writeRolePolicies(rp, "role_reader", readerIds);
    // What DuckLake's CREATE TABLE in a schema granted whole to 10 readers costs: 10 readers' policies rewritten.
    for (let i = 0; i < 10; i++) await rp.query(`CREATE ROLE role_s${i}; GRANT SELECT ON ALL TABLES IN SCHEMA lake TO role_s${i}`);
    const schemaIds = { s: [0], t: Array.from({ length: TABLES / SCHEMAS }, (_, k) => SCHEMAS + k * SCHEMAS), v: [], m: [] };
    for (let i = 0; i < 10; i++) await writeRolePolicies(rp, `role_s${i}`, schemaIds);
    const td = Date.now();
    await rp.query("BEGIN");
    for (let i = 0; i < 10; i++) await writeRolePolicies(rp, `role_s${i}`, { ...schemaIds, t: [...schemaIds.t, 10 ** 9] });
    await rp.query("COMMIT");
    const ddlMs = Date.now() - td;
    await rp.query("VACUUM ANALYZE");
    await rp.end();
    const rOwner = await connect({ ...admin, database: "bench_role" });
    const rReader = await connect({ ...admin, database: "bench_role", user: "role_reader", password: "bench" });
    const rAll = await connect({ ...admin, database: "bench_role", user: "role_all", password: "bench" });
    const roleLoad = await median(rReader, loadQueries(s), RUNS_LOAD);
    const roleAllLoad = await median(rAll, loadQueries(s), RUNS_LOAD);
    const [roleOwnerList, roleList, roleAllList] = await medianInterleaved([rOwner, rReader, rAll], listQueries(s, listed), RUNS_LIST);
    if (process.env.CATALOG_BENCH_EXPLAIN)
      for (const [who, c] of [
        ["owner (role-policy db)", rOwner],
        ["role-policy reader", rReader],
        ["role-policy reader-all", rAll],
      ] as const)
        for (const q of listQueries(s, listed))
          console.log(
            `-- ${who}\n` + (await c.query(`EXPLAIN (ANALYZE, BUFFERS, SUMMARY) ${q}`)).rows.map((x) => x["QUERY PLAN"]).join("\n"),
          );
    await rOwner.end();
    await rReader.end();
    await rAll.end();
    await a.query("DROP DATABASE bench_role");
    await a.query(`DROP ROLE role_reader; DROP ROLE role_all; ${Array.from({ length: 10 }, (_, i) => `DROP ROLE role_s${i};`).join(" ")}`);

    // seed style on an identical copy (stock DDL: no guard indexes)
    const sd = await connect({ ...admin, database: "bench_seed" });
    await seedPolicies(sd, "seed_reader", granted);
    await sd.end();
    const seed = await connect({ ...admin, database: "bench_seed", user: "seed_reader", password: "bench" });
    await seed.query("SET jit = on");
    const seedLoad = await median(seed, loadQueries(s), Math.max(3, Math.ceil(RUNS_LOAD / 2)));
    const seedList = await median(seed, listQueries(s, listed), RUNS_LOAD);
    await seed.query("SET jit = off");
    const seedOffLoad = await median(seed, loadQueries(s), RUNS_LOAD);
    const seedOffList = await median(seed, listQueries(s, listed), RUNS_LOAD * 3);
    await seed.end();
    await a.query("DROP DATABASE bench_seed");
    await a.query("DROP DATABASE bench_guard");
    await a.query("DROP ROLE bench_reader; DROP ROLE bench_all; DROP ROLE seed_reader");
    await a.end();

    const row = (name: string, l: { ms: number; rows: number }, f: { ms: number; rows: number }) =>
      console.log(
        `  ${name.padEnd(14)} full load ${l.ms.toFixed(1).padStart(9)} ms (${l.rows} rows)   listing ${f.ms.toFixed(2).padStart(8)} ms (${f.rows} rows)`,
      );
    row("owner-stock", ownerStockLoad, ownerStockList);
    row("owner-guard", ownerGuardLoad, ownerGuardList);
    row("reader-guard", readerLoad, readerList);
    row("reader-all", readerAllLoad, readerAllList);
    row("role-policy", roleLoad, roleList);
    row("role-pol-all", roleAllLoad, roleAllList);
    row("owner (role db)", ownerGuardLoad, roleOwnerList);
    row("seed-style", seedLoad, seedList);
    row("seed-jit-off", seedOffLoad, seedOffList);
    const r = (x: number, y: number) => (x / y).toFixed(2);
    console.log(`  install ${installMs} ms; grant_read ${grantMs.toFixed(1)} ms per grant (${names.length} grants)`);
    console.log(`  reader listing / owner listing (same indexes):   ${r(readerList.ms, ownerGuardList.ms)}×   (target ≤ 1.1)`);
    console.log(`  reader-all listing / owner listing:              ${r(readerAllList.ms, ownerGuardList.ms)}×`);
    console.log(`  role-policy reader listing / owner listing:      ${r(roleList.ms, roleOwnerList.ms)}×   (same database, interleaved)`);
    console.log(`  role-policy reader-all listing / owner listing:  ${r(roleAllList.ms, roleOwnerList.ms)}×`);
    console.log(
      `  role-policy full load / reader-guard full load:  ${r(roleLoad.ms, readerLoad.ms)}×;  reader-all ${r(roleAllLoad.ms, readerAllLoad.ms)}×`,
    );
    console.log(
      `  role-policy grant (rewrite ${written} policies of one reader): ${rewriteMs} ms vs grant_read ${grantMs.toFixed(1)} ms;  ` +
        `CREATE TABLE in a schema granted to 10 readers: +${ddlMs} ms inside DuckLake's commit (10 x ${written} ALTERs, ACCESS EXCLUSIVE on every catalog table until commit)`,
    );
    console.log(`  reader full load / owner-stock full load:        ${r(readerLoad.ms, ownerStockLoad.ms)}×   (target ≤ 1)`);
    console.log(`  reader full load / owner-guard full load:        ${r(readerLoad.ms, ownerGuardLoad.ms)}×`);
    console.log(
      `  seed-style / reader: full load ${r(seedLoad.ms, readerLoad.ms)}×, listing ${r(seedList.ms, readerList.ms)}×   (target ≥ 10)`,
    );
    console.log(`  seed-jit-off / reader: full load ${r(seedOffLoad.ms, readerLoad.ms)}×, listing ${r(seedOffList.ms, readerList.ms)}×`);
    console.log(`  owner-stock listing / owner-guard listing:       ${r(ownerStockList.ms, ownerGuardList.ms)}×   (target ≥ 50)`);
  } finally {
    pg("stop");
    fs.rmSync(pgDir, { recursive: true, force: true });
  }
}
main().catch((e) => {
  console.error(e);
  pg("stop");
  process.exit(1);
});
