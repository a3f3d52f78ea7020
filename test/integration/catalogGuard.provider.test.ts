// The dynamic providers' create/read/diff/update/delete against real PostgreSQL: the guard's install/upgrade,
// and each reader's ACL (ReaderAcl), whose hand edits `pulumi refresh` (read) shows and `pulumi up` (update)
// puts back (entries of roles that are not readers: test/integration/undeclaredAcl.test.ts). After every
// ReaderAcl step the reader itself connects and lists the tables it can see.
import { Client } from "pg";
import { createTestDatabase, dropTestDatabase } from "../support/pg";
import { PgConnection } from "../support/services";
import { buildSampleLake, createDuckLakeCatalog } from "../fixtures/ducklakeCatalog";
import { catalogGuardProvider } from "../../providers/catalogGuard";
import { AclGrant, readerAclProvider } from "../../providers/readerAcl";
import { guardStatus, listGrantDetails, listGrants } from "../../postgres/guardClient";
import { loadMigrations } from "../../postgres/sqlFiles";
import type { CatalogConnection } from "../../model/connection";
import { expectedTables as expectedTablesOf, guardedLake, GuardedLake, visibleTables } from "../fixtures/guardHarness";

let conn: PgConnection;
let owner: Client;
let connection: CatalogConnection;

beforeAll(async () => {
  conn = await createTestDatabase("cg_provider");
  owner = new Client(conn);
  await owner.connect();
  await buildSampleLake(await createDuckLakeCatalog(owner, { catalogSchema: "lake" }));
  connection = { host: conn.host, port: conn.port, database: conn.database, user: conn.user, password: conn.password, sslmode: "disable" };
});
afterAll(async () => {
  await owner.end();
  await dropTestDatabase(conn);
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
    expect(updated.outs).toMatchObject({ version: migrations.at(-1)!.version, eventTrigger: true });
    expect(await catalogGuardProvider.diff!(created.id, updated.outs, news)).toMatchObject({ changes: false });
    expect((await catalogGuardProvider.diff!(created.id, updated.outs, { ...news, catalogSchema: "other" })).replaces).toEqual([
      "catalogSchema",
    ]);
    const read = await catalogGuardProvider.read!(created.id, updated.outs);
    expect(read).toMatchObject({ id: created.id, props: { version: migrations.at(-1)!.version } });
    // Delete: readers lose the catalog at once, RLS stays on; create after an uninstall installs again.
    await catalogGuardProvider.delete!(created.id, updated.outs);
    expect((await guardStatus(owner)).installed).toBe(false);
    expect((await catalogGuardProvider.read!(created.id, updated.outs)).id).toBe("");
    const rls = await owner.query("SELECT relrowsecurity FROM pg_class WHERE oid = 'lake.ducklake_data_file'::regclass");
    expect(rls.rows[0].relrowsecurity).toBe(true);
    const priv = await owner.query("SELECT has_table_privilege('ducklake_reader', 'lake.ducklake_table', 'SELECT') AS ok");
    expect(priv.rows[0].ok).toBe(false);
    expect((await catalogGuardProvider.create!(news)).outs).toMatchObject({ version: migrations.at(-1)!.version });
    expect((await guardStatus(owner)).installed).toBe(true);
  });
});

describe("ReaderAcl provider", () => {
  const ODD = { schema: "odd schema;--", table: `we"ird 'täble' ✓` };
  let g: GuardedLake;
  let db: CatalogConnection;
  let reader: string;
  let readerClient: Client;
  beforeAll(async () => {
    g = await guardedLake("cg_readeracl");
    db = {
      host: g.conn.host,
      port: g.conn.port,
      database: g.conn.database,
      user: g.conn.user,
      password: g.conn.password,
      sslmode: "disable",
    };
    reader = await g.newReader("cg_acl");
    await g.owner.query(`GRANT ducklake_reader TO ${reader}`); // as LakeReader creates its role
    readerClient = await g.connectAs(reader);
  });
  afterAll(async () => {
    await g?.close();
  });

  const state = (grants: AclGrant[], r = reader) => ({ connection: db, reader: r, grants });
  const check = async (grants: unknown, r: unknown = reader, connection: unknown = db) => {
    const res = await readerAclProvider.check!({}, { connection, reader: r, grants });
    return { inputs: res.inputs, failures: res.failures ?? [] };
  };
  const sorted = (xs: string[]) => [...xs].sort();
  const name = (x: { schema: string; table: string | null }) => `${x.schema}.${x.table ?? "*"}`;

  const expectedTables = (grants: AclGrant[]) => expectedTablesOf(g.owner, grants);
  async function expectReaderSees(grants: AclGrant[]): Promise<void> {
    const expected = await expectedTables(grants);
    expect(await visibleTables(readerClient)).toEqual(expected);
  }
  const liveList = async () => sorted((await listGrants(g.owner, reader)).map(name));

  test("check: bad reader and table names, duplicates, missing schema and table fail with exact messages; unknowns pass", async () => {
    expect((await check([{ schema: "sales", table: "orders" }], "Bad-Name")).failures).toEqual([
      {
        property: "reader",
        reason: 'reader "Bad-Name" is not a valid reader name: start with a-z, then a-z, 0-9 or _, at most 48 characters',
      },
    ]);
    expect((await check([{ schema: "sales", table: "orders" }], "pg_monitor")).failures).toEqual([
      { property: "reader", reason: 'reader "pg_monitor" is reserved (it names a built-in or ducklake role); choose another reader name' },
    ]);
    expect(
      (
        await check([
          { schema: " sales", table: null },
          { schema: "sales", table: "x".repeat(64) },
        ])
      ).failures,
    ).toEqual([
      { property: "grants[0].schema", reason: 'schema " sales" starts or ends with white space' },
      {
        property: "grants[1].table",
        reason: `table "${"x".repeat(64)}" is longer than 63 bytes (PostgreSQL's identifier limit); omit the table to grant the whole schema`,
      },
    ]);
    expect(
      (
        await check([
          { schema: "sales", table: "orders" },
          { schema: "hr", table: null },
          { schema: "sales", table: "orders" },
        ])
      ).failures,
    ).toEqual([{ property: "grants[2]", reason: 'duplicate grant of {"schema":"sales","table":"orders"}: list each schema/table once' }]);
    expect((await check([{ schema: "sales", table: "no_such_table" }, { schema: "nowhere", table: null }, ODD])).failures).toEqual([
      { property: "grants", reason: 'DuckLake schema "nowhere" does not exist in the catalog: fix the name or create the schema first' },
      {
        property: "grants",
        reason:
          'DuckLake table "sales"."no_such_table" does not exist in the catalog: fix the name, create the table first, or grant the whole schema',
      },
    ]);
    // A dropped table is missing too; the renamed one is found under its current name only.
    expect(
      (
        await check([
          { schema: "sales", table: "staging" },
          { schema: "sales", table: "returns_v1" },
          { schema: "sales", table: "returns" },
        ])
      ).failures.map((f) => f.reason),
    ).toEqual([
      expect.stringContaining('"sales"."returns_v1" does not exist'),
      expect.stringContaining('"sales"."staging" does not exist'),
    ]);
    expect((await check("not a list")).failures).toEqual([
      { property: "grants", reason: "grants must be a list of { schema, table, rows? } (table null for the whole schema)" },
    ]);
    // Unknown at preview: a connection not known yet (first deployment) skips the catalog lookup; an unknown
    // reader name does not stop it.
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect((await check([{ schema: "nowhere", table: null }], reader, unknown)).failures).toEqual([]);
    expect((await check([{ schema: "nowhere", table: null }], reader, { ...db, password: unknown })).failures).toEqual([]);
    expect((await check([{ schema: "nowhere", table: null }], unknown)).failures.map((f) => f.reason)).toEqual([
      'DuckLake schema "nowhere" does not exist in the catalog: fix the name or create the schema first',
    ]);
    const ok = await check([{ schema: "sales", table: null }, { schema: "hr", table: "salaries" }, ODD]);
    expect(ok.failures).toEqual([]);
    // Canonical order and shape, so a reordered list is the same input.
    expect(ok.inputs!.grants).toEqual([{ schema: "hr", table: "salaries" }, ODD, { schema: "sales", table: null }]);
    expect((await check([ODD, { schema: "hr", table: "salaries" }, { schema: "sales" }])).inputs!.grants).toEqual(ok.inputs!.grants);
    expect(await liveList()).toEqual([]); // check never writes
  });

  test("create, refresh after hand edits, diff, update back, re-pin after drop/re-create, delete — the reader sees the list at each step", async () => {
    const desired = (
      await check([
        { schema: "sales", table: null },
        { schema: "hr", table: "salaries" },
      ])
    ).inputs.grants as AclGrant[];
    await expectReaderSees([]);

    const created = await readerAclProvider.create!(state(desired));
    expect(created.id).toBe(reader);
    expect(created.outs.grants).toEqual(desired);
    expect(await liveList()).toEqual(["hr.salaries", "sales.*"]);
    await expectReaderSees(desired);
    expect(await readerAclProvider.diff!(reader, created.outs, state(desired))).toMatchObject({ changes: false, replaces: [] });

    // A DBA revokes one grant and adds another by hand: refresh (read) shows the live list.
    await g.owner.query("SELECT ducklake_guard.revoke_read($1, 'hr', 'salaries')", [reader]);
    await g.owner.query("SELECT ducklake_guard.grant_read($1, $2, $3)", [reader, ODD.schema, ODD.table]);
    const refreshed = await readerAclProvider.read!(reader, created.outs);
    expect(refreshed.id).toBe(reader);
    expect(refreshed.props!.grants).toEqual([ODD, { schema: "sales", table: null }]);
    await expectReaderSees(refreshed.props!.grants);
    expect(await readerAclProvider.diff!(reader, refreshed.props as any, state(desired))).toMatchObject({ changes: true, replaces: [] });

    // `pulumi up` after refresh: exactly the list again.
    const updated = await readerAclProvider.update!(reader, refreshed.props as any, state(desired));
    expect(updated.outs!.grants).toEqual(desired);
    expect(await liveList()).toEqual(["hr.salaries", "sales.*"]);
    await expectReaderSees(desired);
    expect((await readerAclProvider.read!(reader, updated.outs as any)).props!.grants).toEqual(desired);

    // A hand-added row is revoked even when state never saw it (update without refresh).
    await g.owner.query("SELECT ducklake_guard.grant_read($1, 'main', NULL)", [reader]);
    await readerAclProvider.update!(reader, updated.outs as any, state(desired));
    expect(await liveList()).toEqual(["hr.salaries", "sales.*"]);

    // hr.salaries dropped and re-created: the pinned grant does not follow the name...
    const oldId = g.lake.tables["hr.salaries"];
    await g.builder.dropTable(oldId);
    const recreated = await g.builder.createTable("hr", "salaries", { columns: [{ name: "name", type: "varchar" }] });
    expect(await visibleTables(readerClient)).not.toContain("hr.salaries");
    const afterDrop = await readerAclProvider.read!(reader, updated.outs as any);
    expect(afterDrop.props!.grants).toEqual([{ schema: "sales", table: null }]);
    expect(await readerAclProvider.diff!(reader, afterDrop.props as any, state(desired))).toMatchObject({ changes: true, replaces: [] });
    // ...until `pulumi up` grants it again, pinned to the new table.
    await readerAclProvider.update!(reader, afterDrop.props as any, state(desired));
    const pinned = (await listGrantDetails(g.owner, reader)).find((d) => d.table === "salaries")!;
    expect({ tableId: Number(pinned.tableId), status: pinned.status }).toEqual({ tableId: recreated.tableId, status: "active" });
    await expectReaderSees(desired);
    expect(await visibleTables(readerClient)).toContain("hr.salaries");

    // Editing the list: move from the whole schema to one table, add the odd-named table.
    const edited = (await check([{ schema: "sales", table: "orders" }, ODD, { schema: "hr", table: "salaries" }])).inputs
      .grants as AclGrant[];
    const current = (await readerAclProvider.read!(reader, updated.outs as any)).props as any;
    expect(await readerAclProvider.diff!(reader, current, state(edited))).toMatchObject({ changes: true, replaces: [] });
    const moved = await readerAclProvider.update!(reader, current, state(edited));
    expect(moved.outs!.grants).toEqual(edited);
    expect(await liveList()).toEqual(sorted(["hr.salaries", `${ODD.schema}.${ODD.table}`, "sales.orders"]));
    await expectReaderSees(edited);
    expect(await visibleTables(readerClient)).toEqual(sorted(["hr.salaries", `${ODD.schema}.${ODD.table}`, "sales.orders"]));

    // A failing entry applies nothing of that update (one transaction).
    const broken = [...edited, { schema: "sales", table: "no_such_table" }];
    await expect(readerAclProvider.update!(reader, moved.outs as any, state(broken))).rejects.toThrow(
      'DuckLake table "sales"."no_such_table" does not exist in the catalog',
    );
    expect(await liveList()).toEqual(sorted(["hr.salaries", `${ODD.schema}.${ODD.table}`, "sales.orders"]));

    // delete revokes everything of this reader, including a hand-added row.
    await g.owner.query("SELECT ducklake_guard.grant_read($1, 'main', 'events')", [reader]);
    await readerAclProvider.delete!(reader, moved.outs as any);
    expect(await listGrantDetails(g.owner, reader)).toEqual([]);
    await expectReaderSees([]);
    expect(await visibleTables(readerClient)).toEqual([]);
  });

  test("diff: another reader or database replaces (delete first); new credentials update in place", async () => {
    const s = state([{ schema: "sales", table: "orders" }]);
    expect(await readerAclProvider.diff!(reader, s, { ...s, reader: "someone_else" })).toMatchObject({
      changes: true,
      replaces: ["reader"],
      deleteBeforeReplace: true,
    });
    expect(await readerAclProvider.diff!(reader, s, { ...s, connection: { ...db, database: "elsewhere" } })).toMatchObject({
      changes: true,
      replaces: ["connection"],
    });
    expect(await readerAclProvider.diff!(reader, s, { ...s, connection: { ...db, password: "rotated" } })).toMatchObject({
      changes: true,
      replaces: [],
    });
    expect(await readerAclProvider.diff!(reader, s, { ...s, grants: [...s.grants].reverse() })).toMatchObject({ changes: false });
  });

  test("two readers' ACLs are independent", async () => {
    const other = await g.newReader("cg_acl_other");
    await g.owner.query(`GRANT ducklake_reader TO ${other}`);
    const otherClient = await g.connectAs(other);
    const a = await readerAclProvider.create!(state([{ schema: "hr", table: null }], other));
    const b = await readerAclProvider.create!(state([{ schema: "main", table: "events" }]));
    expect(await visibleTables(otherClient)).toEqual(await expectedTables([{ schema: "hr", table: null }]));
    await expectReaderSees([{ schema: "main", table: "events" }]);
    await readerAclProvider.delete!(other, a.outs);
    expect(await visibleTables(otherClient)).toEqual([]);
    await expectReaderSees([{ schema: "main", table: "events" }]);
    await readerAclProvider.delete!(reader, b.outs);
  });

  test("check: a granted table renamed since names its new name; without a pinned entry the message stays generic", async () => {
    const renamedReader = await g.newReader("cg_acl_rename");
    await g.owner.query(`GRANT ducklake_reader TO ${renamedReader}`);
    const oldName = `to "rename"; ✓`,
      newName = `rénamed 'now'`;
    const t = await g.builder.createTable(ODD.schema, oldName, { columns: [{ name: "x", type: "int32" }] });
    const created = await readerAclProvider.create!(state([{ schema: ODD.schema, table: oldName }], renamedReader));
    await g.builder.renameTable(t.tableId, newName);
    expect((await listGrantDetails(g.owner, renamedReader)).map((d) => d.status)).toEqual(["renamed"]);
    expect(
      (
        await check(
          [
            { schema: ODD.schema, table: oldName },
            { schema: "sales", table: "nope" },
          ],
          renamedReader,
        )
      ).failures,
    ).toEqual([
      {
        property: "grants",
        reason: `DuckLake table "${ODD.schema}"."${oldName}" was renamed to "${ODD.schema}"."${newName}": update the grant in access.ts`,
      },
      {
        property: "grants",
        reason:
          'DuckLake table "sales"."nope" does not exist in the catalog: fix the name, create the table first, or grant the whole schema',
      },
    ]);
    // Another reader (no entry pinned to that table) or a reader not known yet: the generic message.
    const generic = [
      {
        property: "grants",
        reason: `DuckLake table "${ODD.schema}"."${oldName}" does not exist in the catalog: fix the name, create the table first, or grant the whole schema`,
      },
    ];
    expect((await check([{ schema: ODD.schema, table: oldName }])).failures).toEqual(generic);
    expect((await check([{ schema: ODD.schema, table: oldName }], "04da6b54-80e4-46f7-96ec-b56ff0331ba9")).failures).toEqual(generic);
    // The new name is what the list should say.
    expect((await check([{ schema: ODD.schema, table: newName }], renamedReader)).failures).toEqual([]);
    await readerAclProvider.delete!(renamedReader, created.outs);
    expect(await listGrantDetails(g.owner, renamedReader)).toEqual([]);
  });
});
