// The idempotent copy of load-sample on plain DuckDB: an in-memory database attached as `lake` stands
// in for the DuckLake catalog, and small tables stand in for dbgen's output (no extensions needed).
import { openDuckDB, DuckSession } from "../../cli/duckdbSession";
import { copySampleTables } from "../../cli/loadSample";
import { TPCH_TABLES } from "../../cli/duckdbSql";

describe("load-sample copy", () => {
  let s: DuckSession;
  const lines: string[] = [];
  const count = async (sql: string) => Number((await s.connection.runAndReadAll(sql)).getRows()[0][0]);

  beforeAll(async () => {
    s = await openDuckDB();
    await s.connection.run("ATTACH ':memory:' AS lake");
    for (const [i, t] of TPCH_TABLES.entries())
      await s.connection.run(`CREATE TABLE memory.main.${t} AS SELECT range AS k, 'v' || range AS v FROM range(${i + 2})`);
  });
  afterAll(() => s.close());

  it("creates every table, then skips them all, then replaces only the one whose rows differ", async () => {
    const first = await copySampleTables(s.connection, (m) => lines.push(m));
    expect(first.map((r) => [r.table, r.action, r.rows])).toEqual(TPCH_TABLES.map((t, i) => [t, "create", BigInt(i + 2)]));
    expect(lines).toHaveLength(8);
    expect(lines[7]).toMatch(/^\[8\/8\] tpch\.lineitem: 9 rows created \(\d+\.\d s\)$/);

    const second = await copySampleTables(s.connection, () => undefined);
    expect(second.every((r) => r.action === "skip")).toBe(true);
    expect(await count("SELECT count(*) FROM lake.tpch.lineitem")).toBe(9);

    await s.connection.run("INSERT INTO lake.tpch.orders VALUES (100, 'extra')");
    const third = await copySampleTables(s.connection, () => undefined);
    expect(third.filter((r) => r.action !== "skip").map((r) => [r.table, r.action])).toEqual([["orders", "replace"]]);
    expect(await count("SELECT count(*) FROM lake.tpch.orders")).toBe(8);
    expect(await count("SELECT count(*) FROM lake.tpch.orders WHERE k = 100")).toBe(0);
  });
});
