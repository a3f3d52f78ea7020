// Where DuckLake (DuckDB 1.5.5 + the ducklake extension) puts a partitioned table's files and what it
// records about them, observed on a real PostgreSQL catalog and a real Ceph RGW bucket. These are the
// facts partition grants (issue 16, docs/design/partition-grants.md) build on: the S3 key prefixes a
// bucket policy can grant, and the catalog rows a guard can filter. A DuckLake upgrade that changes any
// of them fails here first.
import { Client } from "pg";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { createTestDatabase, dropTestDatabase } from "../support/pg";
import { createTestBucket, s3Client } from "../support/s3";
import { rgw, PgConnection } from "../support/services";
import { adminLakeInfo, describeWithExtensionDir, openTestLakeSession } from "../support/lakeSession";
import { parseLakeConnectionInfo } from "../../cli/connectionInfo";
import { duckString } from "../../cli/duckdbSql";
import { quoteIdent } from "../../model/names";

const suite = describeWithExtensionDir("partitionLayout");

const SCHEMA = "public"; // METADATA_SCHEMA of the DuckLake catalog in PostgreSQL
const FILE = /ducklake-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(-delete)?\.parquet$/;

let conn: PgConnection | undefined;
let pg: Client;
let bucket: string;
let instance: DuckDBInstance;
let duck: DuckDBConnection;

async function run(sql: string): Promise<void> {
  await duck.run(sql);
}
async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await duck.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}
/** The table's S3 keys below data/<schema>/<table>/, file names replaced by <file> / <delete>; sorted. */
async function keysOf(schema: string, table: string): Promise<string[]> {
  const prefix = `data/${schema}/${table}/`;
  const out: string[] = [];
  let token: string | undefined;
  do {
    const r = await s3Client(rgw().admin).send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) {
      const rel = o.Key!.slice(prefix.length);
      expect(rel).toMatch(FILE);
      out.push(rel.replace(FILE, (_m, del) => (del ? "<delete>" : "<file>")));
    }
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}
async function tableId(schema: string, table: string): Promise<number> {
  const r = await pg.query(
    `SELECT t.table_id FROM ${quoteIdent(SCHEMA)}.ducklake_table t JOIN ${quoteIdent(SCHEMA)}.ducklake_schema s USING (schema_id)
     WHERE s.schema_name = $1 AND t.table_name = $2 AND t.end_snapshot IS NULL`,
    [schema, table],
  );
  return Number(r.rows[0].table_id);
}
/** Live data files of a table: relative path (file name masked) → partition values by key index. */
async function filesWithValues(
  schema: string,
  table: string,
): Promise<{ path: string; relative: boolean; partitionId: number | null; values: (string | null)[] }[]> {
  const id = await tableId(schema, table);
  const r = await pg.query(
    `SELECT d.path, d.path_is_relative, d.partition_id,
            array_agg(v.partition_value ORDER BY v.partition_key_index) FILTER (WHERE v.data_file_id IS NOT NULL) AS vals
     FROM ${quoteIdent(SCHEMA)}.ducklake_data_file d
     LEFT JOIN ${quoteIdent(SCHEMA)}.ducklake_file_partition_value v USING (data_file_id)
     WHERE d.table_id = $1 AND d.end_snapshot IS NULL GROUP BY d.data_file_id, d.path, d.path_is_relative, d.partition_id`,
    [id],
  );
  return r.rows
    .map((x) => ({
      path: String(x.path).replace(FILE, "<file>"),
      relative: x.path_is_relative as boolean,
      partitionId: x.partition_id === null ? null : Number(x.partition_id),
      values: (x.vals ?? []) as (string | null)[],
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)); // code-unit order, as keysOf
}
/** Partition spec rows of a table: one string per key, "<partition_id>:<key index>:<column name>:<transform>". */
async function partitionColumns(schema: string, table: string): Promise<string[]> {
  const id = await tableId(schema, table);
  const r = await pg.query(
    `SELECT pc.partition_id, pc.partition_key_index, c.column_name, pc.transform, pi.end_snapshot
     FROM ${quoteIdent(SCHEMA)}.ducklake_partition_column pc
     JOIN ${quoteIdent(SCHEMA)}.ducklake_partition_info pi USING (partition_id, table_id)
     JOIN ${quoteIdent(SCHEMA)}.ducklake_column c ON c.table_id = pc.table_id AND c.column_id = pc.column_id AND c.end_snapshot IS NULL
     WHERE pc.table_id = $1 ORDER BY pc.partition_id, pc.partition_key_index`,
    [id],
  );
  return r.rows.map((x) => `${x.end_snapshot === null ? "current" : "ended"}:${x.partition_key_index}:${x.column_name}:${x.transform}`);
}

suite("DuckLake partition layout on PostgreSQL + RGW (DuckDB 1.5.5)", () => {
  beforeAll(async () => {
    bucket = await createTestBucket("partlayout");
    conn = await createTestDatabase("partlayout");
    pg = new Client(conn);
    await pg.connect();
    const info = parseLakeConnectionInfo(adminLakeInfo(conn.database, bucket, SCHEMA));
    // The session sets TimeZone UTC: temporal transforms of TIMESTAMPTZ depend on it (see below).
    ({ instance, c: duck } = await openTestLakeSession(info));
    await run("USE lake");
    await run("CREATE SCHEMA hr");
  }, 60_000);
  afterAll(async () => {
    duck?.closeSync();
    instance?.closeSync();
    await pg?.end();
    if (conn) await dropTestDatabase(conn);
  });

  test("identity partitions: <column>=<value> folders in key order, values percent-encoded in the path and raw in the catalog, NULL as __HIVE_DEFAULT_PARTITION__", async () => {
    await run("CREATE TABLE hr.ident (id INT, region VARCHAR, n INT)");
    await run("ALTER TABLE hr.ident SET PARTITIONED BY (region, n)");
    // 11+ rows: above the default inlining limit (10), so they go to files.
    await run(
      `INSERT INTO hr.ident SELECT i, ['east', 'a/b=c d%', NULL, '', 'ä?#'][i % 5 + 1], CASE WHEN i % 5 = 2 THEN NULL ELSE i % 5 END FROM range(20) t(i)`,
    );
    expect(await keysOf("hr", "ident")).toEqual([
      "region=%C3%A4%3F%23/n=4/<file>",
      "region=/n=3/<file>",
      "region=__HIVE_DEFAULT_PARTITION__/n=__HIVE_DEFAULT_PARTITION__/<file>",
      "region=a%2Fb%3Dc%20d%25/n=1/<file>",
      "region=east/n=0/<file>",
    ]);
    const files = await filesWithValues("hr", "ident");
    expect(files.map((f) => [f.path, f.relative, f.values])).toEqual([
      ["region=%C3%A4%3F%23/n=4/<file>", true, ["ä?#", "4"]],
      ["region=/n=3/<file>", true, ["", "3"]],
      ["region=__HIVE_DEFAULT_PARTITION__/n=__HIVE_DEFAULT_PARTITION__/<file>", true, [null, null]],
      ["region=a%2Fb%3Dc%20d%25/n=1/<file>", true, ["a/b=c d%", "1"]],
      ["region=east/n=0/<file>", true, ["east", "0"]],
    ]);
    expect(await partitionColumns("hr", "ident")).toEqual(["current:0:region:identity", "current:1:n:identity"]);
    // The partition_value column is text in PostgreSQL (values are compared as strings).
    const t = await pg.query(
      `SELECT data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'ducklake_file_partition_value' AND column_name = 'partition_value'`,
      [SCHEMA],
    );
    expect(t.rows[0].data_type).toMatch(/^(text|character varying)$/);
  }, 30_000);

  test("temporal transforms: year=/month=/day=/hour= folders hold calendar parts (month 1-12, day of month, hour of day), unpadded; a name clash becomes <transform>_<column>", async () => {
    await run("CREATE TABLE hr.events (id INT, ts TIMESTAMP, year INT)");
    await run("ALTER TABLE hr.events SET PARTITIONED BY (year(ts), month(ts), day(ts), hour(ts))");
    await run(
      `INSERT INTO hr.events SELECT i, [TIMESTAMP '2026-03-05 07:08:09', TIMESTAMP '2025-12-31 23:00:00', TIMESTAMP '0044-03-15 00:00:00', NULL][i % 4 + 1], 0 FROM range(20) t(i)`,
    );
    expect(await keysOf("hr", "events")).toEqual([
      "year=2025/month=12/day=31/hour=23/<file>",
      "year=2026/month=3/day=5/hour=7/<file>",
      "year=44/month=3/day=15/hour=0/<file>",
      "year=__HIVE_DEFAULT_PARTITION__/month=__HIVE_DEFAULT_PARTITION__/day=__HIVE_DEFAULT_PARTITION__/hour=__HIVE_DEFAULT_PARTITION__/<file>",
    ]);
    expect((await filesWithValues("hr", "events")).map((f) => f.values)).toEqual([
      ["2025", "12", "31", "23"],
      ["2026", "3", "5", "7"],
      ["44", "3", "15", "0"],
      [null, null, null, null],
    ]);
    expect(await partitionColumns("hr", "events")).toEqual([
      "current:0:ts:year",
      "current:1:ts:month",
      "current:2:ts:day",
      "current:3:ts:hour",
    ]);

    await run("CREATE TABLE hr.clash (id INT, year INT, ts TIMESTAMP)");
    await run("ALTER TABLE hr.clash SET PARTITIONED BY (year, year(ts))");
    await run("INSERT INTO hr.clash SELECT i, 7, TIMESTAMP '2026-01-01' FROM range(20) t(i)");
    expect(await keysOf("hr", "clash")).toEqual(["year=7/year_ts=2026/<file>"]);
    expect(await partitionColumns("hr", "clash")).toEqual(["current:0:year:identity", "current:1:ts:year"]);
  }, 30_000);

  test("TIMESTAMPTZ transforms use the writer's TimeZone setting: the same instant lands in year=2025/day=31 from New York", async () => {
    await run("CREATE TABLE hr.tz (id INT, happened TIMESTAMPTZ)");
    await run("ALTER TABLE hr.tz SET PARTITIONED BY (year(happened), day(happened))");
    await run("SET TimeZone = 'America/New_York'");
    try {
      await run("INSERT INTO hr.tz SELECT i, TIMESTAMPTZ '2026-01-01 02:00:00+00' FROM range(20) t(i)");
    } finally {
      await run("SET TimeZone = 'UTC'");
    }
    await run("INSERT INTO hr.tz SELECT i, TIMESTAMPTZ '2026-01-01 02:00:00+00' FROM range(20) t(i)");
    expect(await keysOf("hr", "tz")).toEqual(["year=2025/day=31/<file>", "year=2026/day=1/<file>"]);
    // A UTC reader filtering on year(happened) = 2026 gets rows from both folders.
    expect(await rows("SELECT count(*)::INT AS n FROM hr.tz WHERE year(happened) = 2026")).toEqual([{ n: 40 }]);
  }, 30_000);

  test("bucket(N) writes bucket=<0..N-1> folders and records transform 'bucket(N)'", async () => {
    await run("CREATE TABLE hr.hashed (id INT, name VARCHAR)");
    await run("ALTER TABLE hr.hashed SET PARTITIONED BY (bucket(4, name))");
    await run("INSERT INTO hr.hashed SELECT i, 'user' || i FROM range(40) t(i)");
    const keys = await keysOf("hr", "hashed");
    expect(keys.length).toBeGreaterThan(1);
    for (const k of keys) expect(k).toMatch(/^bucket=[0-3]\/<file>$/);
    expect(await partitionColumns("hr", "hashed")).toEqual(["current:0:name:bucket(4)"]);
    // The recorded value is the bucket number, as in the folder name.
    for (const f of await filesWithValues("hr", "hashed")) expect(f.path).toBe(`bucket=${f.values[0]}/<file>`);
  }, 30_000);

  test("inlined rows have no file until flushed; on PostgreSQL VARCHAR is inlined as bytea and timestamps as text; the flush writes them into their partition folders", async () => {
    await run("CREATE TABLE hr.small (id INT, y INT, region VARCHAR, ts TIMESTAMP, tz TIMESTAMPTZ)");
    await run("ALTER TABLE hr.small SET PARTITIONED BY (y)");
    await run(`INSERT INTO hr.small VALUES (1, 2025, 'east', TIMESTAMP '2025-06-01 10:00:00', TIMESTAMPTZ '2025-06-01 10:00:00+00'),
      (2, 2026, 'west', NULL, NULL)`);
    expect(await keysOf("hr", "small")).toEqual([]);
    const id = await tableId("hr", "small");
    const inl = await pg.query(
      `SELECT table_name, schema_version FROM ${quoteIdent(SCHEMA)}.ducklake_inlined_data_tables WHERE table_id = $1 ORDER BY schema_version`,
      [id],
    );
    // One inlined table per schema version of the table (SET PARTITIONED BY made a new one).
    expect(inl.rows.map((r) => r.table_name)).toEqual(inl.rows.map((r) => `ducklake_inlined_data_${id}_${r.schema_version}`));
    expect(inl.rows.length).toBe(2);
    const last = inl.rows[inl.rows.length - 1].table_name as string;
    const types = await pg.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
      [SCHEMA, last],
    );
    expect(types.rows.map((r) => `${r.column_name}:${r.data_type}`)).toEqual([
      "row_id:bigint",
      "begin_snapshot:bigint",
      "end_snapshot:bigint",
      "id:integer",
      "y:integer",
      "region:bytea",
      "ts:character varying",
      "tz:character varying",
    ]);
    const held = await pg.query(
      `SELECT id, y, convert_from(region, 'UTF8') AS region, ts, tz, end_snapshot FROM ${quoteIdent(SCHEMA)}.${quoteIdent(last)} ORDER BY id`,
    );
    expect(held.rows).toEqual([
      { id: 1, y: 2025, region: "east", ts: "2025-06-01 10:00:00", tz: "2025-06-01 10:00:00+00", end_snapshot: null },
      { id: 2, y: 2026, region: "west", ts: null, tz: null, end_snapshot: null },
    ]);
    await run("CALL ducklake_flush_inlined_data('lake', schema_name => 'hr', table_name => 'small')");
    expect(await keysOf("hr", "small")).toEqual(["y=2025/<file>", "y=2026/<file>"]);
    expect((await filesWithValues("hr", "small")).map((f) => f.values)).toEqual([["2025"], ["2026"]]);
  }, 30_000);

  test("deletes: delete files go to the table folder, not the partition folder; a few deleted rows of a file are inlined per file_id", async () => {
    await run("CREATE TABLE hr.del (id INT, y INT)");
    await run("ALTER TABLE hr.del SET PARTITIONED BY (y)");
    await run("INSERT INTO hr.del SELECT i, 2024 + i % 2 FROM range(100) t(i)");
    await run("DELETE FROM hr.del WHERE id = 3");
    const id = await tableId("hr", "del");
    const inlinedDeletes = await pg.query(
      `SELECT file_id, row_id FROM ${quoteIdent(SCHEMA)}.${quoteIdent(`ducklake_inlined_delete_${id}`)}`,
    );
    expect(inlinedDeletes.rows.length).toBe(1);
    const file = await pg.query(
      `SELECT d.data_file_id, v.partition_value FROM ${quoteIdent(SCHEMA)}.ducklake_data_file d
      JOIN ${quoteIdent(SCHEMA)}.ducklake_file_partition_value v USING (data_file_id) WHERE d.data_file_id = $1`,
      [inlinedDeletes.rows[0].file_id],
    );
    expect(file.rows[0].partition_value).toBe("2025");
    expect(await keysOf("hr", "del")).toEqual(["y=2024/<file>", "y=2025/<file>"]);
    await run("DELETE FROM hr.del WHERE id < 40 AND y = 2024");
    expect(await keysOf("hr", "del")).toEqual(["<delete>", "y=2024/<file>", "y=2025/<file>"]);
    const df = await pg.query(
      `SELECT f.path, f.path_is_relative, v.partition_value FROM ${quoteIdent(SCHEMA)}.ducklake_delete_file f
      JOIN ${quoteIdent(SCHEMA)}.ducklake_file_partition_value v USING (data_file_id) WHERE f.table_id = $1`,
      [id],
    );
    expect(df.rows.map((r) => [String(r.path).replace(FILE, "<delete>"), r.path_is_relative, r.partition_value])).toEqual([
      ["<delete>", true, "2024"],
    ]);
  }, 30_000);

  test("changing the partitioning: older files keep their layout; partition_info rows end; RESET writes to the table folder again", async () => {
    await run("CREATE TABLE hr.chg (id INT, y INT, r VARCHAR)");
    await run("INSERT INTO hr.chg SELECT i, 2024, 'x' FROM range(20) t(i)");
    await run("ALTER TABLE hr.chg SET PARTITIONED BY (y)");
    await run("INSERT INTO hr.chg SELECT i, 2025, 'x' FROM range(20) t(i)");
    await run("ALTER TABLE hr.chg SET PARTITIONED BY (r, y)");
    await run("INSERT INTO hr.chg SELECT i, 2026, 'x' FROM range(20) t(i)");
    await run("ALTER TABLE hr.chg RESET PARTITIONED BY");
    await run("INSERT INTO hr.chg SELECT i, 2027, 'x' FROM range(20) t(i)");
    expect(await keysOf("hr", "chg")).toEqual(["<file>", "<file>", "r=x/y=2026/<file>", "y=2025/<file>"]);
    const files = await filesWithValues("hr", "chg");
    expect(files.map((f) => [f.path, f.partitionId === null, f.values])).toEqual([
      ["<file>", true, []],
      ["<file>", true, []],
      ["r=x/y=2026/<file>", false, ["x", "2026"]],
      ["y=2025/<file>", false, ["2025"]],
    ]);
    expect(await partitionColumns("hr", "chg")).toEqual(["ended:0:y:identity", "ended:0:r:identity", "ended:1:y:identity"]);
    // Each file points at the partition spec it was written under.
    const specs = new Set(files.filter((f) => f.partitionId !== null).map((f) => f.partitionId));
    expect(specs.size).toBe(2);
  }, 30_000);

  test("hive_file_pattern = false: files go to the table folder but the catalog still records their partition values", async () => {
    await run("CREATE TABLE hr.flat (id INT, y INT)");
    await run("ALTER TABLE hr.flat SET PARTITIONED BY (y)");
    await run("CALL lake.set_option('hive_file_pattern', false, schema => 'hr', table_name => 'flat')");
    const id = await tableId("hr", "flat");
    const opt = await pg.query(
      `SELECT value, scope, scope_id FROM ${quoteIdent(SCHEMA)}.ducklake_metadata WHERE key = 'hive_file_pattern'`,
    );
    expect(opt.rows).toEqual([{ value: "false", scope: "table", scope_id: String(id) }]);
    await run("INSERT INTO hr.flat SELECT i, 2024 + i % 2 FROM range(20) t(i)");
    expect(await keysOf("hr", "flat")).toEqual(["<file>", "<file>"]);
    expect((await filesWithValues("hr", "flat")).map((f) => f.values).sort()).toEqual([["2024"], ["2025"]]);
  }, 30_000);

  test("ducklake_add_data_files: the partition value comes from a key=value folder of the file's path (anywhere, absolute); a path without one is refused", async () => {
    await run("CREATE TABLE hr.ext (id INT, y INT)");
    await run("ALTER TABLE hr.ext SET PARTITIONED BY (y)");
    const inPath = `s3://${bucket}/imports/y=1999/a.parquet`;
    const flat = `s3://${bucket}/imports/flat/b.parquet`;
    // The file's own y column says 5; the path says 1999.
    await run(`COPY (SELECT 1 AS id, 5 AS y) TO ${duckString(inPath)}`);
    await run(`COPY (SELECT 2 AS id, 2024 AS y) TO ${duckString(flat)}`);
    await run(`CALL ducklake_add_data_files('lake', 'ext', ${duckString(inPath)}, schema => 'hr')`);
    await expect(run(`CALL ducklake_add_data_files('lake', 'ext', ${duckString(flat)}, schema => 'hr')`)).rejects.toThrow(
      /invalid partition value for the table configuration/,
    );
    const files = await filesWithValues("hr", "ext");
    expect(files.map((f) => [f.path, f.relative, f.values])).toEqual([[inPath, false, ["1999"]]]);
    // Readers see the path's value, not the file's column.
    expect(await rows("SELECT id, y FROM hr.ext")).toEqual([{ id: 1, y: 1999 }]);
    expect(await keysOf("hr", "ext")).toEqual([]);
  }, 30_000);

  test("table-level statistics summarize every partition (what a partition grant cannot hide by filtering files)", async () => {
    await run("CREATE TABLE hr.stats (id INT, y INT, salary INT)");
    await run("ALTER TABLE hr.stats SET PARTITIONED BY (y)");
    await run("INSERT INTO hr.stats SELECT i, 2025 + i % 2, CASE WHEN i % 2 = 0 THEN 1000 ELSE 900000 END FROM range(20) t(i)");
    const id = await tableId("hr", "stats");
    const ts = await pg.query(`SELECT record_count FROM ${quoteIdent(SCHEMA)}.ducklake_table_stats WHERE table_id = $1`, [id]);
    expect(Number(ts.rows[0].record_count)).toBe(20);
    const cs = await pg.query(
      `SELECT c.column_name, s.min_value, s.max_value FROM ${quoteIdent(SCHEMA)}.ducklake_table_column_stats s
      JOIN ${quoteIdent(SCHEMA)}.ducklake_column c ON c.table_id = s.table_id AND c.column_id = s.column_id
      WHERE s.table_id = $1 AND c.column_name = 'salary'`,
      [id],
    );
    // The 2026 partition's salaries (900000) appear in the table-wide max.
    expect(cs.rows).toEqual([{ column_name: "salary", min_value: "1000", max_value: "900000" }]);
  }, 30_000);
});
