// Cost of partition grants (sql/007) on a throw-away PostgreSQL, all figures measured in the same run:
// - one table's file listing (what DuckDB reads per scan: data files, delete files, partition values, file column
//   stats of the current snapshot) for the catalog owner, a reader granted the whole table, a reader granted every
//   partition of it (the same rows as the table reader: the pure cost of the per-file filter) and a reader granted
//   one partition in ten; interleaved round by round, medians, ratios against the owner and the table reader;
// - grant_rows at that scale (resolving every file once);
// - a writer committing one file (data_file + partition value rows) into a table with partition grants vs one without
//   (the statement triggers that make new files visible).
//   npx ts-node --transpile-only bench/partition-grant-cost.ts [files] [rounds]   (default 5000 200)
import { execFileSync } from "child_process";
import * as path from "path";
import { Client } from "pg";
import { createDuckLakeCatalog } from "../test/fixtures/ducklakeCatalog";
import { grantRead, grantRows, installGuard } from "../postgres/guardClient";

const [FILES = 5000, ROUNDS = 200] = process.argv
  .slice(2)
  .map(Number)
  .filter((x) => x > 0);
const root = path.resolve(__dirname, "..");
const pgDir = `/tmp/ducklake-pulumi/bench-partition-${process.pid}`;
const pg = (cmd: "start" | "stop") =>
  execFileSync("bash", [path.join(root, "scripts", "local-pg.sh"), cmd], {
    env: { ...process.env, LAKE_PG_DIR: pgDir, PURGE: "1" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const YEARS = 10; // files spread over 2020..2029

async function main(): Promise<void> {
  const conn = JSON.parse(pg("start"));
  const clients: Client[] = [];
  try {
    const a = new Client(conn);
    await a.connect();
    await a.query("CREATE DATABASE part_bench");
    for (const r of ["bench_table", "bench_all", "bench_one"]) await a.query(`CREATE ROLE ${r} LOGIN PASSWORD 'bench'`);
    await a.end();
    const su = new Client({ ...conn, database: "part_bench" });
    await su.connect();
    clients.push(su);
    const b = await createDuckLakeCatalog(su, { catalogSchema: "lake" });
    await b.createSchema("s");
    const cols = [
      { name: "id", type: "int64" },
      { name: "ts", type: "timestamp" },
    ];
    const big = await b.createTable("s", "big", { columns: cols, partitionBy: ["ts:year"] });
    const quiet = await b.createTable("s", "quiet", { columns: cols, partitionBy: ["ts:year"] });
    const q = async (sql: string, p: unknown[] = []) => (await su.query(sql, p)).rows;
    const snap = Number((await q("SELECT max(snapshot_id) AS s FROM lake.ducklake_snapshot"))[0].s);
    const pid = Number(
      (await q("SELECT partition_id FROM lake.ducklake_partition_info WHERE table_id = $1", [big.tableId]))[0].partition_id,
    );
    const year = `(2020 + f % ${YEARS})`;
    await su.query(
      `INSERT INTO lake.ducklake_data_file SELECT f, $1, $2, NULL, NULL, 'year=' || ${year} || '/f' || f || '.parquet', true, 'parquet', 1000, 100000, 512, f * 1000, $3, NULL, NULL, NULL
       FROM generate_series(1000000, 1000000 + $4 - 1) f`,
      [big.tableId, snap, pid, FILES],
    );
    await su.query(
      `INSERT INTO lake.ducklake_file_partition_value SELECT f, $1, 0, ${year}::text FROM generate_series(1000000, 1000000 + $2 - 1) f`,
      [big.tableId, FILES],
    );
    await su.query(
      `INSERT INTO lake.ducklake_file_column_stats SELECT f, $1, k, 1000, 1000, 0, '0', '999', false, NULL FROM generate_series(1000000, 1000000 + $2 - 1) f, generate_series(1, 2) k`,
      [big.tableId, FILES],
    );
    await su.query(
      `INSERT INTO lake.ducklake_delete_file SELECT 2000000 + f, $1, $2, NULL, f, 'del-' || f || '.parquet', true, 'parquet', 3, 1000, 100, NULL, NULL
       FROM generate_series(1000000, 1000000 + $3 - 1, 20) f`,
      [big.tableId, snap, FILES],
    );
    await su.query("ANALYZE");
    await installGuard(su, { catalogSchema: "lake" });
    await grantRead(su, { reader: "bench_table", schema: "s", table: "big" });
    const allYears = Array.from({ length: YEARS }, (_, i) => String(2020 + i));
    let t0 = process.hrtime.bigint();
    await grantRows(su, { reader: "bench_all", schema: "s", table: "big", rows: [{ column: "ts", transform: "year", values: allYears }] });
    const grantAllMs = ms(t0);
    t0 = process.hrtime.bigint();
    await grantRows(su, { reader: "bench_one", schema: "s", table: "big", rows: [{ column: "ts", transform: "year", values: ["2026"] }] });
    const grantOneMs = ms(t0);
    await su.query("ANALYZE");

    const sessions: Array<[string, Client]> = [["owner", su]];
    for (const r of ["bench_table", "bench_all", "bench_one"]) {
      const c = new Client({ ...conn, database: "part_bench", user: r, password: "bench" });
      await c.connect();
      clients.push(c);
      sessions.push([r, c]);
    }
    const cur = (s: number) => `begin_snapshot <= ${s} AND (end_snapshot IS NULL OR end_snapshot > ${s})`;
    const listing = [
      `SELECT data_file_id, path, path_is_relative, file_size_bytes, footer_size, record_count, row_id_start, begin_snapshot, partial_max, mapping_id, encryption_key FROM lake.ducklake_data_file WHERE table_id = ${big.tableId} AND ${cur(snap)}`,
      `SELECT data_file_id, path, path_is_relative, file_size_bytes, footer_size, encryption_key FROM lake.ducklake_delete_file WHERE table_id = ${big.tableId} AND ${cur(snap)}`,
      `SELECT data_file_id, partition_key_index, partition_value FROM lake.ducklake_file_partition_value WHERE table_id = ${big.tableId}`,
      `SELECT data_file_id, column_id, min_value, max_value, null_count FROM lake.ducklake_file_column_stats WHERE table_id = ${big.tableId}`,
    ];
    const times = new Map<string, number[]>(sessions.map(([n]) => [n, []]));
    const rows = new Map<string, number>();
    for (const [, c] of sessions) for (const s of listing) await c.query(s); // warm
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...sessions].reverse() : sessions;
      for (const [name, c] of order) {
        const t = process.hrtime.bigint();
        let n = 0;
        for (const s of listing) n += (await c.query(s)).rowCount ?? 0;
        times.get(name)!.push(ms(t));
        rows.set(name, n);
      }
    }

    // Writer side: one file (data_file + partition value, one transaction) into the granted table vs the quiet one.
    let next = 3000000;
    const commitFile = async (tableId: number) => {
      const f = next++;
      const t = process.hrtime.bigint();
      await su.query("BEGIN");
      await su.query(
        `INSERT INTO lake.ducklake_data_file SELECT $1::bigint, $2, $3, NULL, NULL, 'year=2026/n' || $1::bigint || '.parquet', true, 'parquet', 10, 1000, 512, 0, p.partition_id, NULL, NULL, NULL
         FROM lake.ducklake_partition_info p WHERE p.table_id = $2`,
        [f, tableId, snap],
      );
      await su.query("INSERT INTO lake.ducklake_file_partition_value VALUES ($1, $2, 0, '2026')", [f, tableId]);
      await su.query("COMMIT");
      return ms(t);
    };
    const writes = { granted: [] as number[], quiet: [] as number[] };
    for (let round = 0; round < Math.max(40, ROUNDS / 2); round++)
      for (const k of (round % 2 ? ["quiet", "granted"] : ["granted", "quiet"]) as Array<"granted" | "quiet">)
        writes[k].push(await commitFile(k === "granted" ? big.tableId : quiet.tableId));
    const seen = Number(
      (await q("SELECT count(*) AS n FROM ducklake_guard.visible WHERE kind = 'f' AND role_oid = 'bench_one'::regrole")).at(0).n,
    );

    const m = (n: string) => median(times.get(n)!);
    console.log(
      `one table, ${FILES} data files over ${YEARS} year partitions, ${Math.ceil(FILES / 20)} delete files, 2 column stats per file; ${ROUNDS} interleaved rounds (PostgreSQL ${(await q("SHOW server_version"))[0].server_version})`,
    );
    console.log("listing = data files + delete files + partition values + file column stats of the table (current snapshot)");
    for (const [name] of sessions)
      console.log(
        `  ${name.padEnd(12)} rows ${String(rows.get(name)).padStart(6)}  median ${m(name).toFixed(2).padStart(7)} ms  ` +
          `vs owner ${(m(name) / m("owner")).toFixed(2)}×  vs table reader ${(m(name) / m("bench_table")).toFixed(2)}×`,
      );
    console.log(
      `grant_rows, every partition (${FILES} files resolved): ${grantAllMs.toFixed(1)} ms; one partition: ${grantOneMs.toFixed(1)} ms`,
    );
    console.log(
      `writer commits one file: table with partition grants ${median(writes.granted).toFixed(2)} ms, without ${median(writes.quiet).toFixed(2)} ms, ` +
        `ratio ${(median(writes.granted) / median(writes.quiet)).toFixed(2)}× (${writes.granted.length} each; the one-partition reader now sees ${seen} files)`,
    );
  } finally {
    for (const c of clients) await c.end().catch(() => undefined);
    pg("stop");
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
