// Row-level security over the whole DuckLake catalog, on real PostgreSQL: each reader sees exactly the
// rows of its grants in every catalog table (compared with the owner's view filtered by an independent
// oracle), nothing else, and never a half table. Includes a seeded randomized property test.
import { Client } from "pg";
import { grantRead, listGrants, revokeRead } from "../../postgres/guardClient";
import { rng, subset } from "../support/random";
import {
  ALL_CATALOG_TABLES,
  CATALOG,
  canon,
  expectedRowFilter,
  expectedVisibility,
  guardedLake,
  GuardedLake,
  rowsOf,
} from "../fixtures/guardHarness";

let g: GuardedLake;
const ODD_SCHEMA = "odd schema;--";
const ODD_TABLE = `we"ird 'täble' ✓`;

beforeAll(async () => {
  g = await guardedLake("cg_rls", { withSpec11Dev: true });
});
afterAll(async () => {
  await g?.close();
});

async function assertSeesExactly(reader: Client, grants: Array<{ schema: string; table: string | null }>): Promise<void> {
  const e = await expectedVisibility(g.owner, grants);
  for (const table of ALL_CATALOG_TABLES) {
    const all = await rowsOf(g.owner, table);
    const expected = canon(all.filter(expectedRowFilter(table, e)));
    const seen = canon(await rowsOf(reader, table));
    expect({ table, rows: seen }).toEqual({ table, rows: expected });
  }
}

async function assertNoOrphans(reader: Client): Promise<void> {
  const q = async (sql: string) => (await reader.query(sql)).rows;
  expect(
    await q(`SELECT t.table_id FROM ${CATALOG}.ducklake_table t WHERE t.end_snapshot IS NULL AND NOT EXISTS
    (SELECT FROM ${CATALOG}.ducklake_schema s WHERE s.schema_id = t.schema_id)`),
  ).toEqual([]);
  expect(
    await q(`SELECT t.table_id FROM ${CATALOG}.ducklake_table t WHERE t.end_snapshot IS NULL AND NOT EXISTS
    (SELECT FROM ${CATALOG}.ducklake_column c WHERE c.table_id = t.table_id AND c.end_snapshot IS NULL)`),
  ).toEqual([]);
  for (const child of [
    "ducklake_partition_info",
    "ducklake_partition_column",
    "ducklake_sort_info",
    "ducklake_sort_expression",
    "ducklake_data_file",
    "ducklake_delete_file",
    "ducklake_column",
    "ducklake_inlined_data_tables",
    "ducklake_file_column_stats",
  ])
    expect({
      child,
      orphans: await q(`SELECT x.table_id FROM ${CATALOG}.${child} x WHERE NOT EXISTS
      (SELECT FROM ${CATALOG}.ducklake_table t WHERE t.table_id = x.table_id)`),
    }).toEqual({ child, orphans: [] });
  expect(
    await q(`SELECT d.delete_file_id FROM ${CATALOG}.ducklake_delete_file d WHERE NOT EXISTS
    (SELECT FROM ${CATALOG}.ducklake_data_file f WHERE f.data_file_id = d.data_file_id)`),
  ).toEqual([]);
  expect(
    await q(`SELECT v.view_id FROM ${CATALOG}.ducklake_view v WHERE NOT EXISTS
    (SELECT FROM ${CATALOG}.ducklake_schema s WHERE s.schema_id = v.schema_id)`),
  ).toEqual([]);
}

async function inlinedReadable(reader: Client, table: string): Promise<boolean> {
  try {
    await reader.query(`SELECT * FROM ${CATALOG}."${table}"`);
    return true;
  } catch (e) {
    expect((e as Error).message).toMatch(/permission denied/);
    return false;
  }
}

describe("readers with different grants", () => {
  const cases: Array<{ base: string; grants: Array<{ schema: string; table: string | null }> }> = [
    { base: "cg_one_table", grants: [{ schema: "sales", table: "orders" }] },
    { base: "cg_schema", grants: [{ schema: "hr", table: null }] },
    {
      base: "cg_odd",
      grants: [
        { schema: ODD_SCHEMA, table: ODD_TABLE },
        { schema: "sales", table: "returns" },
      ],
    },
    {
      base: "cg_mixed",
      grants: [
        { schema: "sales", table: null },
        { schema: "main", table: "events" },
      ],
    },
    { base: "cg_nothing", grants: [] },
  ];
  it.each(cases)("$base sees exactly its grants in all 29 catalog tables, with no orphans", async ({ base, grants }) => {
    const name = await g.newReader(base);
    for (const gr of grants) await grantRead(g.owner, { reader: name, ...gr });
    if (!grants.length) await g.owner.query(`GRANT ducklake_reader TO ${name}`);
    const reader = await g.connectAs(name);
    await assertSeesExactly(reader, grants);
    await assertNoOrphans(reader);
    const e = await expectedVisibility(g.owner, grants);
    for (const [tableId, inlined] of Object.entries(g.lake.inlinedTables))
      for (const t of inlined)
        expect({ t, readable: await inlinedReadable(reader, t) }).toEqual({ t, readable: e.tables.has(Number(tableId)) });
  });

  test("a reader sees the granted table's inlined rows and the deletes that hide rows", async () => {
    const name = await g.newReader("cg_inl");
    await grantRead(g.owner, { reader: name, schema: "hr", table: "salaries" });
    const reader = await g.connectAs(name);
    const id = g.lake.tables["hr.salaries"];
    const inlined = g.lake.inlinedTables[id].find((t) => t.includes("_data_"))!;
    const data = await reader.query(`SELECT convert_from(name, 'UTF8') AS name FROM ${CATALOG}.${inlined}`);
    expect(data.rows).toEqual([{ name: "ceo" }]);
    const del = await reader.query(`SELECT count(*)::int AS n FROM ${CATALOG}.ducklake_inlined_delete_${id}`);
    expect(del.rows[0].n).toBe(2);
  });
});

test("randomized grant sets (seeded): every catalog table matches the oracle after each change", async () => {
  const seed = Number(process.env.CATALOG_GUARD_SEED ?? 20240917);
  const r = rng(seed);
  const objects: Array<{ schema: string; table: string | null }> = [
    { schema: "sales", table: null },
    { schema: "hr", table: null },
    { schema: ODD_SCHEMA, table: null },
    { schema: "main", table: null },
    ...Object.keys(g.lake.tables).map((k) => {
      const i = k.indexOf(".");
      return { schema: k.slice(0, i), table: k.slice(i + 1) };
    }),
  ];
  const name = await g.newReader("cg_prop");
  await g.owner.query(`GRANT ducklake_reader TO ${name}`);
  const reader = await g.connectAs(name);
  let current: typeof objects = [];
  for (let round = 0; round < 8; round++) {
    const next = subset(r, objects, 0.35);
    for (const o of current) if (!next.includes(o)) await revokeRead(g.owner, { reader: name, ...o });
    for (const o of next) if (!current.includes(o)) await grantRead(g.owner, { reader: name, ...o });
    current = next;
    expect((await listGrants(g.owner, name)).length).toBe(current.length);
    try {
      await assertSeesExactly(reader, current);
      await assertNoOrphans(reader);
    } catch (e) {
      throw new Error(`seed ${seed}, round ${round}, grants ${JSON.stringify(current)}: ${(e as Error).message}`);
    }
  }
});

test("the oracle catches a leaky policy (so the checks above can fail)", async () => {
  const name = await g.newReader("cg_meta");
  await grantRead(g.owner, { reader: name, schema: "sales", table: "orders" });
  const reader = await g.connectAs(name);
  await g.owner.query(`ALTER POLICY ducklake_guard_read ON ${CATALOG}.ducklake_partition_info USING (true)`);
  try {
    await expect(assertSeesExactly(reader, [{ schema: "sales", table: "orders" }])).rejects.toThrow(/ducklake_partition_info/);
  } finally {
    await g.owner.query("SELECT ducklake_guard.protect_all()");
  }
  await assertSeesExactly(reader, [{ schema: "sales", table: "orders" }]);
});
