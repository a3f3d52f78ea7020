// The guard installed before DuckLake's first ATTACH, as `pulumi up` does on a new catalog database, without a
// superuser (issue 17): no event trigger sees DuckLake create its catalog, so the catalog tables have no policy and
// readers are refused (fail closed) until the next `pulumi up`, whose diff asks the database and whose update runs
// protect_all(). Then readers read, and the commit trigger (attached by protect_all) grants new inlined tables.
import { grantRead } from "../../postgres/guardClient";
import { loadMigrations } from "../../postgres/sqlFiles";
import { catalogGuardProvider } from "../../providers/catalogGuard";
import { rows } from "../support/duckdb";
import { haveDuckDBExtensions, managedLake, ManagedLake, MANAGED_CATALOG } from "../fixtures/managedLake";

const maybe = haveDuckDBExtensions() ? describe : describe.skip;

maybe("guard first, DuckLake's first ATTACH afterwards (managed shape, real DuckDB)", () => {
  let m: ManagedLake;
  afterAll(async () => {
    await m?.close();
  });

  test("readers are refused until the next up protects the catalog; then they read, and new inlined tables are granted at commit", async () => {
    m = await managedLake("mg_attach");
    const connection = { ...m.conn, sslmode: "disable" as const };
    const { inputs } = await catalogGuardProvider.check!(
      {},
      { connection, catalogSchema: MANAGED_CATALOG, catalogOwner: m.owner, catalogWriter: m.writer, migrations: loadMigrations() },
    );
    const created = await catalogGuardProvider.create!(inputs);
    expect(created.outs.unprotected).toEqual([]);

    const o = await m.duck(m.owner); // DuckLake's first ATTACH creates the catalog tables
    o.closeSync();
    const w = await m.duck(m.writer);
    await w.run("CREATE SCHEMA lake.sales; CREATE TABLE lake.sales.t (id INTEGER); INSERT INTO lake.sales.t VALUES (1)");
    w.closeSync();
    const reader = await m.newRole("mg_areader");
    await grantRead(m.admin, { reader, schema: "sales" });
    await expect(m.duck(reader, { readOnly: true })).rejects.toThrow(/permission denied for table ducklake_\w+/);

    const diff = await catalogGuardProvider.diff!(created.id, created.outs, inputs);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    const updated = await catalogGuardProvider.update!(created.id, created.outs, inputs);
    expect(updated.outs).toMatchObject({ unprotected: [], inlinedGrants: "commit_trigger" });

    let r = await m.duck(reader, { readOnly: true });
    expect(await rows(r, "SELECT id FROM lake.sales.t")).toEqual([[1]]);
    r.closeSync();
    const w2 = await m.duck(m.writer);
    await w2.run("CREATE TABLE lake.sales.u (id INTEGER); INSERT INTO lake.sales.u VALUES (2)");
    w2.closeSync();
    r = await m.duck(reader, { readOnly: true });
    expect(await rows(r, "SELECT id FROM lake.sales.u")).toEqual([[2]]);
    r.closeSync();
  });
});
