// A reader who can see more than 1,000 tables takes the guard's other branch (a per-row key probe instead of
// one hashed set per statement, which would cost milliseconds on every file listing): both branches must
// show exactly the same rows. Catalog rows are written into the spec-1.0 tables the fixture created.
import { Client } from "pg";
import { guardedLake, GuardedLake } from "../fixtures/guardHarness";
import { grantRead, revokeRead } from "../../postgres/guardClient";

const BIG = 1100;
let g: GuardedLake;
let bigReader: string, smallReader: string;
let bigIds: number[];

beforeAll(async () => {
  g = await guardedLake("large_grant");
  const { schemaId } = await g.builder.createSchema("big");
  const base = 1_000_000;
  await g.owner.query(
    `INSERT INTO lake.ducklake_table SELECT $1::bigint + t, gen_random_uuid(), 1, NULL, $2::bigint, 't' || t, 't' || t || '/', true
    FROM generate_series(0, $3::int - 1) t`,
    [base, schemaId, BIG],
  );
  await g.owner.query(
    `INSERT INTO lake.ducklake_data_file (data_file_id, table_id, begin_snapshot, path, path_is_relative, file_format, record_count, file_size_bytes)
    SELECT $1::bigint + t, $1::bigint + t, 1, 'f' || t || '.parquet', true, 'parquet', 10, 100 FROM generate_series(0, $2::int - 1) t`,
    [base, BIG],
  );
  bigIds = Array.from({ length: BIG }, (_, t) => base + t);
  bigReader = await g.newReader("big");
  smallReader = await g.newReader("small");
  await grantRead(g.owner, { reader: bigReader, schema: "big" });
  await grantRead(g.owner, { reader: smallReader, schema: "sales", table: "orders" });
});
afterAll(async () => {
  await g.close();
});

const ids = async (c: Client, sql: string, params: unknown[] = []) =>
  (await c.query(sql, params)).rows.map((r) => Number(r.table_id)).sort((a, b) => a - b);

describe("a reader granted more than 1,000 tables", () => {
  it("sees exactly its tables' catalog rows, file by file and in full scans", async () => {
    const big = await g.connectAs(bigReader);
    expect(await ids(big, "SELECT table_id FROM lake.ducklake_table WHERE end_snapshot IS NULL")).toEqual(bigIds);
    expect(await ids(big, "SELECT table_id FROM lake.ducklake_data_file")).toEqual(bigIds);
    // one table's listing, as DuckLake reads files per scan
    expect(await ids(big, "SELECT table_id FROM lake.ducklake_data_file WHERE table_id = $1", [bigIds[500]])).toEqual([bigIds[500]]);
    expect(await ids(big, "SELECT table_id FROM lake.ducklake_data_file WHERE table_id = $1", [g.lake.tables["sales.orders"]])).toEqual([]);
    const small = await g.connectAs(smallReader);
    expect(await ids(small, "SELECT DISTINCT table_id FROM lake.ducklake_data_file")).toEqual([g.lake.tables["sales.orders"]]);
  });

  it("takes the per-row probe (the hashed set is never built), the small reader the hashed set", async () => {
    const plan = async (c: Client) =>
      (
        await c.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
      SELECT * FROM lake.ducklake_data_file WHERE table_id = ${bigIds[7]}`)
      ).rows
        .map((r) => r["QUERY PLAN"])
        .join("\n");
    // SubPlan 2 is the probe, SubPlan 3 the hashed set; the CASE runs exactly one of them.
    const big = await plan(await g.connectAs(bigReader));
    expect(big).toMatch(/THEN \(\(SubPlan 2\) IS NOT NULL\) ELSE \(hashed SubPlan 3\)/);
    expect(big).toMatch(/SubPlan 3\n\s*->[^\n]*never executed/);
    expect(big).not.toMatch(/SubPlan 2\n\s*->[^\n]*never executed/);
    const small = await plan(await g.connectAs(smallReader));
    expect(small).toMatch(/SubPlan 2\n\s*->[^\n]*never executed/);
    expect(small).not.toMatch(/SubPlan 3\n\s*->[^\n]*never executed/);
  });

  it("keeps each reader's count private: a reader reads only its own row and can change none", async () => {
    const small = await g.connectAs(smallReader);
    const rows = (await small.query("SELECT r.rolname, c.tables FROM ducklake_guard.visible_count c JOIN pg_roles r ON r.oid = c.role_oid"))
      .rows;
    expect(rows).toEqual([{ rolname: smallReader, tables: "1" }]);
    await expect(small.query("UPDATE ducklake_guard.visible_count SET tables = 5000")).rejects.toThrow(/permission denied/);
  });

  it("loses them all on revocation, on its next query", async () => {
    const big = await g.connectAs(bigReader);
    await revokeRead(g.owner, { reader: bigReader, schema: "big" });
    expect(await ids(big, "SELECT table_id FROM lake.ducklake_data_file")).toEqual([]);
    expect(await ids(big, "SELECT table_id FROM lake.ducklake_table")).toEqual([]);
  });
});
