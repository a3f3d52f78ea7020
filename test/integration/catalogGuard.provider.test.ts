// The dynamic providers' create/read/diff/update/delete against real PostgreSQL: install/upgrade, and
// ACL entries whose hand edits `pulumi refresh` (read) detects.
import { Client } from "pg";
import { createTestDatabase, dropTestDatabase } from "../support/pg";
import { PgConnection } from "../support/services";
import { buildSampleLake, createDuckLakeCatalog } from "../fixtures/ducklakeCatalog";
import { catalogGuardProvider } from "../../providers/catalogGuard";
import { aclEntryProvider, AclEntryOutputs } from "../../providers/aclEntry";
import { guardStatus, listGrants, loadMigrations } from "../../providers/guardClient";
import type { CatalogConnection } from "../../model/connection";
import { randomBytes } from "crypto";

let conn: PgConnection;
let owner: Client;
let connection: CatalogConnection;
const reader = `cg_prov_${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  conn = await createTestDatabase("cg_provider");
  owner = new Client(conn);
  await owner.connect();
  await buildSampleLake(await createDuckLakeCatalog(owner, { catalogSchema: "lake" }));
  await owner.query(`CREATE ROLE ${reader} LOGIN`);
  connection = { host: conn.host, port: conn.port, database: conn.database, user: conn.user, password: conn.password, sslmode: "disable" };
});
afterAll(async () => {
  await owner.query(`DROP OWNED BY ${reader}`).catch(() => undefined);
  await owner.end();
  await dropTestDatabase(conn);
  const { withClient } = await import("../support/pg");
  const { pgAdmin } = await import("../support/services");
  await withClient(pgAdmin(), (a) => a.query(`DROP ROLE IF EXISTS ${reader}`));
});

describe("CatalogGuard provider", () => {
  const migrations = loadMigrations();
  test("check rejects a bad catalog schema name", async () => {
    const r = await catalogGuardProvider.check!({}, { connection, catalogSchema: "x".repeat(64), migrations });
    expect(r.failures).toEqual([{ property: "catalogSchema", reason: expect.stringMatching(/longer than 63 bytes/) }]);
  });

  test("create installs; a partial install is upgraded by update; read sees removal; delete fails closed", async () => {
    const first = await catalogGuardProvider.check!({}, { connection, catalogSchema: "lake", migrations: migrations.slice(0, 2) });
    const created = await catalogGuardProvider.create!(first.inputs);
    expect(created.outs).toMatchObject({ version: 2, catalogSchema: "lake", migrationNames: ["001_guard_schema", "002_catalog_policies"] });
    const news = (await catalogGuardProvider.check!({}, { connection, catalogSchema: "lake", migrations })).inputs;
    const diff = await catalogGuardProvider.diff!(created.id, created.outs, news);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    const updated = await catalogGuardProvider.update!(created.id, created.outs, news);
    expect(updated.outs).toMatchObject({ version: migrations.length, eventTrigger: true });
    expect(await catalogGuardProvider.diff!(created.id, updated.outs, news)).toMatchObject({ changes: false });
    expect((await catalogGuardProvider.diff!(created.id, updated.outs, { ...news, catalogSchema: "other" })).replaces).toEqual(["catalogSchema"]);
    const read = await catalogGuardProvider.read!(created.id, updated.outs);
    expect(read).toMatchObject({ id: created.id, props: { version: migrations.length } });
    // Delete: readers lose the catalog at once, RLS stays on; then re-create for the ACL tests below.
    await catalogGuardProvider.delete!(created.id, updated.outs);
    expect((await guardStatus(owner)).installed).toBe(false);
    expect((await catalogGuardProvider.read!(created.id, updated.outs)).id).toBe("");
    const rls = await owner.query("SELECT relrowsecurity FROM pg_class WHERE oid = 'lake.ducklake_data_file'::regclass");
    expect(rls.rows[0].relrowsecurity).toBe(true);
    const priv = await owner.query("SELECT has_table_privilege('ducklake_reader', 'lake.ducklake_table', 'SELECT') AS ok");
    expect(priv.rows[0].ok).toBe(false);
    await catalogGuardProvider.create!(news);
  });
});

describe("AclEntry provider", () => {
  const inputs = (table: string | null, schema = "sales") => ({ connection, reader, schema, table });

  test("check fails bad names and missing tables at preview, and accepts unknowns", async () => {
    const bad = await aclEntryProvider.check!({}, { ...inputs("orders"), reader: "Bad-Name" });
    expect(bad.failures).toEqual([{ property: "reader", reason: expect.stringMatching(/not a valid reader name/) }]);
    const missing = await aclEntryProvider.check!({}, inputs("no_such_table"));
    expect(missing.failures).toEqual([{ property: "table", reason: expect.stringMatching(/DuckLake table "sales"."no_such_table" does not exist/) }]);
    const ok = await aclEntryProvider.check!({}, inputs("orders"));
    expect(ok.failures).toEqual([]);
    const unknown = await aclEntryProvider.check!({}, { ...inputs("orders"), connection: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
    expect(unknown.failures).toEqual([]);
  });

  test("create → read → hand revoke → read reports it gone → re-create → delete", async () => {
    const i = (await aclEntryProvider.check!({}, inputs("orders"))).inputs;
    const created = await aclEntryProvider.create!(i);
    expect(created.outs).toMatchObject({ reader, schema: "sales", table: "orders", status: "active" });
    expect(await listGrants(owner, reader)).toEqual([{ reader, schema: "sales", table: "orders" }]);
    const read = await aclEntryProvider.read!(created.id, created.outs);
    expect(read.id).toBe(created.id);
    await owner.query("SELECT ducklake_guard.revoke_read($1, 'sales', 'orders')", [reader]); // a DBA's hand edit
    expect((await aclEntryProvider.read!(created.id, created.outs)).id).toBe("");
    const again = await aclEntryProvider.create!(i);
    expect(again.id).toBe(created.id);
    await aclEntryProvider.delete!(again.id, again.outs);
    expect(await listGrants(owner, reader)).toEqual([]);
  });

  test("diff: names and database replace (delete first); credentials update; a dropped pin replaces", async () => {
    const i = (await aclEntryProvider.check!({}, inputs(null, "hr"))).inputs;
    const created = await aclEntryProvider.create!(i);
    const outs = created.outs as AclEntryOutputs;
    expect(await aclEntryProvider.diff!(created.id, outs, i)).toMatchObject({ changes: false, replaces: [] });
    expect(await aclEntryProvider.diff!(created.id, outs, { ...i, table: "salaries" })).toMatchObject({ replaces: ["table"], deleteBeforeReplace: true });
    expect((await aclEntryProvider.diff!(created.id, outs, { ...i, connection: { ...connection, database: "elsewhere" } })).replaces).toEqual(["connection"]);
    const rotated = { ...i, connection: { ...connection, password: connection.password } };
    expect(await aclEntryProvider.diff!(created.id, outs, { ...rotated, connection: { ...connection, user: "postgres", password: "changed" } })).toMatchObject({ changes: true, replaces: [] });
    const upd = await aclEntryProvider.update!(created.id, outs, rotated);
    expect(upd.outs).toMatchObject({ status: "active" });
    expect(await aclEntryProvider.diff!(created.id, { ...outs, status: "dropped" }, i)).toMatchObject({ replaces: ["table"] });
    await aclEntryProvider.delete!(created.id, outs);
  });
});
