// Integrity of the guard itself (issue 12) on a deployment shaped like the Catalog component's: a non-superuser
// catalog owner, a BYPASSRLS writer (here still holding TEMPORARY, as deployments before this fix did), readers.
//  1. every change of ducklake_guard.acl is enforced in the statement that makes it;
//  2. temp tables named like the relations the guard's functions read change nothing;
//  and what the writer can and cannot do, installed migrations' hashes, comments on every guard object.
import { Client } from "pg";
import { grantRead, installGuard, migrationSha256, revokeRead } from "../../postgres/guardClient";
import { loadMigrations } from "../../postgres/sqlFiles";
import { CATALOG, ownedLake, OwnedLake, visibleTables } from "../fixtures/guardHarness";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { createDuckLakeCatalog, buildSampleLake } from "../fixtures/ducklakeCatalog";
import { quoteIdent } from "../../model/names";

let L: OwnedLake;
let ow: Client; // the catalog owner
let alice: string, bob: string;
let ids: Record<string, number>;

beforeAll(async () => {
  L = await ownedLake("cg_integ", { writerExtra: "TEMPORARY" });
  ow = await L.connectAs(L.owner);
  ids = L.lake.tables;
  alice = await L.newReader("cg_alice");
  bob = await L.newReader("cg_bob");
  await grantRead(ow, { reader: alice, schema: "sales", table: "orders" });
  await grantRead(ow, { reader: bob, schema: "hr" });
}, 120_000);
afterAll(async () => {
  await L?.close();
});

const oidOf = async (role: string) => Number((await L.su.query("SELECT oid FROM pg_roles WHERE rolname = $1", [role])).rows[0].oid);
const visibleIds = async (c: Client, role: string) =>
  (
    await c.query(
      "SELECT kind::text || object_id AS id FROM ducklake_guard.visible WHERE role_oid = (SELECT oid FROM pg_roles WHERE rolname = $1) ORDER BY 1",
      [role],
    )
  ).rows.map((r) => r.id);
const canSelect = async (role: string, table: string) =>
  (await L.su.query("SELECT has_table_privilege($1, format('%I.%I', $2::text, $3::text), 'SELECT') AS ok", [role, CATALOG, table])).rows[0]
    .ok as boolean;
const drift = async () => (await ow.query("SELECT area, reader, detail FROM ducklake_guard.enforcement_drift()")).rows;
const inlinedOf = (table: string) => L.lake.inlinedTables[ids[table]];
const aclRow = async (reader: string, schema: string, table: string | null) => {
  const s = (await ow.query(`SELECT schema_id FROM ${CATALOG}.ducklake_schema WHERE schema_name = $1 AND end_snapshot IS NULL`, [schema]))
    .rows[0].schema_id;
  return [reader, await oidOf(reader), schema, table, s, table === null ? null : ids[`${schema}.${table}`]];
};
const insertAcl =
  "INSERT INTO ducklake_guard.acl (reader, reader_oid, schema_name, table_name, schema_id, table_id) VALUES ($1, $2, $3, $4, $5, $6)";

describe("1. every change of the ACL is enforced in the same statement", () => {
  test("a hand DELETE by the catalog owner takes the reader's rows and inlined tables away before the next statement", async () => {
    const r = await L.newReader("cg_del");
    await grantRead(ow, { reader: r, schema: "sales", table: "customers" });
    const rc = await L.connectAs(r);
    expect(await visibleTables(rc)).toEqual(["sales.customers"]);
    for (const t of inlinedOf("sales.customers")) expect(await canSelect(r, t)).toBe(true);
    await ow.query("BEGIN");
    await ow.query("DELETE FROM ducklake_guard.acl WHERE reader = $1", [r]);
    expect(await visibleIds(ow, r)).toEqual([]); // same transaction, next statement
    await ow.query("COMMIT");
    expect(await visibleTables(rc)).toEqual([]);
    for (const t of inlinedOf("sales.customers")) {
      expect(await canSelect(r, t)).toBe(false);
      await expect(rc.query(`SELECT * FROM ${CATALOG}.${quoteIdent(t)}`)).rejects.toThrow(/permission denied/);
    }
    const log = (await ow.query("SELECT action FROM ducklake_guard.acl_log WHERE reader = $1 ORDER BY id", [r])).rows.map((x) => x.action);
    expect(log).toEqual(["grant", "revoke"]);
    expect(await drift()).toEqual([]);
  });

  test("a hand INSERT grants (and enrols a reader never granted before); a hand UPDATE moves the grant", async () => {
    const r = await L.newReader("cg_ins");
    await ow.query(insertAcl, await aclRow(r, "sales", "customers"));
    const rc = await L.connectAs(r);
    expect(await visibleTables(rc)).toEqual(["sales.customers"]);
    const inl = inlinedOf("sales.customers")[0];
    expect((await rc.query(`SELECT count(*)::int AS n FROM ${CATALOG}.${quoteIdent(inl)}`)).rows[0].n).toBeGreaterThan(0);
    await ow.query("UPDATE ducklake_guard.acl SET table_name = 'orders', table_id = $2 WHERE reader = $1", [r, ids["sales.orders"]]);
    expect(await visibleTables(rc)).toEqual(["sales.orders"]);
    expect(await canSelect(r, inl)).toBe(false);
    expect(await drift()).toEqual([]);
  });

  test("a hand INSERT for a role that bypasses row-level security or owns the catalog is refused", async () => {
    await expect(ow.query(insertAcl, await aclRow(L.writer, "hr", null))).rejects.toThrow(/bypasses row-level security/);
    await expect(ow.query(insertAcl, await aclRow(L.owner, "hr", null))).rejects.toThrow(/catalog owner/);
  });

  test("any transaction shape: multi-row statements, savepoints rolled back, several statements in one transaction", async () => {
    const r1 = await L.newReader("cg_tx1"),
      r2 = await L.newReader("cg_tx2");
    await ow.query("BEGIN");
    await ow.query(`${insertAcl}, ($7, $8, $9, $10, $11, $12)`, [
      ...(await aclRow(r1, "hr", "salaries")),
      ...(await aclRow(r2, "hr", "reviews")),
    ]);
    expect(await visibleIds(ow, r1)).toContain(`t${ids["hr.salaries"]}`);
    expect(await visibleIds(ow, r2)).toContain(`t${ids["hr.reviews"]}`);
    await ow.query("SAVEPOINT s");
    await ow.query("DELETE FROM ducklake_guard.acl WHERE reader = ANY ($1)", [[r1, r2]]);
    expect(await visibleIds(ow, r1)).toEqual([]);
    await ow.query("ROLLBACK TO SAVEPOINT s");
    expect(await visibleIds(ow, r1)).toContain(`t${ids["hr.salaries"]}`);
    await ow.query("UPDATE ducklake_guard.acl SET table_name = NULL, table_id = NULL WHERE reader = $1", [r2]); // table → whole schema
    await ow.query("COMMIT");
    expect(await visibleTables(await L.connectAs(r1))).toEqual(["hr.salaries"]);
    expect(await visibleTables(await L.connectAs(r2))).toEqual(["hr.reviews", "hr.salaries"]);
    for (const t of inlinedOf("hr.salaries")) {
      expect(await canSelect(r1, t)).toBe(true);
      expect(await canSelect(r2, t)).toBe(true);
    }
    expect(await drift()).toEqual([]);
  });

  test("session_replication_role = replica (superuser) does not switch enforcement or the log off", async () => {
    const r = await L.newReader("cg_repl");
    await grantRead(ow, { reader: r, schema: "hr", table: "salaries" });
    await L.su.query("SET session_replication_role = replica");
    try {
      await L.su.query("DELETE FROM ducklake_guard.acl WHERE reader = $1", [r]);
    } finally {
      await L.su.query("RESET session_replication_role");
    }
    expect(await visibleIds(ow, r)).toEqual([]);
    for (const t of inlinedOf("hr.salaries")) expect(await canSelect(r, t)).toBe(false);
    expect(
      (await ow.query("SELECT action FROM ducklake_guard.acl_log WHERE reader = $1 ORDER BY id", [r])).rows.map((x) => x.action),
    ).toEqual(["grant", "revoke"]);
  });

  test("grant_read and revoke_read rebuild once (the triggers do it; no double work)", async () => {
    const r = await L.newReader("cg_once");
    // Pending per-backend counts (not yet flushed to the cumulative statistics) survive the transaction: use deltas.
    const counts = async () =>
      Object.fromEntries(
        (
          await L.su.query(`SELECT f, coalesce((SELECT calls::int FROM pg_stat_xact_user_functions
      WHERE schemaname = 'ducklake_guard' AND funcname = f), 0) AS calls FROM unnest(ARRAY['refresh_visible', 'sync_inlined_grants']) f`)
        ).rows.map((x) => [x.f, x.calls]),
      );
    const calls = async (fn: () => Promise<unknown>) => {
      await L.su.query("BEGIN");
      try {
        await L.su.query("SET LOCAL track_functions = 'all'");
        const before = await counts();
        await fn();
        const after = await counts();
        return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
      } finally {
        await L.su.query("COMMIT");
      }
    };
    expect(await calls(() => grantRead(L.su, { reader: r, schema: "sales", table: "customers" }))).toEqual({
      refresh_visible: 1,
      sync_inlined_grants: 1,
    });
    expect(await calls(() => grantRead(L.su, { reader: r, schema: "sales", table: "customers" }))).toEqual({
      refresh_visible: 1,
      sync_inlined_grants: 1,
    }); // idempotent: repairs
    expect(await calls(() => revokeRead(L.su, { reader: r, schema: "sales", table: "customers" }))).toEqual({
      refresh_visible: 1,
      sync_inlined_grants: 1,
    });
    for (const t of inlinedOf("sales.customers")) expect(await canSelect(r, t)).toBe(false);
  });

  test("TRUNCATE by a superuser takes every grant away at once (last: it empties the ACL)", async () => {
    const ra = await L.connectAs(alice);
    expect(await visibleTables(ra)).toEqual(["sales.orders"]);
    await L.su.query("BEGIN");
    await L.su.query("TRUNCATE ducklake_guard.acl");
    expect((await L.su.query("SELECT count(*)::int AS n FROM ducklake_guard.visible")).rows[0].n).toBe(0);
    await L.su.query("COMMIT");
    expect(await visibleTables(ra)).toEqual([]);
    for (const t of inlinedOf("hr.salaries")) expect(await canSelect(bob, t)).toBe(false);
    expect(await drift()).toEqual([]);
    await grantRead(ow, { reader: alice, schema: "sales", table: "orders" });
    await grantRead(ow, { reader: bob, schema: "hr" });
  });
});

// Every relation a guard function reads, unqualified in 001-005 or qualified: catalogs, guard tables, catalog tables.
const SHADOWED = [
  "pg_class",
  "pg_roles",
  "pg_namespace",
  "pg_attribute",
  "pg_proc",
  "pg_database",
  "pg_auth_members",
  "pg_event_trigger",
  "pg_policy",
  "pg_trigger",
  "pg_index",
  "pg_type",
];
const GUARD_NAMES = [
  "acl",
  "visible",
  "visible_count",
  "setting",
  "catalog_rule",
  "migration",
  "acl_log",
  "new_rows",
  "changed_rows",
  "ducklake_table",
  "ducklake_schema",
  "ducklake_view",
  "ducklake_macro",
  "ducklake_inlined_data_tables",
];

/**
 * In `c`'s session, as an attacker would: temp tables named like every relation the guard reads, readable by the
 * guard's functions (granted to PUBLIC), created under another name and renamed (ALTER TABLE does not fire the
 * guard's event trigger). pg_roles names every non-superuser role `as`; refreshPoison copies pg_class again with
 * the inlined tables' ACLs emptied, so a guard reading them would think every reader lacks SELECT and grant it to `as`.
 */
async function poisonTempSchema(c: Client, as: string, asOid: number): Promise<void> {
  const make = async (name: string, ddl: string) => {
    await c.query(`CREATE TEMP TABLE ${quoteIdent(`x_${name}`)} ${ddl}`);
    await c.query(`ALTER TABLE pg_temp.${quoteIdent(`x_${name}`)} RENAME TO ${quoteIdent(name)}`);
    await c.query(`GRANT ALL ON pg_temp.${quoteIdent(name)} TO PUBLIC`);
  };
  for (const t of SHADOWED)
    await make(
      t,
      t === "pg_attribute" // attmissingval is anyarray: not storable
        ? "AS SELECT attrelid, attname, atttypid, attnum, attisdropped FROM pg_catalog.pg_attribute"
        : `AS SELECT * FROM pg_catalog.${t}`,
    );
  await c.query("UPDATE pg_temp.pg_roles SET rolname = $1 WHERE rolname NOT IN ('ducklake_reader') AND NOT rolsuper", [as]);
  await make("acl", "(reader name, reader_oid oid, schema_name text, table_name text, schema_id bigint, table_id bigint)");
  await make("visible", '(role_oid oid, kind "char", object_id bigint)');
  await c.query(
    "INSERT INTO pg_temp.visible SELECT $1::oid, k, g FROM unnest(ARRAY['s','t','v','m']::\"char\"[]) k, generate_series(0, 10000) g",
    [asOid],
  );
  await make("visible_count", "(role_oid oid, tables bigint)");
  await make("setting", "(key text, value text)");
  await c.query("INSERT INTO pg_temp.setting VALUES ('catalog_schema', 'public'), ('catalog_owner', $1)", [as]);
  for (const t of GUARD_NAMES.filter((n) => !["acl", "visible", "visible_count", "setting"].includes(n)))
    await make(t, "(table_id bigint, schema_id bigint, table_name text, role_oid oid, object_id bigint, reader name, rule text)");
  await refreshPoison(c);
}
async function refreshPoison(c: Client): Promise<void> {
  await c.query("DELETE FROM pg_temp.pg_class");
  await c.query("INSERT INTO pg_temp.pg_class SELECT * FROM pg_catalog.pg_class");
  await c.query("UPDATE pg_temp.pg_class SET relacl = NULL WHERE relname LIKE 'ducklake\\_inlined\\_%'");
}

describe("2. temp tables named like what the guard reads change nothing", () => {
  test("the writer (still holding TEMPORARY) poisons its temp schema, then writes like DuckLake: no reader gains anything", async () => {
    const w = await L.connectAs(L.writer);
    const aliceOid = await oidOf(alice);
    const before = { alice: await visibleIds(ow, alice), bob: await visibleIds(ow, bob) };
    await poisonTempSchema(w, alice, aliceOid);
    const sal = ids["hr.salaries"];
    // (a) a new inlined-data table of a hidden table (event trigger), (b) registering it (catalog trigger),
    // (c) an inlined-delete table, (d) renaming a table, (e) a new table with inlined rows in a schema granted whole.
    await w.query(
      `CREATE TABLE ${CATALOG}.ducklake_inlined_data_${sal}_950 (row_id bigint, begin_snapshot bigint, end_snapshot bigint, v bytea)`,
    );
    await w.query(`INSERT INTO ${CATALOG}.ducklake_inlined_data_${sal}_950 VALUES (1, 1, NULL, 'ceo 999999')`);
    await refreshPoison(w);
    await w.query(`INSERT INTO ${CATALOG}.ducklake_inlined_data_tables VALUES ($1, $2, 950)`, [sal, `ducklake_inlined_data_${sal}_950`]);
    await w.query(
      `CREATE TABLE IF NOT EXISTS ${CATALOG}.ducklake_inlined_delete_${sal} (file_id bigint, row_id bigint, begin_snapshot bigint)`,
    );
    await refreshPoison(w);
    const snap = Number((await w.query(`SELECT max(snapshot_id) AS s FROM ${CATALOG}.ducklake_snapshot`)).rows[0].s);
    const old = (
      await w.query(
        `UPDATE ${CATALOG}.ducklake_table SET end_snapshot = $2 WHERE table_id = $1 AND end_snapshot IS NULL
      RETURNING table_uuid, schema_id, path, path_is_relative`,
        [ids["hr.reviews"], snap],
      )
    ).rows[0];
    await w.query(`INSERT INTO ${CATALOG}.ducklake_table VALUES ($1, $2, $3, NULL, $4, 'reviews', $5, $6)`, [
      ids["hr.reviews"],
      old.table_uuid,
      snap,
      old.schema_id,
      old.path,
      old.path_is_relative,
    ]);
    const newId = 9000;
    await w.query(`INSERT INTO ${CATALOG}.ducklake_table VALUES ($1, gen_random_uuid(), $2, NULL, $3, 'bonus', 'bonus/', true)`, [
      newId,
      snap,
      old.schema_id,
    ]);
    await w.query(
      `CREATE TABLE ${CATALOG}.ducklake_inlined_data_${newId}_1 (row_id bigint, begin_snapshot bigint, end_snapshot bigint, v bytea)`,
    );
    await refreshPoison(w);
    await w.query(`INSERT INTO ${CATALOG}.ducklake_inlined_data_tables VALUES ($1, $2, 1)`, [newId, `ducklake_inlined_data_${newId}_1`]);

    const hiddenFromAlice = [
      `ducklake_inlined_data_${sal}_950`,
      `ducklake_inlined_delete_${sal}`,
      `ducklake_inlined_data_${newId}_1`,
      ...inlinedOf("hr.salaries"),
    ];
    for (const t of hiddenFromAlice) {
      expect({ t, alice: await canSelect(alice, t) }).toEqual({ t, alice: false });
      expect({ t, bob: await canSelect(bob, t) }).toEqual({ t, bob: true }); // the guard still does its job
    }
    const ra = await L.connectAs(alice);
    await expect(ra.query(`SELECT * FROM ${CATALOG}.ducklake_inlined_data_${sal}_950`)).rejects.toThrow(/permission denied/);
    expect(await visibleTables(ra)).toEqual(["sales.orders"]);
    expect(await visibleIds(ow, alice)).toEqual(before.alice);
    expect(await visibleIds(ow, bob)).toEqual([...before.bob, `t${newId}`].sort());
    expect(await drift()).toEqual([]);
  });

  test("a reader cannot create temp tables; given TEMPORARY by mistake, its temp tables change nothing it sees", async () => {
    const r = await L.newReader("cg_tmp");
    await grantRead(ow, { reader: r, schema: "sales", table: "orders" });
    const rc = await L.connectAs(r);
    await expect(rc.query("CREATE TEMP TABLE x (i int)")).rejects.toThrow(/permission denied to create temporary tables/);
    await L.su.query(`GRANT TEMPORARY ON DATABASE ${quoteIdent(L.conn.database)} TO ${quoteIdent(r)}`);
    try {
      const rt = await L.connectAs(r);
      await poisonTempSchema(rt, r, await oidOf(r));
      for (const t of ["ducklake_data_file", "ducklake_column", "ducklake_tag", "ducklake_file_column_stats"])
        await rt.query(`CREATE TEMP TABLE ${t} AS SELECT * FROM ${CATALOG}.${t} LIMIT 0`);
      await rt.query(`SET search_path = pg_temp, ${CATALOG}, pg_catalog`);
      expect(await visibleTables(rt)).toEqual(["sales.orders"]);
      const files = (await rt.query(`SELECT DISTINCT table_id::int AS t FROM ${CATALOG}.ducklake_data_file`)).rows.map((x) => x.t);
      expect(files).toEqual([ids["sales.orders"]]);
      for (const t of inlinedOf("hr.salaries"))
        await expect(rt.query(`SELECT * FROM ${CATALOG}.${quoteIdent(t)}`)).rejects.toThrow(/permission denied/);
    } finally {
      await L.su.query(`REVOKE TEMPORARY ON DATABASE ${quoteIdent(L.conn.database)} FROM ${quoteIdent(r)}`);
    }
  });
});

describe("further attacks", () => {
  test("a reader holding advisory lock 7433205102 (what 001-005 serialized ACL changes on) no longer stalls grants and revokes", async () => {
    const r = await L.newReader("cg_lock");
    await grantRead(ow, { reader: r, schema: "sales", table: "orders" });
    const rc = await L.connectAs(r);
    await rc.query("SELECT pg_advisory_lock(7433205102)");
    try {
      await ow.query("SET statement_timeout = '5s'");
      await grantRead(ow, { reader: r, schema: "sales", table: "customers" });
      await revokeRead(ow, { reader: r, schema: "sales", table: "customers" });
      await ow.query("DELETE FROM ducklake_guard.acl WHERE reader = $1", [r]);
    } finally {
      await ow.query("RESET statement_timeout");
      await rc.query("SELECT pg_advisory_unlock_all()");
    }
    // …and the lock the guard takes now is one no reader can take.
    await expect(rc.query("SELECT 1 FROM ducklake_guard.setting FOR UPDATE")).rejects.toThrow(/permission denied/);
    expect(await visibleTables(rc)).toEqual([]);
  });
});

describe("further attacks as a reader", () => {
  test("statistics and error messages do not show hidden rows", async () => {
    await L.su.query(`ANALYZE ${CATALOG}.ducklake_table, ${CATALOG}.ducklake_data_file`);
    const ra = await L.connectAs(alice);
    expect((await ra.query("SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = $1", [CATALOG])).rows[0].n).toBe(0);
    // A qual that would fail on a hidden row: the policy runs first (security barrier), so it never sees one.
    const rows = (
      await ra.query(`SELECT table_name FROM ${CATALOG}.ducklake_table
      WHERE (CASE WHEN table_name = 'salaries' THEN 1 / (table_id - table_id) ELSE 0 END) = 0`)
    ).rows;
    expect(rows.map((x) => x.table_name)).toEqual(["orders"]);
    await expect(ra.query(`LOCK TABLE ${CATALOG}.ducklake_table IN ACCESS EXCLUSIVE MODE`)).rejects.toThrow(
      /permission denied|transaction blocks/,
    );
    await expect(ra.query("SELECT nextval('ducklake_guard.acl_log_id_seq')")).rejects.toThrow(/permission denied/);
    await ra.query("SET row_security = off");
    try {
      await expect(ra.query(`SELECT count(*) FROM ${CATALOG}.ducklake_table`)).rejects.toThrow(/row-level security/);
    } finally {
      await ra.query("RESET row_security");
    }
    await expect(ra.query("SELECT ducklake_guard.enforcement_drift()")).rejects.toThrow(/permission denied/);
  });

  // Documented limit (docs/catalog-guard.md): pg_catalog is readable by every role, and DuckDB's postgres
  // extension needs it. It names every inlined table (hence hidden table ids), their columns (DuckLake names
  // them after the table's columns) and row estimates, and the row estimates of the catalog tables.
  test("pg_catalog shows any reader the names, columns and row estimates of hidden tables' inlined tables", async () => {
    const ra = await L.connectAs(alice);
    const sal = ids["hr.salaries"];
    const cols = (
      await ra.query(
        `SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      WHERE c.relname = $1 AND a.attnum > 0 ORDER BY a.attnum`,
        [inlinedOf("hr.salaries").find((t) => t.startsWith(`ducklake_inlined_data_${sal}_`))],
      )
    ).rows.map((x) => x.attname);
    expect(cols).toEqual(expect.arrayContaining(["salary"]));
  });
});

describe("what the writer can and cannot do", () => {
  test("it reads and writes every catalog row (BYPASSRLS) but cannot read or change the ACL or the guard", async () => {
    const w = await L.connectAs(L.writer);
    expect((await w.query(`SELECT count(DISTINCT table_id)::int AS n FROM ${CATALOG}.ducklake_table`)).rows[0].n).toBeGreaterThan(5);
    await w.query("BEGIN");
    await w.query(`UPDATE ${CATALOG}.ducklake_table_stats SET record_count = record_count WHERE table_id = $1`, [ids["hr.salaries"]]);
    await w.query("ROLLBACK");
    const refused = async (sql: string) => {
      await w.query("SAVEPOINT p").catch(() => undefined);
      await expect(w.query(sql)).rejects.toThrow(/permission denied|must be owner|must be superuser|must have admin option/);
    };
    await w.query("BEGIN");
    try {
      for (const sql of [
        "SELECT * FROM ducklake_guard.acl",
        `INSERT INTO ducklake_guard.acl VALUES ('x', 1, 'hr', NULL, 1, NULL)`,
        "DELETE FROM ducklake_guard.visible",
        "SELECT * FROM ducklake_guard.acl_log",
        `SELECT ducklake_guard.grant_read('${alice}', 'hr')`,
        `SELECT ducklake_guard.revoke_read('${alice}', 'sales', 'orders')`,
        "SELECT ducklake_guard.resync()",
        `ALTER TABLE ${CATALOG}.ducklake_table DISABLE ROW LEVEL SECURITY`,
        `DROP POLICY ducklake_guard_read ON ${CATALOG}.ducklake_data_file`,
        `CREATE POLICY leak ON ${CATALOG}.ducklake_table FOR SELECT TO PUBLIC USING (true)`,
        `DROP TRIGGER ducklake_guard_resolve ON ${CATALOG}.ducklake_table`,
        `ALTER TABLE ${CATALOG}.ducklake_table DISABLE TRIGGER ducklake_guard_resolve`,
        "ALTER EVENT TRIGGER ducklake_guard_create_table DISABLE",
        "DROP SCHEMA ducklake_guard CASCADE",
        `GRANT ducklake_reader TO ${L.writer}`,
      ]) {
        await refused(sql);
        await w.query("ROLLBACK TO SAVEPOINT p");
      }
    } finally {
      await w.query("ROLLBACK");
    }
  });

  // A finding, not a fix: the writer owns the inlined tables it creates, so it can grant them, and a privilege granted
  // by the writer can be revoked only by the writer or a superuser (not by the guard, which runs as the catalog owner).
  test("it can grant a reader SELECT on an inlined table it created (it owns it): the guard cannot undo that, enforcement_drift names it", async () => {
    const w = await L.connectAs(L.writer);
    const sal = ids["hr.salaries"];
    await w.query(
      `CREATE TABLE ${CATALOG}.ducklake_inlined_data_${sal}_951 (row_id bigint, begin_snapshot bigint, end_snapshot bigint, v bytea)`,
    );
    await w.query(`GRANT SELECT ON ${CATALOG}.ducklake_inlined_data_${sal}_951 TO ${quoteIdent(alice)}`);
    expect(await canSelect(alice, `ducklake_inlined_data_${sal}_951`)).toBe(true);
    expect(await drift()).toEqual([
      {
        area: "inlined",
        reader: alice,
        detail: `may SELECT ${CATALOG}.ducklake_inlined_data_${sal}_951 (table id ${sal}) without a grant (granted by ${L.writer})`,
      },
    ]);
    await ow.query("SELECT ducklake_guard.resync()");
    expect(await canSelect(alice, `ducklake_inlined_data_${sal}_951`)).toBe(true); // still: the owner cannot revoke the writer's grant
    await L.su.query(`REVOKE ALL ON ${CATALOG}.ducklake_inlined_data_${sal}_951 FROM ${quoteIdent(alice)}`);
    expect(await canSelect(alice, `ducklake_inlined_data_${sal}_951`)).toBe(false);
    expect(await drift()).toEqual([]);
  });
});

// Also a finding: the writer may CREATE in the catalog schema (DuckLake makes inlined tables there), and a view it
// owns runs with its BYPASSRLS rights. The guard cannot stop a writer from disclosing what it sees; it names it.
test("the writer can publish a view over the catalog to a reader; enforcement_drift names it", async () => {
  const w = await L.connectAs(L.writer);
  await w.query(`CREATE VIEW ${CATALOG}.all_tables AS SELECT table_name FROM ${CATALOG}.ducklake_table`);
  await w.query(`GRANT SELECT ON ${CATALOG}.all_tables TO ${quoteIdent(alice)}`);
  try {
    const ra = await L.connectAs(alice);
    expect((await ra.query(`SELECT DISTINCT table_name FROM ${CATALOG}.all_tables`)).rows.map((x) => x.table_name)).toContain("salaries");
    expect(await drift()).toEqual([
      {
        area: "other",
        reader: alice,
        detail: `may SELECT ${CATALOG}.all_tables, which is not a catalog table the guard filters (granted by ${L.writer})`,
      },
    ]);
  } finally {
    await w.query(`DROP VIEW ${CATALOG}.all_tables`);
  }
  expect(await drift()).toEqual([]);
});

describe("comments and migration hashes", () => {
  test("every guard object says what it is for", async () => {
    const { rows } = await L.su.query(`
      SELECT 'schema ducklake_guard' AS obj, obj_description('ducklake_guard'::regnamespace, 'pg_namespace') AS d
      UNION ALL SELECT 'relation ' || c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c
        WHERE c.relnamespace = 'ducklake_guard'::regnamespace AND c.relkind IN ('r', 'S')
      UNION ALL SELECT 'function ' || p.oid::regprocedure, obj_description(p.oid, 'pg_proc') FROM pg_proc p WHERE p.pronamespace = 'ducklake_guard'::regnamespace
      UNION ALL SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass, obj_description(t.oid, 'pg_trigger') FROM pg_trigger t
        WHERE NOT t.tgisinternal AND (t.tgrelid::regclass::text LIKE 'ducklake_guard.%' OR t.tgname = 'ducklake_guard_resolve')
      UNION ALL SELECT 'policy ' || p.polname || ' on ' || p.polrelid::regclass, obj_description(p.oid, 'pg_policy') FROM pg_policy p
        WHERE p.polname IN ('ducklake_guard_read', 'own_rows', 'own_row')
      UNION ALL SELECT 'index ' || i.relname, obj_description(i.oid, 'pg_class') FROM pg_class i WHERE i.relkind = 'i' AND i.relname LIKE 'ducklake\\_guard\\_%'
      UNION ALL SELECT 'event trigger ' || e.evtname, obj_description(e.oid, 'pg_event_trigger') FROM pg_event_trigger e WHERE e.evtname = 'ducklake_guard_create_table'
      UNION ALL SELECT 'role ducklake_reader', shobj_description('ducklake_reader'::regrole, 'pg_authid')`);
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.filter((r) => !r.d).map((r) => r.obj)).toEqual([]);
  });

  test("each applied migration's sha256 is recorded; installing over a changed one refuses, naming the file", async () => {
    const files = loadMigrations();
    const { rows } = await L.su.query("SELECT version, name, sha256 FROM ducklake_guard.migration ORDER BY version");
    expect(rows).toEqual(files.map((m) => ({ version: m.version, name: m.name, sha256: migrationSha256(m.sql) })));
    const edited = files.map((m) => (m.version === 3 ? { ...m, sql: m.sql.replace("Rebuilds everything", "Rebuilds all") } : m));
    await expect(installGuard(L.su, { catalogSchema: CATALOG, migrations: edited })).rejects.toThrow(
      /sql\/003_acl_functions\.sql differs from the file applied by this database/,
    );
    // Line endings do not count as a change.
    await installGuard(L.su, { catalogSchema: CATALOG, migrations: files.map((m) => ({ ...m, sql: m.sql.replace(/\n/g, "\r\n") })) });
  });

  test("upgrading a 005 install to 006 keeps every grant enforced and backfills the hashes of 001-005", async () => {
    const conn = await createTestDatabase("cg_upgrade");
    try {
      await withClient(conn, async (su) => {
        const lake = await buildSampleLake(await createDuckLakeCatalog(su, { catalogSchema: CATALOG }));
        const files = loadMigrations();
        await installGuard(su, { catalogSchema: CATALOG, migrations: files.filter((m) => m.version <= 5) });
        await grantRead(su, { reader: alice, schema: "hr", table: "salaries" });
        expect(
          (
            await su.query(
              "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'ducklake_guard' AND table_name = 'migration' AND column_name = 'sha256'",
            )
          ).rows[0].n,
        ).toBe(0);
        const r = await installGuard(su, { catalogSchema: CATALOG, migrations: files });
        expect(r.applied).toEqual(files.filter((m) => m.version > 5).map((m) => m.name));
        const { rows } = await su.query("SELECT version, sha256 FROM ducklake_guard.migration ORDER BY version");
        expect(rows).toEqual(files.map((m) => ({ version: m.version, sha256: migrationSha256(m.sql) })));
        await su.query("DELETE FROM ducklake_guard.acl WHERE reader = $1", [alice]);
        for (const t of lake.inlinedTables[lake.tables["hr.salaries"]])
          expect((await su.query("SELECT has_table_privilege($1, $2, 'SELECT') AS ok", [alice, `${CATALOG}.${t}`])).rows[0].ok).toBe(false);
        expect((await su.query("SELECT count(*)::int AS n FROM ducklake_guard.enforcement_drift()")).rows[0].n).toBe(0);
      });
    } finally {
      await dropTestDatabase(conn);
    }
  });
});
