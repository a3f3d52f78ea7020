// Partition grants end to end with the real DuckDB client: the writer writes through DuckLake (files in a local
// folder, inlined rows in PostgreSQL), a reader logs in with its own role and attaches READ_ONLY; what it reads must
// equal what the owner reads with the partition filter, after deletes, re-partitioning, ducklake_add_data_files and
// in older snapshots. Table-level statistics are hidden from partition readers (sql/007): these scans run without them.
import * as fs from "fs";
import * as path from "path";
import { DuckDBConnection } from "@duckdb/node-api";
import { describeWithDuckDB, scalar } from "../support/duckdb";
import { CATALOG, partitionLake, PartitionLake } from "../support/partitionLake";
import { grantRows } from "../../postgres/guardClient";

describeWithDuckDB("partition grants read through DuckDB (READ_ONLY reader)", () => {
  let lake: PartitionLake;
  let w: DuckDBConnection;

  /** The reader's and the owner's answers to the same query: the owner's with the partition filter. */
  async function same(reader: DuckDBConnection, table: string, filter: string, at = ""): Promise<{ reader: unknown; owner: unknown }> {
    const q = (where: string) =>
      `SELECT count(*)::BIGINT::VARCHAR || ':' || coalesce(sum(hash(id))::VARCHAR, '-') FROM ${table}${at}${where}`;
    return { reader: await scalar(reader, q("")), owner: await scalar(w, q(` WHERE ${filter}`)) };
  }

  beforeAll(async () => {
    lake = await partitionLake("part_duck");
    w = await lake.duck(lake.writer);
    await w.run("CREATE SCHEMA hr");
  }, 120_000);
  afterAll(async () => {
    await lake?.close();
  });

  test("year(ts) = 2026: counts match the owner's filtered counts through deletes, re-partitioning, add_data_files and time travel", async () => {
    await w.run("CREATE TABLE hr.salaries (id INT, region VARCHAR, ts TIMESTAMP, amount INT)");
    // Written before partitioning (a file without partition values): never visible to a partition reader. Its rows are
    // from 2024, so the owner's filter excludes them too.
    await w.run("INSERT INTO hr.salaries SELECT i, 'emea', TIMESTAMP '2024-03-01' + INTERVAL (i) DAY, i FROM range(50) t(i)");
    await w.run("ALTER TABLE hr.salaries SET PARTITIONED BY (year(ts))");
    await w.run(
      "INSERT INTO hr.salaries SELECT 1000 + i, CASE WHEN i % 3 = 0 THEN 'apac' ELSE 'emea' END, TIMESTAMP '2025-11-01' + INTERVAL (i) HOUR * 7, i FROM range(600) t(i)",
    );
    const reader = await lake.newReader("part_duck_r");
    await grantRows(lake.su, { reader, schema: "hr", table: "salaries", rows: [{ column: "ts", transform: "year", values: ["2026"] }] });
    const r = await lake.duck(reader, { readOnly: true });
    const filter = "year(ts) = 2026";
    let m = await same(r, "hr.salaries", filter);
    expect(m.reader).toBe(m.owner);
    expect(String(m.reader)).not.toMatch(/^0:/);
    const v1 = await scalar(w, "SELECT max(snapshot_id)::VARCHAR FROM ducklake_snapshots('lake')");

    // Inlined rows (a few rows: no file) in and outside 2026.
    await w.run(
      "INSERT INTO hr.salaries VALUES (5000, 'emea', TIMESTAMP '2026-07-01 12:00:00', 1), (5001, 'emea', TIMESTAMP '2025-07-01', 2), (5002, NULL, NULL, 3)",
    );
    m = await same(r, "hr.salaries", filter);
    expect(m.reader).toBe(m.owner);
    // A DELETE in the granted partition (delete file / inlined deletes) and one outside it.
    await w.run("DELETE FROM hr.salaries WHERE id BETWEEN 1300 AND 1400 OR id = 1003 OR id = 1");
    m = await same(r, "hr.salaries", filter);
    expect(m.reader).toBe(m.owner);
    // Re-partitioning: new files carry year(ts) as key 1 of a new spec; old files keep theirs.
    await w.run("ALTER TABLE hr.salaries SET PARTITIONED BY (region, year(ts))");
    await w.run("INSERT INTO hr.salaries SELECT 6000 + i, 'amer', TIMESTAMP '2026-01-01' + INTERVAL (i) HOUR * 20, i FROM range(800) t(i)");
    m = await same(r, "hr.salaries", filter);
    expect(m.reader).toBe(m.owner);
    // A file added from outside under year=1999: not granted, the reader's count is unchanged.
    const before = await scalar(r, "SELECT count(*)::VARCHAR FROM hr.salaries");
    const file = path.join(lake.dataDir, "imports", "region=emea", "year=1999", "added.parquet");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await w.run(
      `COPY (SELECT (7000 + i)::INT AS id, 'emea' AS region, TIMESTAMP '1999-05-01' AS ts, i::INT AS amount FROM range(30) t(i)) TO '${file}'`,
    );
    await w.run(`CALL ducklake_add_data_files('lake', 'salaries', '${file}', schema => 'hr')`);
    expect(await scalar(w, "SELECT count(*)::INT FROM hr.salaries WHERE id >= 7000")).toBe(30);
    expect(await scalar(r, "SELECT count(*)::VARCHAR FROM hr.salaries")).toBe(before);
    m = await same(r, "hr.salaries", filter);
    expect(m.reader).toBe(m.owner);
    // Time travel: the snapshot before all of that.
    m = await same(r, "hr.salaries", filter, ` AT (VERSION => ${v1})`);
    expect(m.reader).toBe(m.owner);
    // DuckDB saw no table-level statistics, and the hidden ones really are there for the owner.
    const stats = await lake.su.query(`SELECT count(*)::int AS n FROM ${CATALOG}.ducklake_table_stats`);
    expect(stats.rows[0].n).toBeGreaterThan(0);
    const rc = await lake.connectAs(reader);
    expect((await rc.query(`SELECT count(*)::int AS n FROM ${CATALOG}.ducklake_table_stats`)).rows[0].n).toBe(0);
  }, 240_000);

  test("identity key on VARCHAR with odd characters, in files and inlined rows (bytea in the catalog)", async () => {
    const odd = ["a/b=c d%", "ä?#", "", "x'y\"z"];
    await w.run("CREATE TABLE hr.odd (id INT, region VARCHAR)");
    await w.run("ALTER TABLE hr.odd SET PARTITIONED BY (region)");
    await w.run(
      `INSERT INTO hr.odd SELECT i, [${odd.map((s) => `'${s.replace(/'/g, "''")}'`).join(", ")}, NULL, 'other'][i % 6 + 1] FROM range(300) t(i)`,
    );
    await w.run("INSERT INTO hr.odd VALUES (1000, 'a/b=c d%'), (1001, 'ä?#'), (1002, 'A/B=C D%'), (1003, NULL)"); // inlined
    const reader = await lake.newReader("part_duck_odd");
    await grantRows(lake.su, {
      reader,
      schema: "hr",
      table: "odd",
      rows: [{ column: "region", transform: "identity", values: ["a/b=c d%", "", "ä?#"] }],
    });
    const r = await lake.duck(reader, { readOnly: true });
    const m = await same(r, "hr.odd", "region IN ('a/b=c d%', '', 'ä?#')");
    expect(m.reader).toBe(m.owner);
    expect(String(m.reader)).toMatch(/^152:/); // 3 × 50 file rows + 2 inlined
    expect(await scalar(r, "SELECT count(*)::INT FROM hr.odd WHERE id >= 1000")).toBe(2);
    // NULL is a partition value too, granted explicitly.
    const n = await lake.newReader("part_duck_null");
    await grantRows(lake.su, {
      reader: n,
      schema: "hr",
      table: "odd",
      rows: [{ column: "region", transform: "identity", values: [null] }],
    });
    const rn = await lake.duck(n, { readOnly: true });
    const mn = await same(rn, "hr.odd", "region IS NULL");
    expect(mn.reader).toBe(mn.owner);
  }, 240_000);

  test("month, day and hour keys (TIMESTAMP and DATE) and an INTEGER identity key, in files and inlined rows", async () => {
    await w.run("CREATE TABLE hr.events (id INT, shard INT, ts TIMESTAMP, d DATE)");
    await w.run("ALTER TABLE hr.events SET PARTITIONED BY (shard, year(ts), month(ts), day(ts), hour(ts), year(d))");
    await w.run(
      "INSERT INTO hr.events SELECT i, i % 4, TIMESTAMP '2026-02-27 20:00:00' + INTERVAL (i * 37) MINUTE, DATE '2025-12-30' + (i % 5)::INT FROM range(400) t(i)",
    );
    // Inlined: fractional seconds, midnight, a date-only value, NULLs.
    await w.run(
      "INSERT INTO hr.events VALUES (1000, 1, TIMESTAMP '2026-03-01 07:15:00.25', DATE '2026-01-01'), (1001, 2, TIMESTAMP '2026-03-02 00:00:00', DATE '2025-12-31'), (1002, NULL, NULL, NULL), (1003, 1, TIMESTAMP '2026-02-28 07:00:00', DATE '2026-01-02')",
    );
    const cases: Array<
      [Array<{ column: string; transform: "identity" | "year" | "month" | "day" | "hour"; values: (string | null)[] }>, string]
    > = [
      [[{ column: "ts", transform: "month", values: ["3"] }], "month(ts) = 3"],
      [
        [
          { column: "ts", transform: "day", values: ["1", "28"] },
          { column: "ts", transform: "hour", values: ["7", "0"] },
        ],
        "day(ts) IN (1, 28) AND hour(ts) IN (7, 0)",
      ],
      [
        [
          { column: "shard", transform: "identity", values: ["1", null] },
          { column: "d", transform: "year", values: ["2026"] },
        ],
        "(shard = 1 OR shard IS NULL) AND year(d) = 2026",
      ],
    ];
    for (const [rows, filter] of cases) {
      const reader = await lake.newReader("part_duck_time");
      await grantRows(lake.su, { reader, schema: "hr", table: "events", rows });
      const r = await lake.duck(reader, { readOnly: true });
      const m = await same(r, "hr.events", filter);
      expect({ filter, reader: m.reader }).toEqual({ filter, reader: m.owner });
      expect(String(m.reader)).not.toMatch(/^0:/);
      // The inlined rows it sees are exactly the owner's filtered inlined rows.
      expect(await scalar(r, "SELECT list(id ORDER BY id)::VARCHAR FROM hr.events WHERE id >= 1000")).toBe(
        await scalar(w, `SELECT list(id ORDER BY id)::VARCHAR FROM hr.events WHERE id >= 1000 AND (${filter})`),
      );
    }
  }, 240_000);

  test("two keys (region AND year), and two grants of one reader add up (OR)", async () => {
    await w.run("CREATE TABLE hr.orders (id INT, region VARCHAR, ts TIMESTAMP)");
    await w.run("ALTER TABLE hr.orders SET PARTITIONED BY (region, year(ts))");
    await w.run(
      "INSERT INTO hr.orders SELECT i, ['emea', 'apac', 'amer'][i % 3 + 1], TIMESTAMP '2025-10-01' + INTERVAL (i) HOUR * 5, FROM range(900) t(i)",
    );
    await w.run(
      "INSERT INTO hr.orders VALUES (5000, 'emea', TIMESTAMP '2026-05-05 05:05:05'), (5001, 'emea', TIMESTAMP '2025-05-05'), (5002, 'apac', TIMESTAMP '2026-01-01')",
    );
    const reader = await lake.newReader("part_duck_two");
    await grantRows(lake.su, {
      reader,
      schema: "hr",
      table: "orders",
      rows: [
        { column: "ts", transform: "year", values: ["2026"] },
        { column: "region", transform: "identity", values: ["emea"] },
      ],
    });
    const r = await lake.duck(reader, { readOnly: true });
    let m = await same(r, "hr.orders", "region = 'emea' AND year(ts) = 2026");
    expect(m.reader).toBe(m.owner);
    expect(String(m.reader)).not.toMatch(/^0:/);
    await grantRows(lake.su, {
      reader,
      schema: "hr",
      table: "orders",
      rows: [{ column: "region", transform: "identity", values: ["amer"] }],
    });
    const r2 = await lake.duck(reader, { readOnly: true });
    m = await same(r2, "hr.orders", "(region = 'emea' AND year(ts) = 2026) OR region = 'amer'");
    expect(m.reader).toBe(m.owner);
  }, 240_000);
});
