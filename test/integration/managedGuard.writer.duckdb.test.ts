// The real DuckDB writer without BYPASSRLS (issue 17: a managed PostgreSQL gives no superuser, so no BYPASSRLS):
// without the guard's write policy DuckLake sees no catalog row; with it, every kind of write works and the
// readers' views do not change. All sessions: the non-superuser admin, the owner, the writer, readers.
import { DuckDBConnection } from "@duckdb/node-api";
import { grantRead } from "../../postgres/guardClient";
import { rows } from "../support/duckdb";
import { haveDuckDBExtensions, managedLake, ManagedLake } from "../fixtures/managedLake";

const maybe = haveDuckDBExtensions() ? describe : describe.skip;

async function tablesSeenBy(m: ManagedLake, role: string): Promise<string[]> {
  const c = await m.duck(role, { readOnly: true });
  try {
    return (await rows(c, "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = 'lake' ORDER BY 1")).map(
      (r) => String(r[0]),
    );
  } finally {
    c.closeSync();
  }
}

maybe("a DuckDB writer without BYPASSRLS on the managed shape", () => {
  let m: ManagedLake;
  let rSales: string, rHr: string;
  beforeAll(async () => {
    m = await managedLake("mg_writer");
    const o = await m.duck(m.owner);
    for (const sql of [
      "CREATE SCHEMA lake.sales",
      "CREATE SCHEMA lake.hr",
      "CREATE TABLE lake.sales.customers (id INTEGER, name VARCHAR)",
      "INSERT INTO lake.sales.customers VALUES (1, 'ada')",
      "CREATE TABLE lake.hr.salaries (id INTEGER, amount INTEGER)",
      "INSERT INTO lake.hr.salaries VALUES (1, 100)",
    ])
      await o.run(sql);
    o.closeSync();
    await m.install({ catalogWriter: null }); // the guard as 001-006 made it: no writer recorded, no write policy
    rSales = await m.newRole("mg_rsales");
    rHr = await m.newRole("mg_rhr");
    await grantRead(m.admin, { reader: rSales, schema: "sales" });
    await grantRead(m.admin, { reader: rHr, schema: "hr", table: "salaries" });
  }, 120000);
  afterAll(async () => {
    await m?.close();
  });

  test("without the write policy DuckLake finds no snapshot (this is the writer on guard 006)", async () => {
    const attempt = async () => {
      let w: DuckDBConnection | undefined;
      try {
        w = await m.duck(m.writer);
        await w.run("INSERT INTO lake.sales.customers VALUES (2, 'bob')");
      } finally {
        w?.closeSync();
      }
    };
    await expect(attempt()).rejects.toThrow(/No snapshot found in DuckLake/);
  });

  test("with the writer recorded, CREATE / INSERT / UPDATE / DELETE / CTAS succeed and readers see what they did before", async () => {
    const beforeSales = await tablesSeenBy(m, rSales);
    const beforeHr = await tablesSeenBy(m, rHr);
    expect(beforeSales).toEqual(["sales.customers"]);
    expect(beforeHr).toEqual(["hr.salaries"]);
    await m.install(); // the program passes the writer: set_catalog_writer + the policies
    const w = await m.duck(m.writer);
    for (const sql of [
      "INSERT INTO lake.sales.customers VALUES (2, 'bob')",
      "UPDATE lake.sales.customers SET name = 'ADA' WHERE id = 1",
      "DELETE FROM lake.sales.customers WHERE id = 2",
      "CREATE TABLE lake.hr.bonus (id INTEGER, amount INTEGER)",
      "INSERT INTO lake.hr.bonus VALUES (1, 5)",
      "CREATE TABLE lake.sales.big AS SELECT range AS id FROM range(3000)",
      "DELETE FROM lake.sales.big WHERE id < 10",
    ])
      await expect(w.run(sql).then(() => "ok")).resolves.toBe("ok");
    expect(await rows(w, "SELECT count(*)::INTEGER FROM lake.sales.big")).toEqual([[2990]]);
    w.closeSync();
    expect(await tablesSeenBy(m, rSales)).toEqual(["sales.big", "sales.customers"]);
    expect(await tablesSeenBy(m, rHr)).toEqual(["hr.salaries"]);
    const r = await m.duck(rSales, { readOnly: true });
    expect(await rows(r, "SELECT id, name FROM lake.sales.customers ORDER BY id")).toEqual([[1, "ADA"]]);
    expect(await rows(r, "SELECT count(*)::INTEGER FROM lake.sales.big")).toEqual([[2990]]);
    r.closeSync();
  });
});
