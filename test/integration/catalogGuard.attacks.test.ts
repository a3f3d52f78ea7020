// What a reader must NOT be able to do, and how the guard follows the catalog as DuckLake writes.
import { Client } from "pg";
import { grantRead, revokeRead } from "../../postgres/guardClient";
import { ALL_CATALOG_TABLES, CATALOG, guardedLake, GuardedLake } from "../fixtures/guardHarness";

let g: GuardedLake;
let alice: string, bob: string;
let ra: Client;

beforeAll(async () => {
  g = await guardedLake("cg_attack");
  alice = await g.newReader("cg_alice");
  bob = await g.newReader("cg_bob");
  await grantRead(g.owner, { reader: alice, schema: "sales", table: "orders" });
  await grantRead(g.owner, { reader: bob, schema: "hr" });
  ra = await g.connectAs(alice);
});
afterAll(async () => {
  await g?.close();
});

const denied = async (c: Client, sql: string, params: unknown[] = []) => {
  await expect(c.query(sql, params)).rejects.toThrow(/permission denied|must be owner|not allowed|cannot/);
};
const tableNames = async (c: Client) =>
  (await c.query(`SELECT table_name FROM ${CATALOG}.ducklake_table WHERE end_snapshot IS NULL ORDER BY 1`)).rows.map((r) => r.table_name);

describe("attacks", () => {
  test("the ACL, settings and migrations are unreadable; other readers' ids are invisible", async () => {
    await denied(ra, "SELECT * FROM ducklake_guard.acl");
    await denied(ra, "SELECT * FROM ducklake_guard.setting");
    await denied(ra, "SELECT * FROM ducklake_guard.migration");
    const own = await ra.query("SELECT DISTINCT role_oid FROM ducklake_guard.visible");
    const me = await ra.query("SELECT oid FROM pg_roles WHERE rolname = current_user");
    expect(own.rows).toEqual([{ role_oid: me.rows[0].oid }]);
  });

  test("the guard's functions are owner-only", async () => {
    await denied(ra, "SELECT ducklake_guard.grant_read($1, 'hr', NULL)", [alice]);
    await denied(ra, "SELECT ducklake_guard.revoke_read($1, 'hr', NULL)", [bob]);
    await denied(ra, "SELECT * FROM ducklake_guard.list_grants(NULL)");
    await denied(ra, "SELECT ducklake_guard.resync()");
    await denied(ra, "SELECT ducklake_guard.refresh_visible(NULL)");
  });

  test("inlined tables of hidden tables are permission denied", async () => {
    for (const [id, names] of Object.entries(g.lake.inlinedTables))
      if (Number(id) !== g.lake.tables["sales.orders"]) for (const t of names) await denied(ra, `SELECT * FROM ${CATALOG}."${t}"`);
  });

  test.each(ALL_CATALOG_TABLES.filter((t) => t !== "ducklake_view_column_tag"))("no writes to %s", async (t) => {
    await denied(ra, `INSERT INTO ${CATALOG}.${t} DEFAULT VALUES`);
    const col = (
      await g.owner.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position LIMIT 1",
        [CATALOG, t],
      )
    ).rows[0].column_name;
    await denied(ra, `UPDATE ${CATALOG}.${t} SET "${col}" = "${col}"`);
    await denied(ra, `DELETE FROM ${CATALOG}.${t}`);
    await denied(ra, `TRUNCATE ${CATALOG}.${t}`);
  });

  test("no writes to the guard's own tables", async () => {
    await denied(ra, "INSERT INTO ducklake_guard.visible VALUES ((SELECT oid FROM pg_roles WHERE rolname = current_user), 't', 1)");
    await denied(ra, "DELETE FROM ducklake_guard.visible");
    await denied(ra, "INSERT INTO ducklake_guard.acl (reader, reader_oid, schema_name, schema_id) VALUES (current_user, 1, 'hr', 1)");
  });

  test("SET ROLE cannot reach the owner or another reader; the shared role sees nothing", async () => {
    await denied(ra, `SET ROLE ${bob}`);
    await denied(ra, "SET ROLE postgres");
    await ra.query("SET ROLE ducklake_reader");
    try {
      expect(await tableNames(ra)).toEqual([]);
      expect((await ra.query(`SELECT count(*)::int AS n FROM ${CATALOG}.ducklake_data_file`)).rows[0].n).toBe(0);
    } finally {
      await ra.query("RESET ROLE");
    }
  });

  test("no CREATE anywhere: tables, temp tables, functions, schemas", async () => {
    await denied(ra, `CREATE TABLE ${CATALOG}.x (i int)`);
    await denied(ra, "CREATE TABLE public.x (i int)");
    await denied(ra, "CREATE TABLE ducklake_guard.x (i int)");
    await denied(ra, "CREATE TEMP TABLE x (i int)");
    await denied(ra, "CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql AS 'SELECT 1'");
    await denied(ra, "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'");
    await denied(ra, "CREATE SCHEMA evil");
  });

  test("search_path tricks do not change what the policies look up", async () => {
    await ra.query(`SET search_path = pg_temp, ${CATALOG}, public`);
    try {
      expect(await tableNames(ra)).toEqual(["orders"]);
    } finally {
      await ra.query("RESET search_path");
    }
    const { rows } = await g.owner.query(
      `SELECT qual FROM pg_policies WHERE schemaname = $1 AND policyname = 'ducklake_guard_read' AND qual LIKE '%visible%'`,
      [CATALOG],
    );
    expect(rows.length).toBeGreaterThan(20);
    for (const r of rows) expect(r.qual).toMatch(/ducklake_guard\.visible/);
    // Every guard function (SECURITY DEFINER or called from one) searches pg_catalog first and the session's
    // temporary schema last: unlisted, pg_temp would be searched FIRST for relations.
    const defs = await g.owner.query(`SELECT proname, proconfig FROM pg_proc WHERE pronamespace = 'ducklake_guard'::regnamespace`);
    expect(defs.rows.length).toBeGreaterThan(20);
    for (const d of defs.rows)
      expect({ f: d.proname, config: d.proconfig }).toEqual({ f: d.proname, config: ["search_path=pg_catalog, pg_temp"] });
  });

  test("hostile identifiers are data, never SQL", async () => {
    const evil = `x'); DROP TABLE ${CATALOG}.ducklake_snapshot; --`;
    await expect(grantRead(g.owner, { reader: alice, schema: evil })).rejects.toThrow(/DuckLake schema .* does not exist/);
    await expect(g.owner.query("SELECT ducklake_guard.grant_read($1, 'sales', NULL)", [`${alice}"; DROP TABLE x; --`])).rejects.toThrow(
      /reader role .* does not exist/,
    );
    await expect(grantRead(g.owner, { reader: `${alice}"; --`, schema: "sales" })).rejects.toThrow(/invalid grant: reader/);
    await expect(grantRead(g.owner, { reader: alice, schema: "é".repeat(32) })).rejects.toThrow(/longer than 63 bytes/);
    await expect(grantRead(g.owner, { reader: alice, schema: "sales", table: "a\u0000b" })).rejects.toThrow(/control characters/);
    expect((await g.owner.query(`SELECT count(*)::int AS n FROM ${CATALOG}.ducklake_snapshot`)).rows[0].n).toBeGreaterThan(0);
    // Quotes, semicolons and unicode in real DuckLake names work end to end.
    const odd = await g.newReader("cg_oddname");
    await grantRead(g.owner, { reader: odd, schema: "odd schema;--", table: `we"ird 'täble' ✓` });
    expect(await tableNames(await g.connectAs(odd))).toEqual([`we"ird 'täble' ✓`]);
  });

  test("a grant to a missing table or role fails with a message saying what to fix", async () => {
    await expect(grantRead(g.owner, { reader: alice, schema: "sales", table: "nope" })).rejects.toThrow(
      /DuckLake table "sales"."nope" does not exist in the catalog/,
    );
    await expect(grantRead(g.owner, { reader: "cg_nobody_here", schema: "sales" })).rejects.toThrow(
      /reader role "cg_nobody_here" does not exist/,
    );
    await expect(grantRead(g.owner, { reader: alice, schema: "sales", table: "staging" })).rejects.toThrow(/does not exist/); // dropped
    await expect(g.owner.query("SELECT ducklake_guard.grant_read('postgres', 'sales', NULL)")).rejects.toThrow(
      /bypasses row-level security/,
    );
  });
});

describe("following the catalog", () => {
  test("revocation takes effect on the reader's next query, on an open connection", async () => {
    const name = await g.newReader("cg_rev");
    await grantRead(g.owner, { reader: name, schema: "hr", table: "reviews" });
    const r = await g.connectAs(name);
    expect(await tableNames(r)).toEqual(["reviews"]);
    expect(await revokeRead(g.owner, { reader: name, schema: "hr", table: "reviews" })).toBe(true);
    expect(await tableNames(r)).toEqual([]);
    expect(await revokeRead(g.owner, { reader: name, schema: "hr", table: "reviews" })).toBe(false);
  });

  test("a schema grant covers tables created later, and their new inlined tables (event trigger)", async () => {
    const name = await g.newReader("cg_later");
    await grantRead(g.owner, { reader: name, schema: "sales" });
    const r = await g.connectAs(name);
    const t = await g.builder.createTable("sales", "late_arrival", {
      columns: [
        { name: "id", type: "int64" },
        { name: "s", type: "varchar" },
      ],
      inlinedRows: [[1, "hi"]],
    });
    expect(await tableNames(r)).toContain("late_arrival");
    const inl = `ducklake_inlined_data_${t.tableId}_`;
    const { rows } = await r.query(`SELECT table_name FROM ${CATALOG}.ducklake_inlined_data_tables WHERE table_id = $1`, [t.tableId]);
    expect(rows[0].table_name.startsWith(inl)).toBe(true);
    expect((await r.query(`SELECT count(*)::int AS n FROM ${CATALOG}.${rows[0].table_name}`)).rows[0].n).toBe(1);
    // A schema change makes a new inlined table; a delete makes an inlined-delete table: both readable at once.
    await g.builder.addColumn(t.tableId, { name: "extra", type: "int32" });
    const second = await g.builder.inlineRows(t.tableId, [[2, "again", 5]]);
    expect((await r.query(`SELECT count(*)::int AS n FROM ${CATALOG}.${second.inlinedTable}`)).rows[0].n).toBe(1);
    const del = await g.builder.inlineDelete(t.tableId, 0, [0]);
    expect((await r.query(`SELECT count(*)::int AS n FROM ${CATALOG}.${del}`)).rows[0].n).toBe(1);
    // …while a reader of another table gets none of it.
    await expect(ra.query(`SELECT * FROM ${CATALOG}.${second.inlinedTable}`)).rejects.toThrow(/permission denied/);
    expect(await tableNames(ra)).toEqual(["orders"]);
  });

  test("a dropped and re-created table of the same name is not granted again", async () => {
    const name = await g.newReader("cg_pin");
    const t1 = await g.builder.createTable("hr", "bonus", { columns: [{ name: "x", type: "int32" }] });
    await grantRead(g.owner, { reader: name, schema: "hr", table: "bonus" });
    await g.builder.dropTable(t1.tableId);
    const t2 = await g.builder.createTable("hr", "bonus", { columns: [{ name: "secret", type: "int32" }] });
    const r = await g.connectAs(name);
    const ids = (await r.query(`SELECT DISTINCT table_id FROM ${CATALOG}.ducklake_table`)).rows.map((x) => Number(x.table_id));
    expect(ids).toEqual([t1.tableId]);
    expect(ids).not.toContain(t2.tableId);
    const detail = (await g.owner.query("SELECT status FROM ducklake_guard.list_grants($1)", [name])).rows;
    expect(detail).toEqual([{ status: "dropped" }]);
  });

  test("a renamed table stays granted under its new name", async () => {
    const name = await g.newReader("cg_ren");
    const t = await g.builder.createTable("sales", "old_name", { columns: [{ name: "x", type: "int32" }] });
    await grantRead(g.owner, { reader: name, schema: "sales", table: "old_name" });
    await g.builder.renameTable(t.tableId, "new_name");
    expect(await tableNames(await g.connectAs(name))).toEqual(["new_name"]);
    const detail = (await g.owner.query("SELECT status, current_table_name FROM ducklake_guard.list_grants($1)", [name])).rows;
    expect(detail).toEqual([{ status: "renamed", current_table_name: "new_name" }]);
  });

  test("a dropped and re-created role of the same name inherits nothing", async () => {
    const name = await g.newReader("cg_reborn");
    await grantRead(g.owner, { reader: name, schema: "hr" });
    // As the role administrator (the superuser, or the managed shape's CREATEROLE admin, a member of the grantor).
    if (g.shape === "managed") await g.admin.query(`GRANT ${name} TO CURRENT_USER`);
    await g.admin.query(`DROP OWNED BY ${name}; DROP ROLE ${name}`);
    await g.admin.query(`CREATE ROLE ${name} LOGIN PASSWORD 'pw-reborn'`);
    await g.owner.query(`GRANT ducklake_reader TO ${name}`);
    const r = new Client({ ...g.conn, user: name, password: "pw-reborn" });
    await r.connect();
    try {
      expect(await tableNames(r)).toEqual([]);
      for (const t of g.lake.inlinedTables[g.lake.tables["hr.salaries"]]) await denied(r, `SELECT * FROM ${CATALOG}.${t}`);
    } finally {
      await r.end();
    }
    const detail = (await g.owner.query("SELECT status FROM ducklake_guard.list_grants($1)", [name])).rows;
    expect(detail).toEqual([{ status: "role missing" }]);
  });
});
