// The fixture catalog follows DuckLake's rules: versioned rows, shared id counters, paths, inlined tables.
import { Client } from "pg";
import { createTestDatabase, dropTestDatabase } from "../support/pg";
import { PgConnection } from "../support/services";
import { buildSampleLake, createDuckLakeCatalog, SampleLake, SPEC_1_0_TABLES, CatalogBuilder } from "../fixtures/ducklakeCatalog";

let conn: PgConnection;
let client: Client;
let b: CatalogBuilder;
let lake: SampleLake;

beforeAll(async () => {
  conn = await createTestDatabase("cg_fixture");
  client = new Client(conn);
  await client.connect();
  b = await createDuckLakeCatalog(client, { catalogSchema: "lake", dataPath: "s3://bucket/data/" });
  lake = await buildSampleLake(b);
});
afterAll(async () => {
  await client.end();
  await dropTestDatabase(conn);
});

test("creates all 28 spec-1.0 tables plus inlined tables", async () => {
  const { rows } = await client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'lake' ORDER BY 1");
  const names = rows.map((r) => r.tablename as string);
  for (const [t] of SPEC_1_0_TABLES) expect(names).toContain(t);
  expect(SPEC_1_0_TABLES).toHaveLength(28);
  expect(names.filter((n) => n.startsWith("ducklake_inlined_data_") && n !== "ducklake_inlined_data_tables").length).toBeGreaterThanOrEqual(
    4,
  );
  expect(names.filter((n) => n.startsWith("ducklake_inlined_delete_")).length).toBe(2);
});

test("the sample lake puts rows into every spec table", async () => {
  for (const [t] of SPEC_1_0_TABLES) {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM lake.${t}`);
    expect({ t, nonEmpty: rows[0].n > 0 }).toEqual({ t, nonEmpty: true });
  }
});

test("snapshots are consecutive and ids never collide across schemas, tables, views and macros", async () => {
  const snaps = await client.query("SELECT snapshot_id::int AS s FROM lake.ducklake_snapshot ORDER BY 1");
  expect(snaps.rows.map((r) => r.s)).toEqual([...Array(snaps.rows.length).keys()]);
  const ids = await client.query(`SELECT id FROM (SELECT schema_id AS id FROM lake.ducklake_schema UNION ALL
    SELECT DISTINCT table_id FROM lake.ducklake_table UNION ALL SELECT view_id FROM lake.ducklake_view UNION ALL
    SELECT macro_id FROM lake.ducklake_macro) x`);
  const all = ids.rows.map((r) => Number(r.id));
  expect(new Set(all).size).toBe(all.length);
});

test("a renamed table keeps its id with one ended and one current row; a dropped one has only ended rows", async () => {
  const ren = await client.query("SELECT table_name, end_snapshot FROM lake.ducklake_table WHERE table_id = $1 ORDER BY begin_snapshot", [
    lake.renamed.tableId,
  ]);
  expect(ren.rows.map((r) => [r.table_name, r.end_snapshot === null])).toEqual([
    ["returns_v1", false],
    ["returns", true],
  ]);
  const dropped = await client.query("SELECT count(*)::int AS n FROM lake.ducklake_table WHERE table_id = $1 AND end_snapshot IS NULL", [
    lake.droppedTableId,
  ]);
  expect(dropped.rows[0].n).toBe(0);
  const cols = await client.query("SELECT count(*)::int AS n FROM lake.ducklake_column WHERE table_id = $1 AND end_snapshot IS NULL", [
    lake.droppedTableId,
  ]);
  expect(cols.rows[0].n).toBe(0);
});

test("paths follow DuckLake: <name>/ when the name allows it, a UUID otherwise", async () => {
  const { rows } = await client.query(
    "SELECT t.table_name, t.path, t.table_uuid::text AS uuid, s.path AS spath, s.schema_uuid::text AS suuid FROM lake.ducklake_table t JOIN lake.ducklake_schema s USING (schema_id) WHERE t.table_id = $1",
    [lake.uuidPathTableId],
  );
  expect(rows[0].path).toBe(`${rows[0].uuid}/`);
  expect(rows[0].spath).toBe(`${rows[0].suuid}/`);
  const orders = await client.query("SELECT path FROM lake.ducklake_table WHERE table_id = $1", [lake.tables["sales.orders"]]);
  expect(orders.rows[0].path).toBe("orders/");
  const meta = await client.query("SELECT value FROM lake.ducklake_metadata WHERE key = 'data_path' AND scope IS NULL");
  expect(meta.rows[0].value).toBe("s3://bucket/data/");
});

test("nested columns point at their parent; inlined rows are real rows", async () => {
  const { rows } = await client.query(
    `SELECT c.column_name, p.column_name AS parent FROM lake.ducklake_column c
    JOIN lake.ducklake_column p ON p.table_id = c.table_id AND p.column_id = c.parent_column WHERE c.table_id = $1 ORDER BY c.column_order`,
    [lake.tables["sales.orders"]],
  );
  expect(rows).toEqual([
    { column_name: "city", parent: "address" },
    { column_name: "zip", parent: "address" },
  ]);
  const inl = lake.inlinedTables[lake.tables["hr.salaries"]].find((n) => n.includes("_data_"))!;
  const data = await client.query(`SELECT convert_from(name, 'UTF8') AS name, salary FROM lake.${inl}`);
  expect(data.rows).toEqual([{ name: "ceo", salary: "999999" }]);
});
