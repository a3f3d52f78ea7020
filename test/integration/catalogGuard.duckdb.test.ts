// End to end with a real DuckDB client: attach the guarded catalog as a reader, read the granted table,
// fail on a hidden one. Needs the ducklake + postgres extensions; where they cannot be installed/loaded
// (no network to extensions.duckdb.org here) the test is skipped and says so.
import { DuckDBInstance } from "@duckdb/node-api";
import { grantRead } from "../../providers/guardClient";
import { CATALOG, guardedLake, GuardedLake, READER_PASSWORD } from "../fixtures/guardHarness";

async function missingExtensions(): Promise<string[]> {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  const missing: string[] = [];
  for (const ext of ["ducklake", "postgres"]) {
    try { await c.run(`LOAD ${ext}`); } catch {
      try { await c.run(`INSTALL ${ext}`); await c.run(`LOAD ${ext}`); } catch (e) { missing.push(`${ext} (${String((e as Error).message).split("\n")[0]})`); }
    }
  }
  c.closeSync();
  return missing;
}

let missing: string[] = [];
let g: GuardedLake | undefined;
beforeAll(async () => {
  missing = await missingExtensions();
  if (missing.length) console.warn(`SKIPPED DuckDB end-to-end: cannot load DuckDB extension(s) ${missing.join(", ")}. ` +
    "Run where DuckDB can INSTALL ducklake and postgres (network to extensions.duckdb.org, or a build with them linked in).");
  else g = await guardedLake("cg_duckdb");
}, 120000);
afterAll(async () => { await g?.close(); });

test("DuckDB extension probe ran", () => {
  expect(Array.isArray(missing)).toBe(true);
});

test("a reader attached through DuckDB reads its granted table and cannot see a hidden one", async () => {
  if (missing.length || !g) return; // skipped: see the warning printed by beforeAll
  const reader = await g.newReader("cg_duck");
  await grantRead(g.owner, { reader, schema: "sales", table: "customers" });
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  await c.run("LOAD ducklake; LOAD postgres");
  const dsn = `dbname=${g.conn.database} host=${g.conn.host} port=${g.conn.port} user=${reader} password=${READER_PASSWORD}`;
  await c.run(`ATTACH 'ducklake:postgres:${dsn}' AS lake (METADATA_SCHEMA '${CATALOG}', READ_ONLY)`);
  const tables = await (await c.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'")).getRowObjects();
  expect(tables.map((t) => t.table_name)).toEqual(["customers"]);
  await expect(c.run("SELECT * FROM lake.hr.salaries")).rejects.toThrow(/does not exist/);
  c.closeSync();
});
