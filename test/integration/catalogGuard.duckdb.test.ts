// End to end with a real DuckDB client on the fixture catalog: attach the guarded catalog as a reader, read
// the granted table, fail on a hidden one. Uses the offline extensions (test/support/duckdb.ts); CI fails
// without them, elsewhere the suite is skipped with a message.
import { grantRead } from "../../postgres/guardClient";
import { CATALOG, guardedLake, GuardedLake, READER_PASSWORD } from "../fixtures/guardHarness";
import { describeWithDuckDB } from "../support/duckdb";
import { duckString } from "../../cli/duckdbSql";
import { openDuckDB } from "../../cli/duckdbSession";

describeWithDuckDB("the catalog guard seen through DuckDB", () => {
  let g: GuardedLake;
  beforeAll(async () => {
    g = await guardedLake("cg_duckdb");
  }, 120000);
  afterAll(async () => {
    await g?.close();
  });

  test("a reader attached through DuckDB reads its granted table and cannot see a hidden one", async () => {
    const reader = await g.newReader("cg_duck");
    await grantRead(g.owner, { reader, schema: "sales", table: "customers" });
    const s = await openDuckDB();
    try {
      const c = s.connection;
      await c.run(
        `CREATE SECRET cat (TYPE postgres, HOST ${duckString(g.conn.host)}, PORT ${g.conn.port}, DATABASE ${duckString(g.conn.database)}, ` +
          `USER ${duckString(reader)}, PASSWORD ${duckString(READER_PASSWORD)})`,
      );
      await c.run(
        `ATTACH 'ducklake:sslmode=disable' AS lake (METADATA_SCHEMA ${duckString(CATALOG)}, READ_ONLY, METADATA_PARAMETERS MAP {'TYPE': 'postgres', 'SECRET': 'cat'})`,
      );
      const tables = await (
        await c.runAndReadAll("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'lake'")
      ).getRowObjects();
      expect(tables).toEqual([{ schema_name: "sales", table_name: "customers" }]);
      await expect(c.run("SELECT * FROM lake.hr.salaries")).rejects.toThrow(/does not exist/);
      await c.run("USE lake");
    } finally {
      s.close();
    }
  });
});
