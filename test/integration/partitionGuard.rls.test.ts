// Partition grants (sql/007) in the catalog, row by row: a catalog made by the real DuckDB client (DuckLake 1.5.5 on
// PostgreSQL 15, written by the BYPASSRLS writer role as in production), a reader granted `year(ts) = 2026` of
// hr.salaries, and an oracle computed from the owner's unfiltered view of the catalog (independent of the guard).
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import { DuckDBConnection } from "@duckdb/node-api";
import { describeWithDuckDB } from "../support/duckdb";
import { CATALOG, partitionLake, PartitionLake } from "../support/partitionLake";
import { repoRoot } from "../support/services";
import { grantRead, grantRows, listGrantDetails, readAclLog, revokeRows } from "../../postgres/guardClient";

const Y2026 = [{ column: "ts", transform: "year" as const, values: ["2026"] }];

describeWithDuckDB("partition grants in the catalog (sql/007)", () => {
  let lake: PartitionLake;
  let w: DuckDBConnection; // the writer's DuckDB session
  let owner: Client; // the catalog owner (sees everything: owns the catalog tables)
  let reader: string;
  let rc: Client; // the reader's PostgreSQL session
  let tableId: number;

  const q = async (c: Client, sql: string, p: unknown[] = []) => (await c.query(sql, p)).rows;
  /** Data file ids of hr.salaries whose own spec records year(ts) in `years` (the oracle, from the owner's view). */
  const filesOfYears = async (years: string[]): Promise<number[]> =>
    (
      await q(
        owner,
        `SELECT f.data_file_id FROM ${CATALOG}.ducklake_data_file f
           JOIN ${CATALOG}.ducklake_partition_column pc ON pc.partition_id = f.partition_id AND pc.table_id = f.table_id
           JOIN ${CATALOG}.ducklake_column c ON c.table_id = pc.table_id AND c.column_id = pc.column_id AND c.column_name = 'ts'
           JOIN ${CATALOG}.ducklake_file_partition_value v ON v.data_file_id = f.data_file_id AND v.partition_key_index = pc.partition_key_index
          WHERE f.table_id = $1 AND pc.transform = 'year' AND v.partition_value = ANY ($2) ORDER BY 1`,
        [tableId, years],
      )
    ).map((r) => Number(r.data_file_id));
  const ids = (rows: Record<string, unknown>[], col = "data_file_id") =>
    [...new Set(rows.map((r) => Number(r[col])))].sort((a, b) => a - b);
  const readerFiles = async (table: string, col = "data_file_id") => ids(await q(rc, `SELECT ${col} FROM ${CATALOG}.${table}`), col);

  beforeAll(async () => {
    lake = await partitionLake("part_rls");
    owner = await lake.connectAs(lake.owner);
    w = await lake.duck(lake.writer);
    await w.run(
      "CREATE SCHEMA hr; CREATE TABLE hr.salaries (id INT, region VARCHAR, ts TIMESTAMP, amount INT); CREATE TABLE hr.other (i INT)",
    );
    // Before partitioning: one file without a partition (rows of 2026 among them) — never visible to a partition reader.
    await w.run("INSERT INTO hr.salaries SELECT i, 'emea', TIMESTAMP '2026-02-01' + INTERVAL (i) DAY, 100 + i FROM range(20) t(i)");
    await w.run("INSERT INTO hr.other SELECT range FROM range(20)");
    await w.run("ALTER TABLE hr.salaries SET PARTITIONED BY (year(ts))");
    await w.run(
      "INSERT INTO hr.salaries SELECT 100 + i, 'emea', CASE WHEN i % 2 = 0 THEN TIMESTAMP '2025-06-01' ELSE TIMESTAMP '2026-06-01' END + INTERVAL (i) HOUR, 1000 * i FROM range(40) t(i)",
    );
    tableId = Number(
      (await q(owner, `SELECT table_id FROM ${CATALOG}.ducklake_table WHERE table_name = 'salaries' AND end_snapshot IS NULL`))[0].table_id,
    );
    reader = await lake.newReader("part_rls_r");
    expect(await grantRows(lake.su, { reader, schema: "hr", table: "salaries", rows: Y2026 })).toBe(true);
    rc = await lake.connectAs(reader);
  }, 180_000);
  afterAll(async () => {
    await lake?.close();
  });

  test("the reader sees the table and its definition, and exactly the 2026 files' rows of the file tables", async () => {
    expect(ids(await q(rc, `SELECT table_id FROM ${CATALOG}.ducklake_table`), "table_id")).toEqual([tableId]);
    expect((await q(rc, `SELECT column_name FROM ${CATALOG}.ducklake_column ORDER BY column_id`)).map((r) => r.column_name)).toEqual([
      "id",
      "region",
      "ts",
      "amount",
    ]);
    expect((await q(rc, `SELECT count(*)::int AS n FROM ${CATALOG}.ducklake_partition_column`))[0].n).toBe(1);
    const granted = await filesOfYears(["2026"]);
    expect(granted.length).toBeGreaterThan(0);
    for (const t of ["ducklake_data_file", "ducklake_file_partition_value", "ducklake_file_column_stats"])
      expect(await readerFiles(t)).toEqual(granted);
    // The owner's view has more: the 2025 file and the file written before partitioning (partition_id NULL).
    const all = ids(await q(owner, `SELECT data_file_id FROM ${CATALOG}.ducklake_data_file WHERE table_id = $1`, [tableId]));
    const unpartitioned = ids(
      await q(owner, `SELECT data_file_id FROM ${CATALOG}.ducklake_data_file WHERE table_id = $1 AND partition_id IS NULL`, [tableId]),
    );
    expect(unpartitioned.length).toBe(1);
    expect(all.length).toBe(granted.length + (await filesOfYears(["2025"])).length + 1);
  });

  test("table-level statistics (they summarize every partition) are hidden from the partition reader", async () => {
    expect(await q(owner, `SELECT * FROM ${CATALOG}.ducklake_table_stats WHERE table_id = $1`, [tableId])).toHaveLength(1);
    expect((await q(owner, `SELECT * FROM ${CATALOG}.ducklake_table_column_stats WHERE table_id = $1`, [tableId])).length).toBeGreaterThan(
      0,
    );
    expect(await q(rc, `SELECT * FROM ${CATALOG}.ducklake_table_stats`)).toEqual([]);
    expect(await q(rc, `SELECT * FROM ${CATALOG}.ducklake_table_column_stats`)).toEqual([]);
  });

  test("files written after the grant follow without a resync; older snapshots' 2025 files stay hidden; deletes follow their file", async () => {
    await w.run("INSERT INTO hr.salaries SELECT 200 + i, 'apac', TIMESTAMP '2026-09-01' + INTERVAL (i) MINUTE, 7 FROM range(30) t(i)");
    await w.run("INSERT INTO hr.salaries SELECT 300 + i, 'apac', TIMESTAMP '2025-09-01' + INTERVAL (i) MINUTE, 7 FROM range(30) t(i)");
    // Ends the 2025 files (time travel still reaches them) and writes delete files for 2026 rows.
    await w.run("DELETE FROM hr.salaries WHERE year(ts) = 2025");
    await w.run("DELETE FROM hr.salaries WHERE year(ts) = 2026 AND id BETWEEN 200 AND 225");
    const granted = await filesOfYears(["2026"]);
    expect(granted.length).toBeGreaterThanOrEqual(2);
    expect(await readerFiles("ducklake_data_file")).toEqual(granted);
    const ended2025 = (await filesOfYears(["2025"])).length;
    expect(ended2025).toBeGreaterThanOrEqual(2);
    const deleteFiles = await q(owner, `SELECT data_file_id FROM ${CATALOG}.ducklake_delete_file WHERE table_id = $1`, [tableId]);
    expect(deleteFiles.length).toBeGreaterThan(0);
    expect(await readerFiles("ducklake_delete_file")).toEqual(ids(deleteFiles).filter((id) => granted.includes(id)));
    expect(await readerFiles("ducklake_file_partition_value")).toEqual(granted);
    const drift = await q(lake.su, "SELECT * FROM ducklake_guard.enforcement_drift()");
    expect(drift).toEqual([]);
  });

  test("inlined rows: only those whose ts falls in 2026, also in an inlined table created after the grant; inlined deletes of visible files only", async () => {
    await w.run(
      "INSERT INTO hr.salaries VALUES (900, 'emea', TIMESTAMP '2026-01-01 00:00:00', 1), (901, 'emea', TIMESTAMP '2025-12-31 23:59:59.5', 2), (902, NULL, NULL, 3)",
    );
    // A new schema version: DuckLake creates a second inlined table, after the grant, as the writer.
    await w.run("ALTER TABLE hr.salaries ADD COLUMN note VARCHAR");
    await w.run(
      "INSERT INTO hr.salaries VALUES (903, 'x', TIMESTAMP '2026-12-31 23:00:00', 4, 'n'), (904, 'x', TIMESTAMP '2027-01-01', 5, 'n')",
    );
    const inlined = (
      await q(owner, `SELECT table_name FROM ${CATALOG}.ducklake_inlined_data_tables WHERE table_id = $1 ORDER BY schema_version`, [
        tableId,
      ])
    ).map((r) => String(r.table_name));
    expect(inlined.length).toBeGreaterThanOrEqual(2);
    const last = inlined[inlined.length - 1];
    const owners = await q(lake.su, "SELECT relname, relowner::regrole::text AS o, relrowsecurity FROM pg_class WHERE relname = ANY ($1)", [
      inlined,
    ]);
    expect(owners.every((r) => r.relrowsecurity === true)).toBe(true); // the writer's tables carry the filter
    expect(owners.some((r) => r.o === lake.writer)).toBe(true);
    const seen: number[] = [];
    for (const t of inlined) seen.push(...(await q(rc, `SELECT id FROM ${CATALOG}.${t}`)).map((r) => Number(r.id)));
    expect(seen.sort()).toEqual([900, 903]);
    // The owner still sees every inlined row of the writer's tables.
    expect((await q(owner, `SELECT id FROM ${CATALOG}.${last} ORDER BY id`)).map((r) => Number(r.id))).toEqual([903, 904]);
    // Any role that is not an enrolled reader keeps what its privileges give (a writer without BYPASSRLS, say).
    const plain = await lake.newReader("part_rls_plain");
    await lake.su.query(`GRANT USAGE ON SCHEMA ${CATALOG} TO ${plain}`);
    const wc = await lake.connectAs(lake.writer);
    await wc.query(`GRANT SELECT ON ${CATALOG}.${last} TO ${plain}`);
    expect((await q(await lake.connectAs(plain), `SELECT id FROM ${CATALOG}.${last} ORDER BY id`)).map((r) => Number(r.id))).toEqual([
      903, 904,
    ]);
    await wc.query(`REVOKE SELECT ON ${CATALOG}.${last} FROM ${plain}`);
    // A few deleted rows of files are inlined deletes: one in a 2026 file, one in the unpartitioned file.
    await w.run("DELETE FROM hr.salaries WHERE id IN (101, 5)");
    const del = `ducklake_inlined_delete_${tableId}`;
    const all = await q(owner, `SELECT file_id FROM ${CATALOG}.${del}`);
    expect(all.length).toBeGreaterThanOrEqual(2);
    const granted = await filesOfYears(["2026"]);
    const mine = ids(await q(rc, `SELECT file_id FROM ${CATALOG}.${del}`), "file_id");
    expect(mine.length).toBeGreaterThan(0);
    expect(mine).toEqual(ids(all, "file_id").filter((id) => granted.includes(id)));
    expect(await q(lake.su, "SELECT * FROM ducklake_guard.enforcement_drift()")).toEqual([]);
  });

  test("an inlined table of the writer without the row filter: the partition reader gets no SELECT (fail closed), status names the repair", async () => {
    const inlined = (
      await q(owner, `SELECT table_name FROM ${CATALOG}.ducklake_inlined_data_tables WHERE table_id = $1 ORDER BY schema_version`, [
        tableId,
      ])
    ).map((r) => String(r.table_name));
    const t = inlined[inlined.length - 1];
    // As if the writer had created it without the superuser's event trigger (guard installed by the owner alone).
    await lake.su.query(`DROP POLICY ducklake_guard_rows ON ${CATALOG}.${t}; ALTER TABLE ${CATALOG}.${t} DISABLE ROW LEVEL SECURITY`);
    await owner.query("SELECT ducklake_guard.resync()"); // the catalog owner cannot filter the writer's table
    await expect(rc.query(`SELECT id FROM ${CATALOG}.${t}`)).rejects.toThrow(/permission denied/);
    expect(await q(lake.su, "SELECT area, reader, detail FROM ducklake_guard.enforcement_drift()")).toEqual([
      {
        area: "inlined",
        reader,
        detail: `cannot read ${CATALOG}.${t} (inlined rows of table id ${tableId}, owned by ${lake.writer}): it has no row filter; as a superuser re-run sql/007_partition_grants.sql (not a guard function: the catalog owner can replace those);`,
      },
    ]);
    await lake.su.query(fs.readFileSync(path.join(repoRoot, "sql", "007_partition_grants.sql"), "utf8"));
    expect((await q(lake.su, "SELECT relrowsecurity FROM pg_class WHERE oid = $1::regclass", [`${CATALOG}.${t}`]))[0].relrowsecurity).toBe(
      true,
    );
    expect((await q(rc, `SELECT id FROM ${CATALOG}.${t}`)).map((r) => Number(r.id))).toEqual([903]);
    expect(await q(lake.su, "SELECT * FROM ducklake_guard.enforcement_drift()")).toEqual([]);
  });

  test("list_grants shows the canonical filter; granting the same filter in another order changes nothing", async () => {
    const details = await listGrantDetails(lake.su, reader);
    expect(details).toEqual([
      expect.objectContaining({
        schema: "hr",
        table: "salaries",
        status: "active",
        rows: [{ key: "year(ts)", column: "ts", transform: "year", values: ["2026"] }],
      }),
    ]);
    expect(await grantRows(lake.su, { reader, schema: "hr", table: "salaries", rows: Y2026 })).toBe(false);
    const two = await lake.newReader("part_rls_two");
    const filter = [{ column: "ts", transform: "year" as const, values: ["2026", "2025", "2026"] }];
    expect(await grantRows(lake.su, { reader: two, schema: "hr", table: "salaries", rows: filter })).toBe(true);
    expect((await listGrantDetails(lake.su, two))[0].rows![0].values).toEqual(["2025", "2026"]);
    expect(
      await revokeRows(lake.su, {
        reader: two,
        schema: "hr",
        table: "salaries",
        rows: [{ column: "ts", transform: "year", values: ["2026", "2025"] }],
      }),
    ).toBe(true);
    expect(await listGrantDetails(lake.su, two)).toEqual([]);
    // Both went to the ACL change log with their canonical filter.
    const log = await readAclLog(lake.su, { reader: two });
    expect(log.map((e) => [e.action, e.table, e.rows?.[0].values])).toEqual([
      ["grant", "salaries", ["2025", "2026"]],
      ["revoke", "salaries", ["2025", "2026"]],
    ]);
  });

  test("grant_rows refuses, with the reason, what it cannot enforce", async () => {
    const r = await lake.newReader("part_rls_bad");
    const call = (table: string, filter: unknown) =>
      lake.su.query("SELECT ducklake_guard.grant_rows($1, 'hr', $2, $3::jsonb)", [r, table, JSON.stringify(filter)]);
    await expect(call("salaries", [{ column: "region", transform: "identity", values: ["emea"] }])).rejects.toThrow(
      /not partitioned by region: its current partitioning is \(year\(ts\)\)/,
    );
    await expect(call("salaries", [{ column: "ts", transform: "month", values: ["3"] }])).rejects.toThrow(/not partitioned by month\(ts\)/);
    await expect(call("salaries", [{ column: "nope", transform: "year", values: ["2026"] }])).rejects.toThrow(
      /column "nope" does not exist/,
    );
    await expect(call("other", [{ column: "i", transform: "identity", values: ["1"] }])).rejects.toThrow(
      /none: the table is not partitioned/,
    );
    await expect(call("missing", Y2026)).rejects.toThrow(/"hr"."missing" does not exist/);
    await expect(call("salaries", [{ column: "ts", transform: "year", values: [2026] }])).rejects.toThrow(/values must be text or null/);
    await expect(call("salaries", [{ column: "ts", transform: "year", values: ["02026x"] }])).rejects.toThrow(/cannot be a year value/);
    await expect(call("salaries", [{ column: "ts", transform: "bucket", values: ["1"] }])).rejects.toThrow(
      /transform must be identity, year/,
    );
    await expect(call("salaries", [])).rejects.toThrow(/non-empty JSON array/);
    await expect(
      lake.su.query("SELECT ducklake_guard.grant_rows($1, 'hr', 'salaries', $2::jsonb)", [lake.writer, JSON.stringify(Y2026)]),
    ).rejects.toThrow(/bypasses row-level security/);
    expect(await listGrantDetails(lake.su, r)).toEqual([]);
  });

  test("a hand edit of the partition ACL is logged and enforced in the same statement; a non-canonical one is refused", async () => {
    const h = await lake.newReader("part_rls_hand");
    const before = Number((await q(lake.su, "SELECT coalesce(max(id), 0) AS m FROM ducklake_guard.acl_log"))[0].m);
    await owner.query(
      `INSERT INTO ducklake_guard.partition_acl (reader, reader_oid, schema_name, table_name, schema_id, table_id, rows, column_ids)
       SELECT $1::name, (SELECT r.oid FROM pg_roles r WHERE r.rolname = $1::name), 'hr', 'salaries', t.schema_id, t.table_id, $2::jsonb, ARRAY[c.column_id]
         FROM ${CATALOG}.ducklake_table t JOIN ${CATALOG}.ducklake_column c ON c.table_id = t.table_id AND c.column_name = 'ts' AND c.end_snapshot IS NULL
        WHERE t.table_id = $3`,
      [h, JSON.stringify(Y2026), tableId],
    );
    const hc = await lake.connectAs(h);
    expect(ids(await q(hc, `SELECT data_file_id FROM ${CATALOG}.ducklake_data_file`))).toEqual(await filesOfYears(["2026"]));
    const log = await q(lake.su, "SELECT action, reader, rows FROM ducklake_guard.acl_log WHERE id > $1", [before]);
    expect(log).toEqual([{ action: "grant", reader: h, rows: Y2026 }]);
    await expect(
      owner.query(
        `UPDATE ducklake_guard.partition_acl SET rows = '[{"column":"ts","transform":"year","values":["2026","2025"]}]' WHERE reader = $1`,
        [h],
      ),
    ).rejects.toThrow(/not in canonical form/);
    await owner.query("DELETE FROM ducklake_guard.partition_acl WHERE reader = $1", [h]);
    expect(await q(hc, `SELECT data_file_id FROM ${CATALOG}.ducklake_data_file`)).toEqual([]);
    expect(
      (await q(lake.su, "SELECT action FROM ducklake_guard.acl_log WHERE id > $1 ORDER BY id", [before])).map((r) => r.action),
    ).toEqual(["grant", "revoke"]);
  });

  test("enforcement_drift reports a visible file id removed by hand; resync repairs it", async () => {
    await lake.su.query(
      "DELETE FROM ducklake_guard.visible WHERE kind = 'f' AND role_oid = $1::regrole::oid AND object_id = (SELECT max(object_id) FROM ducklake_guard.visible WHERE kind = 'f' AND role_oid = $1::regrole::oid)",
      [reader],
    );
    const drift = await q(lake.su, "SELECT * FROM ducklake_guard.enforcement_drift()");
    expect(drift).toEqual([
      expect.objectContaining({ area: "visible", reader, detail: expect.stringMatching(/^data file id \d+ is granted but not visible$/) }),
    ]);
    await lake.su.query("SELECT ducklake_guard.resync()");
    expect(await q(lake.su, "SELECT * FROM ducklake_guard.enforcement_drift()")).toEqual([]);
  });

  test("a table grant on top shows everything (grants add up); revoking the partition grant removes all of it", async () => {
    await grantRead(lake.su, { reader, schema: "hr", table: "salaries" });
    const all = ids(await q(owner, `SELECT data_file_id FROM ${CATALOG}.ducklake_data_file WHERE table_id = $1`, [tableId]));
    expect(await readerFiles("ducklake_data_file")).toEqual(all);
    expect(await q(rc, `SELECT * FROM ${CATALOG}.ducklake_table_stats`)).toHaveLength(1);
    await lake.su.query("SELECT ducklake_guard.revoke_read($1, 'hr', 'salaries')", [reader]);
    expect(await revokeRows(lake.su, { reader, schema: "hr", table: "salaries", rows: Y2026 })).toBe(true);
    for (const t of [
      "ducklake_table",
      "ducklake_column",
      "ducklake_data_file",
      "ducklake_file_partition_value",
      "ducklake_delete_file",
      "ducklake_partition_info",
    ])
      expect(await q(rc, `SELECT * FROM ${CATALOG}.${t}`)).toEqual([]);
    await expect(rc.query(`SELECT * FROM ${CATALOG}.ducklake_inlined_delete_${tableId}`)).rejects.toThrow(/permission denied/);
    expect(await q(rc, "SELECT * FROM ducklake_guard.visible_rows")).toEqual([]);
    expect(await q(lake.su, "SELECT * FROM ducklake_guard.enforcement_drift()")).toEqual([]);
  });
});
