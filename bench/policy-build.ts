// Bucket-policy build time over a live-shaped layout (what the program reads from a real catalog: every
// table present, renamed tables, UUID folders, paths stored without their final "/", absolute paths, files
// outside their folder), and the time to read that layout from PostgreSQL with the program's own reader.
//   1. build: 200 readers x 100 table grants over 20,000 tables, as a ratio to the same grants over the empty
//      layout (no tables: the fastest possible build) measured in this run; the pre-issue-15 algorithm (oracle
//      copy in test/support/legacyPolicy) at 1,000 tables, with a byte-identity check; linearity in tables
//      (5k/10k/20k) and grants (50/100/200 per reader).
//   2. read: readCatalogLayout (postgres/catalogLayout.ts + sql/queries) on a throw-away PostgreSQL holding
//      that layout with 1,000,000 data files, against the same SQL alone (pg round trips and rows, no model).
//   npx ts-node --transpile-only bench/policy-build.ts              (~1-2 min on 2 cores)
//   POLICY_BENCH_NO_PG=1 npx ts-node --transpile-only bench/policy-build.ts    (build figures only)
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import { NormalizedGrant, ReaderSpec } from "../model/accessSpec";
import { buildBucketPolicy, BucketPolicyInput } from "../model/bucketPolicy";
import { emptyLayout, indexLayout, LakeLayout } from "../model/lakePaths";
import { readCatalogLayout } from "../postgres/catalogLayout";
import { catalogQuery } from "../postgres/sqlFiles";
import { SPEC_1_0_TABLES } from "../test/fixtures/ducklakeCatalog";
import { legacyBuildBucketPolicy } from "../test/support/legacyPolicy/bucketPolicy";
import { rng } from "../test/support/random";

const SCHEMAS = 100;
const uuid = (i: number) => `6f1c0a52-0000-4000-8000-${String(i).padStart(12, "0")}`;

/** The shapes a real catalog gives, by table number: mostly `name/`, then the special cases (see above). */
export function liveLayout(tables: number): LakeLayout {
  const l = emptyLayout("s3://lake/data/");
  l.schemas = Array.from({ length: SCHEMAS }, (_, s) =>
    s === 7
      ? { schemaId: s, name: "odd schema 7", path: `${uuid(s)}/`, pathIsRelative: true } // name outside [A-Za-z0-9_-]
      : s === 13
        ? { schemaId: s, name: `schema_${s}`, path: `schema_${s}`, pathIsRelative: true } // no final "/"
        : s === 29
          ? { schemaId: s, name: `schema_${s}`, path: "s3://lake/data/fin-2026/", pathIsRelative: false } // absolute
          : { schemaId: s, name: `schema_${s}`, path: `schema_${s}/`, pathIsRelative: true },
  );
  l.tables = Array.from({ length: tables }, (_, t) => {
    const k = t % 100,
      schema = l.schemas[t % SCHEMAS].name,
      base = { tableId: SCHEMAS + t, schema, pathIsRelative: true };
    if (k < 85) return { ...base, name: `table_${t}`, path: `table_${t}/` };
    if (k < 90) return { ...base, name: `table_${t}`, path: `old_table_${t}/` }; // renamed: keeps its folder
    if (k < 94) return { ...base, name: `table ${t}`, path: `${uuid(1000 + t)}/` }; // UUID folder
    if (k < 97) return { ...base, name: `table_${t}`, path: `table_${t}` }; // no final "/"
    if (k < 99) return { ...base, name: `table_${t}`, path: `s3://lake/data/archive/table_${t}/`, pathIsRelative: false };
    return { ...base, name: `table_${t}`, path: `part/table_${t}/` };
  });
  // What the reader reports for that catalog: the relative files of no-"/" tables written without the
  // leading "/" (1 in 7) and the absolute imports (1 in 1,000 files), see fill() below.
  return l;
}

const readers = (n: number): ReaderSpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `r${i}`, principal: { projectId: "2002", accessKey: `K${String(i).padStart(19, "0")}` } }));
/** Each reader: `perReader` distinct tables drawn at random from the layout (fully distinct grants: the worst case). */
function grantsOver(layout: LakeLayout, rs: ReaderSpec[], perReader: number, seed = 1): NormalizedGrant[] {
  const r = rng(seed);
  return rs.flatMap((rd) => {
    const picked = new Set<number>();
    while (picked.size < Math.min(perReader, layout.tables.length)) picked.add(Math.floor(r() * layout.tables.length));
    return [...picked].map((i) => {
      const t = layout.tables[i];
      return { reader: rd.name, schema: t.schema, table: t.name, mode: "read" as const, key: `${rd.name}/${t.schema}/${t.name}` };
    });
  });
}

const input = (layout: LakeLayout, rs: ReaderSpec[], gs: NormalizedGrant[]): BucketPolicyInput => ({
  bucket: "lake",
  ownerProjectId: "1001",
  readers: rs,
  grants: gs,
  layout,
  limitBytes: Infinity,
});

// CPU time of this process (user + system, GC threads included), not wall time: the 2 cores are shared with
// other work, and wall time then measures the queue. Builds are synchronous, so CPU time is their cost.
function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = process.cpuUsage();
  const value = fn();
  const d = process.cpuUsage(t0);
  return { ms: (d.user + d.system) / 1000, value };
}
const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function median(runs: number, fn: () => unknown): number {
  return mid(Array.from({ length: runs }, () => time(fn).ms));
}
/** Medians of several functions run in turn, round by round, so drifting load hits them alike. */
function interleaved(runs: number, fns: (() => unknown)[]): number[] {
  const ms: number[][] = fns.map(() => []);
  for (let i = 0; i < runs; i++) fns.forEach((fn, k) => ms[k].push(time(fn).ms));
  return ms.map(mid);
}

function buildFigures(): void {
  const rs = readers(200);
  const l20 = liveLayout(20000);
  const g20 = grantsOver(l20, rs, 100);
  for (let i = 0; i < 2; i++) buildBucketPolicy(input(emptyLayout("s3://lake/data/"), rs, g20)); // warm the JIT
  // Plain layout: the build indexes it (what happens after Pulumi's Output copy); sealed: indexed once before.
  const sealed = indexLayout(liveLayout(20000));
  const [empty, live, liveSealed] = interleaved(7, [
    () => buildBucketPolicy(input(emptyLayout("s3://lake/data/"), rs, g20)),
    () => buildBucketPolicy(input(l20, rs, g20)),
    () => buildBucketPolicy(input(sealed, rs, g20)),
  ]);
  const [withIndex, without] = interleaved(7, [() => indexLayout(liveLayout(20000)), () => liveLayout(20000)]);
  const indexing = withIndex - without;
  const p = buildBucketPolicy(input(l20, rs, g20));
  console.log(
    `policy-build: 200 readers x 100 distinct table grants, live-shaped layout (${SCHEMAS} schemas; renamed, UUID, no-"/", absolute, nested folders)`,
  );
  console.log("  (CPU ms of this process, medians of 7 interleaved rounds)");
  console.log(`  baseline  empty layout (0 tables), same grants:     ${empty.toFixed(0).padStart(6)} ms`);
  console.log(
    `  20,000 tables, plain layout (indexed by the build):  ${live.toFixed(0).padStart(6)} ms   ${(live / empty).toFixed(2)}x baseline   (target < 1 s)`,
  );
  console.log(
    `  20,000 tables, layout sealed once (index reused):    ${liveSealed.toFixed(0).padStart(6)} ms   ${(liveSealed / empty).toFixed(2)}x baseline`,
  );
  console.log(
    `  indexLayout(20,000 tables) alone:                    ${indexing.toFixed(1).padStart(6)} ms   ${((indexing / live) * 100).toFixed(1)}% of the build`,
  );
  console.log(
    `  policy: ${p.bytes.toLocaleString("en")} bytes, ${p.problems.length} problems, ${p.warnings.length} warnings, ${Object.values(p.readerPrefixes).reduce((n, x) => n + x.length, 0)} reader folders`,
  );

  // The pre-issue-15 algorithm (oracle) where it still finishes: 1,000 tables.
  const l1 = liveLayout(1000);
  const g1 = grantsOver(l1, rs, 100);
  const old1 = time(() => legacyBuildBucketPolicy(input(l1, rs, g1)));
  const new1 = median(7, () => buildBucketPolicy(input(l1, rs, g1)));
  const same =
    old1.value.json === buildBucketPolicy(input(l1, rs, g1)).json &&
    JSON.stringify(old1.value.problems) === JSON.stringify(buildBucketPolicy(input(l1, rs, g1)).problems);
  console.log(
    `  1,000 tables: pre-issue-15 algorithm ${old1.ms.toFixed(0)} ms, indexed ${new1.toFixed(0)} ms: ${(old1.ms / new1).toFixed(0)}x faster; JSON and problems byte-identical: ${same ? "yes" : "NO"}`,
  );
  const [oldEmpty, newEmpty] = interleaved(5, [
    () => legacyBuildBucketPolicy(input(emptyLayout("s3://lake/data/"), rs, g20)),
    () => buildBucketPolicy(input(emptyLayout("s3://lake/data/"), rs, g20)),
  ]);
  console.log(
    `  empty layout: pre-issue-15 algorithm ${oldEmpty.toFixed(0)} ms vs indexed ${newEmpty.toFixed(0)} ms (${(oldEmpty / newEmpty).toFixed(2)}x)`,
  );

  console.log("  linearity (200 readers):  tables  grants   ms     µs per (table + grant)   vs 5k/100");
  let unit = 0;
  for (const [n, k] of [
    [5000, 100],
    [10000, 100],
    [20000, 100],
    [20000, 50],
    [20000, 200],
  ]) {
    const l = liveLayout(n),
      gs = grantsOver(l, rs, k);
    const ms = median(5, () => buildBucketPolicy(input(l, rs, gs)));
    const per = (ms * 1000) / (n + gs.length);
    if (unit === 0) unit = per;
    console.log(
      `                            ${String(n).padStart(6)}  ${String(gs.length).padStart(6)}  ${ms.toFixed(0).padStart(5)}   ${per.toFixed(1).padStart(10)}                   ${(per / unit).toFixed(2)}x`,
    );
  }
  // A preview builds twice: LakeAccess.validate on the default (empty) layout, then the live policy.
  console.log(`  preview total (validate on the default layout + live build at 20,000 tables): ${(empty + live).toFixed(0)} ms`);
}

// ---------------------------------------------------------------------------------------------------------
// 2. Reading that layout from PostgreSQL.

const root = path.resolve(__dirname, "..");
const pgDir = `/tmp/ducklake-pulumi/bench-policy-${process.pid}`;
function pg(cmd: "start" | "stop"): string {
  return execFileSync("bash", [path.join(root, "scripts", "local-pg.sh"), cmd], {
    env: { ...process.env, LAKE_PG_DIR: pgDir, PURGE: "1" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
}

async function fill(c: Client, layout: LakeLayout, files: number): Promise<void> {
  await c.query("CREATE SCHEMA lake");
  for (const [t, cols] of SPEC_1_0_TABLES) await c.query(`CREATE TABLE lake.${t} (${cols})`);
  await c.query(
    "INSERT INTO lake.ducklake_metadata (key, value) VALUES ('version','1.0'), ('data_path','s3://lake/data/'), ('encrypted','false')",
  );
  await c.query(
    "INSERT INTO lake.ducklake_schema SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::bool[])",
    [
      layout.schemas.map((s) => s.schemaId),
      layout.schemas.map(() => null),
      layout.schemas.map(() => 0),
      layout.schemas.map(() => null),
      layout.schemas.map((s) => s.name),
      layout.schemas.map((s) => s.path),
      layout.schemas.map((s) => s.pathIsRelative),
    ],
  );
  const ts = layout.tables;
  await c.query(
    "INSERT INTO lake.ducklake_table SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::bool[])",
    [
      ts.map((t) => t.tableId),
      ts.map(() => null),
      ts.map(() => 1),
      ts.map(() => null),
      ts.map((_, i) => i % SCHEMAS),
      ts.map((t) => t.name),
      ts.map((t) => t.path),
      ts.map((t) => t.pathIsRelative),
    ],
  );
  // A dropped table and its files (not current: the reader must skip them).
  await c.query(`INSERT INTO lake.ducklake_table VALUES (${SCHEMAS + ts.length}, NULL, 1, 2, 0, 'dropped', 'dropped', true)`);
  // Files spread over the tables; 1 in 1,000 an absolute import elsewhere in the bucket; files of tables stored
  // without "/" as DuckLake writes them ("/name") except 1 in 7 ("name", outside the folder); 5% delete files.
  const n = ts.length;
  await c.query(`INSERT INTO lake.ducklake_data_file SELECT f, ${SCHEMAS} + (f % ${n}), 1, NULL, NULL,
      CASE WHEN f % 1000 = 999 THEN 's3://lake/imports/f-' || f || '.parquet'
           WHEN (f % ${n}) % 100 BETWEEN 94 AND 96 AND f % 7 <> 0 THEN '/ducklake-' || f || '.parquet'
           ELSE 'ducklake-' || f || '.parquet' END,
      f % 1000 <> 999, 'parquet', 1000, 100000, 512, 0, NULL, NULL, NULL, NULL FROM generate_series(0, ${files - 1}) f`);
  await c.query(
    `INSERT INTO lake.ducklake_data_file SELECT ${files} + f, ${SCHEMAS + n}, 1, 2, NULL, 'gone-' || f || '.parquet', true, 'parquet', 1, 1, 1, 0, NULL, NULL, NULL, NULL FROM generate_series(0, 999) f`,
  );
  await c.query(`INSERT INTO lake.ducklake_delete_file SELECT ${2 * files} + f, ${SCHEMAS} + (f % ${n}), 1, NULL, f,
      CASE WHEN (f % ${n}) % 100 BETWEEN 94 AND 96 THEN '/del-' || f || '.parquet' ELSE 'del-' || f || '.parquet' END,
      true, 'parquet', 3, 1000, 100, NULL, NULL FROM generate_series(0, ${files - 1}, 20) f`);
  await c.query("VACUUM ANALYZE");
}

async function readFigures(): Promise<void> {
  const TABLES = 20000,
    FILES = Number(process.env.POLICY_BENCH_FILES ?? 1000000);
  const admin = JSON.parse(pg("start"));
  try {
    const a = new Client(admin);
    await a.connect();
    await a.query("CREATE DATABASE bench_layout");
    const c = new Client({ ...admin, database: "bench_layout" });
    await c.connect();
    const t0 = Date.now();
    const layout = liveLayout(TABLES);
    await fill(c, layout, FILES);
    console.log(
      `layout read: PostgreSQL catalog with ${TABLES.toLocaleString("en")} tables, ${FILES.toLocaleString("en")} data files (generated in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
    const sqlOnly = async () => {
      await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      await c.query("SELECT set_config('search_path', 'lake', true)");
      let rows = 0;
      for (const q of ["data_path", "current_schemas", "current_tables", "stray_files"])
        rows += (await c.query(catalogQuery(q))).rowCount ?? 0;
      await c.query("COMMIT");
      return rows;
    };
    const read = () => readCatalogLayout(c, { catalogSchema: "lake", bucket: "lake" });
    await sqlOnly();
    await read(); // warm caches
    // Wall time (PostgreSQL works in its own process) and this process's CPU (row parsing, resolution, index).
    const sqlMs: number[] = [],
      readMs: number[] = [],
      sqlCpu: number[] = [],
      readCpu: number[] = [];
    let rows = 0,
      got: LakeLayout | undefined;
    const timed = async <T>(fn: () => Promise<T>, wall: number[], cpu: number[]): Promise<T> => {
      const t = process.hrtime.bigint(),
        c0 = process.cpuUsage();
      const v = await fn();
      const d = process.cpuUsage(c0);
      wall.push(Number(process.hrtime.bigint() - t) / 1e6);
      cpu.push((d.user + d.system) / 1000);
      return v;
    };
    for (let i = 0; i < 7; i++) {
      // interleaved, medians
      rows = await timed(sqlOnly, sqlMs, sqlCpu);
      got = await timed(read, readMs, readCpu);
    }
    console.log(
      `  baseline  the reader's 4 queries alone (${rows.toLocaleString("en")} rows):  ${mid(sqlMs).toFixed(0).padStart(6)} ms wall, ${mid(sqlCpu).toFixed(0)} ms node CPU`,
    );
    console.log(
      `  readCatalogLayout (queries + resolution + index):     ${mid(readMs).toFixed(0).padStart(6)} ms wall, ${mid(readCpu).toFixed(0)} ms node CPU   ` +
        `${(mid(readMs) / mid(sqlMs)).toFixed(2)}x baseline (wall)`,
    );
    console.log(
      `  read layout: ${got!.schemas.length} schemas, ${got!.tables.length} tables, ${got!.outsideFiles.length.toLocaleString("en")} files outside their folder`,
    );
    const rs = readers(200),
      gs = grantsOver(got!, rs, 100);
    const build = median(3, () => buildBucketPolicy(input(got!, rs, gs)));
    console.log(
      `  then the policy build on it (200 x 100): ${build.toFixed(0)} ms CPU; read + build ${(mid(readMs) + build).toFixed(0)} ms`,
    );
    await c.end();
    await a.query("DROP DATABASE bench_layout");
    await a.end();
  } finally {
    pg("stop");
    fs.rmSync(pgDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  buildFigures();
  if (!process.env.POLICY_BENCH_NO_PG) await readFigures();
}
if (require.main === module)
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
