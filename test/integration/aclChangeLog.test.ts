// The ACL change log (sql/005) on real PostgreSQL, set up as in production: a non-superuser catalog owner
// owns the DuckLake catalog, a superuser installs the guard, and an operator logs in as itself and acts
// through its membership in the owner role (so session user and effective user differ in the log).
// Every change path is exercised: grant_read/revoke_read, the ReaderAcl and UndeclaredAcl providers,
// re-pinning after a table was re-created, hand INSERT/UPDATE/DELETE/TRUNCATE of the ACL table.
import { Client } from "pg";
import { randomBytes } from "crypto";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { pgAdmin, PgConnection } from "../support/services";
import { buildSampleLake, CatalogBuilder, createDuckLakeCatalog, SampleLake } from "../fixtures/ducklakeCatalog";
import { guardStatus, installGuard, readAclLog, uninstallGuard, AclLogEntry } from "../../postgres/guardClient";
import { loadMigrations } from "../../postgres/sqlFiles";
import { readerAclProvider, undeclaredAclProvider } from "../../providers/readerAcl";
import type { CatalogConnection } from "../../model/connection";
import { quoteIdent } from "../../model/names";

/** The newest guard version in sql/ (migrations after 005 keep the log as it is). */
const LATEST = loadMigrations().slice(-1)[0].version;

const sfx = randomBytes(4).toString("hex");
const owner = `log_owner_${sfx}`;
const ops = `log_ops_${sfx}`;
const PW = `pw-${randomBytes(6).toString("hex")}`;
const ODD = { schema: "odd schema;--", table: `we"ird 'täble' ✓` };
const roles: string[] = [owner, ops];
let conn: PgConnection;
let su: Client; // superuser
let asOps: Client; // operator: own login, member of the owner role
let builder: CatalogBuilder;
let lake: SampleLake;
let db: CatalogConnection; // the owner connection the providers get

const login = async (user: string, applicationName?: string): Promise<Client> => {
  const c = new Client({ ...conn, user, password: PW, application_name: applicationName });
  await c.connect();
  return c;
};
async function newRole(base: string): Promise<string> {
  const name = `${base}_${randomBytes(4).toString("hex")}`;
  await su.query(`CREATE ROLE ${quoteIdent(name)} LOGIN PASSWORD '${PW}'`);
  await su.query(`GRANT ducklake_reader TO ${quoteIdent(name)}`);
  roles.push(name);
  return name;
}
/** Log rows written after `afterId`, oldest first, read straight from the table as the superuser. */
async function logSince(afterId: number): Promise<any[]> {
  return (
    await su.query("SELECT *, txid::text AS txid_text, host(client_addr) AS client FROM ducklake_guard.acl_log WHERE id > $1 ORDER BY id", [
      afterId,
    ])
  ).rows;
}
const lastId = async () => Number((await su.query("SELECT coalesce(max(id), 0) AS m FROM ducklake_guard.acl_log")).rows[0].m);
const short = (r: any) => `${r.action} ${r.reader} ${r.schema_name}.${r.table_name ?? "*"}`;
const roleOid = async (name: string) => Number((await su.query("SELECT oid FROM pg_roles WHERE rolname = $1", [name])).rows[0].oid);

beforeAll(async () => {
  conn = await createTestDatabase("acl_log");
  su = new Client(conn);
  await su.connect();
  await su.query(`CREATE ROLE ${quoteIdent(owner)} LOGIN PASSWORD '${PW}'`);
  await su.query(`CREATE ROLE ${quoteIdent(ops)} LOGIN PASSWORD '${PW}' IN ROLE ${quoteIdent(owner)}`);
  await su.query(`ALTER DATABASE ${quoteIdent(conn.database)} OWNER TO ${quoteIdent(owner)}`);
  await su.query(`CREATE SCHEMA lake AUTHORIZATION ${quoteIdent(owner)}`);
  await su.query(`SET ROLE ${quoteIdent(owner)}`); // DuckLake's first ATTACH, as the owner, creates the catalog
  builder = await createDuckLakeCatalog(su, { catalogSchema: "lake" });
  lake = await buildSampleLake(builder);
  await su.query("RESET ROLE");
  await installGuard(su, { catalogSchema: "lake", catalogOwner: owner });
  asOps = await login(ops, "acl-log-test");
  db = { host: conn.host, port: conn.port, database: conn.database, user: owner, password: PW, sslmode: "disable" };
});
afterAll(async () => {
  await asOps?.end();
  await su?.end();
  if (conn) await dropTestDatabase(conn);
  await withClient(pgAdmin(), async (a) => {
    for (const r of [...roles].reverse()) await a.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
  });
});

test("installed as the latest version, owned by the catalog owner; nothing logged for an empty ACL", async () => {
  expect(await guardStatus(su)).toMatchObject({ installed: true, version: LATEST, catalogOwner: owner });
  const own = await su.query(`SELECT pg_get_userbyid(relowner) AS o FROM pg_class WHERE oid = 'ducklake_guard.acl_log'::regclass`);
  expect(own.rows).toEqual([{ o: owner }]);
  expect(await lastId()).toBe(0);
});

test("grant_read: one 'grant' row with the names, pinned ids, session and effective user, application, client and backend; an idempotent grant adds none", async () => {
  const reader = await newRole("log_hr_partner");
  const before = await lastId();
  await asOps.query("BEGIN");
  const tx = (await asOps.query("SELECT pg_current_xact_id()::text AS t, pg_backend_pid() AS pid")).rows[0];
  await asOps.query("SELECT ducklake_guard.grant_read($1, 'hr', 'salaries')", [reader]);
  await asOps.query("COMMIT");
  const rows = await logSince(before);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({
    action: "grant",
    reader,
    reader_oid: await roleOid(reader),
    schema_name: "hr",
    table_name: "salaries",
    schema_id: String(lake.schemas.hr),
    table_id: String(lake.tables["hr.salaries"]),
    session_user_name: ops,
    current_user_name: owner,
    application_name: "acl-log-test",
    client: conn.host === "localhost" ? "127.0.0.1" : conn.host,
    txid_text: tx.t,
    backend_pid: tx.pid,
    granted_by: ops,
    previous: null,
  });
  expect(Math.abs(rows[0].at.getTime() - Date.now())).toBeLessThan(60_000);
  // `pulumi up` again: grant_read changes nothing, so nothing is logged.
  await asOps.query("SELECT ducklake_guard.grant_read($1, 'hr', 'salaries')", [reader]);
  expect(await logSince(before)).toHaveLength(1);
});

test("revoke_read: a 'revoke' row with the entry as it was; revoking what is not there logs nothing", async () => {
  const reader = await newRole("log_rev");
  await asOps.query("SELECT ducklake_guard.grant_read($1, 'sales', NULL)", [reader]);
  const before = await lastId();
  await asOps.query("SELECT ducklake_guard.revoke_read($1, 'sales', NULL)", [reader]);
  await asOps.query("SELECT ducklake_guard.revoke_read($1, 'sales', NULL)", [reader]);
  const rows = await logSince(before);
  expect(rows.map(short)).toEqual([`revoke ${reader} sales.*`]);
  expect(rows[0]).toMatchObject({
    schema_id: String(lake.schemas.sales),
    table_id: null,
    session_user_name: ops,
    current_user_name: owner,
    granted_by: ops,
  });
});

test("hand edits of ducklake_guard.acl as the owner are logged: INSERT, UPDATE (with the previous entry), DELETE, TRUNCATE; a no-op UPDATE is not", async () => {
  const reader = await newRole("log_hand");
  const asOwner = await login(owner, "psql");
  try {
    const before = await lastId();
    await asOwner.query(
      `INSERT INTO ducklake_guard.acl (reader, reader_oid, schema_name, table_name, schema_id, table_id)
      VALUES ($1, $2, 'sales', 'orders', $3, $4)`,
      [reader, await roleOid(reader), lake.schemas.sales, lake.tables["sales.orders"]],
    );
    await asOwner.query("UPDATE ducklake_guard.acl SET table_id = $2 WHERE reader = $1", [reader, lake.tables["sales.customers"]]);
    await asOwner.query("UPDATE ducklake_guard.acl SET granted_at = granted_at WHERE reader = $1", [reader]);
    await asOwner.query("DELETE FROM ducklake_guard.acl WHERE reader = $1", [reader]);
    const rows = await logSince(before);
    expect(rows.map(short)).toEqual([`grant ${reader} sales.orders`, `update ${reader} sales.orders`, `revoke ${reader} sales.orders`]);
    expect(rows.map((r) => [r.session_user_name, r.current_user_name, r.application_name])).toEqual(Array(3).fill([owner, owner, "psql"]));
    expect(rows[1]).toMatchObject({
      table_id: String(lake.tables["sales.customers"]),
      previous: expect.objectContaining({ table_id: lake.tables["sales.orders"], reader }),
    });
    expect(rows[2].table_id).toBe(String(lake.tables["sales.customers"]));
    // A superuser's hand edit names the superuser as the effective user (the trigger runs as the editor).
    const su0 = await lastId();
    await su.query(
      `INSERT INTO ducklake_guard.acl (reader, reader_oid, schema_name, table_name, schema_id, table_id)
      VALUES ($1, $2, 'hr', NULL, $3, NULL)`,
      [reader, await roleOid(reader), lake.schemas.hr],
    );
    await su.query("DELETE FROM ducklake_guard.acl WHERE reader = $1", [reader]);
    expect((await logSince(su0)).map((r) => [short(r), r.session_user_name, r.current_user_name])).toEqual([
      [`grant ${reader} hr.*`, conn.user, conn.user],
      [`revoke ${reader} hr.*`, conn.user, conn.user],
    ]);

    // TRUNCATE fires no row trigger: every entry it removes is logged as revoked, in the same transaction.
    const other = await newRole("log_trunc");
    await asOps.query("SELECT ducklake_guard.grant_read($1, 'hr', NULL)", [other]);
    const entries = Number((await su.query("SELECT count(*) AS n FROM ducklake_guard.acl")).rows[0].n);
    const saved = (await su.query("SELECT * FROM ducklake_guard.acl")).rows;
    const mark = await lastId();
    await asOwner.query("BEGIN");
    await asOwner.query("TRUNCATE ducklake_guard.acl");
    const logged = (await asOwner.query("SELECT action, reader FROM ducklake_guard.acl_log WHERE id > $1", [mark])).rows;
    await asOwner.query("ROLLBACK"); // keep the other tests' entries
    expect(logged).toHaveLength(entries);
    expect(logged.every((r) => r.action === "revoke")).toBe(true);
    expect(logged.map((r) => r.reader)).toContain(other);
    expect(await lastId()).toBe(mark); // rolled back with the TRUNCATE
    expect((await su.query("SELECT * FROM ducklake_guard.acl")).rows).toEqual(saved);
  } finally {
    await asOwner.end();
  }
});

test("ReaderAcl provider: create, update and delete log exactly the entries they change; re-pinning after a re-created table logs an 'update'", async () => {
  const reader = await newRole("log_prov");
  const before = await lastId();
  const created = await readerAclProvider.create!({
    connection: db,
    reader,
    grants: [
      { schema: "sales", table: "orders" },
      { schema: "hr", table: null },
    ],
  });
  expect((await logSince(before)).map(short).sort()).toEqual([`grant ${reader} hr.*`, `grant ${reader} sales.orders`]);
  const created2 = await lastId();
  await readerAclProvider.update!(reader, created.outs, { ...created.outs, grants: [{ schema: "hr", table: null }, ODD] });
  const upd = await logSince(created2);
  expect(upd.map(short)).toEqual([`revoke ${reader} sales.orders`, `grant ${reader} ${ODD.schema}.${ODD.table}`]);
  expect(upd[1]).toMatchObject({
    schema_id: String(lake.schemas[ODD.schema]),
    table_id: String(lake.tables[`${ODD.schema}.${ODD.table}`]),
  });
  // All of one apply is one transaction.
  expect(new Set(upd.map((r) => r.txid_text)).size).toBe(1);
  expect(upd.every((r) => r.session_user_name === owner && r.application_name === null)).toBe(true);

  // The granted table is dropped and re-created under the same name: `pulumi up` re-pins the grant.
  const pinTo = await newRole("log_repin");
  const made = await readerAclProvider.create!({ connection: db, reader: pinTo, grants: [{ schema: "hr", table: "reviews" }] });
  const oldId = lake.tables["hr.reviews"];
  await su.query(`SET ROLE ${quoteIdent(owner)}`);
  await builder.dropTable(oldId);
  const recreated = await builder.createTable("hr", "reviews", { columns: [{ name: "who", type: "varchar" }] });
  await su.query("RESET ROLE");
  const mark = await lastId();
  await readerAclProvider.update!(pinTo, made.outs, made.outs);
  const repin = await logSince(mark);
  expect(repin.map(short)).toEqual([`update ${pinTo} hr.reviews`]);
  expect(repin[0]).toMatchObject({ table_id: String(recreated.tableId), previous: expect.objectContaining({ table_id: oldId }) });

  const del = await lastId();
  await readerAclProvider.delete!(reader, { ...created.outs, grants: [{ schema: "hr", table: null }, ODD] });
  expect((await logSince(del)).map(short).sort()).toEqual([`revoke ${reader} ${ODD.schema}.${ODD.table}`, `revoke ${reader} hr.*`].sort());
});

test("UndeclaredAcl sweep logs a 'revoke' per stray entry; resync and protect_all log nothing", async () => {
  const stray = await newRole(`log "stray"; ✓`);
  await asOps.query("SELECT ducklake_guard.grant_read($1, $2, $3)", [stray, ODD.schema, ODD.table]);
  const declared = (await su.query("SELECT DISTINCT reader::text AS r FROM ducklake_guard.acl WHERE reader <> $1", [stray])).rows.map(
    (r) => r.r,
  );
  const before = await lastId();
  await su.query("SELECT ducklake_guard.resync()");
  await su.query("SELECT ducklake_guard.protect_all()");
  expect(await logSince(before)).toEqual([]);
  await undeclaredAclProvider.create!({ connection: db, declaredReaders: declared, entries: [] });
  const rows = await logSince(before);
  expect(rows.map(short)).toEqual([`revoke ${stray} ${ODD.schema}.${ODD.table}`]);
  expect(stray).toMatch(/^log "stray"; ✓_[0-9a-f]{8}$/);
});

test("readers get nothing: no SELECT/INSERT/UPDATE/DELETE/TRUNCATE, not through RLS, no view, no sequence; a SELECT granted by mistake still shows no row", async () => {
  const reader = await newRole("log_nosy");
  await asOps.query("SELECT ducklake_guard.grant_read($1, 'hr', 'salaries')", [reader]);
  const c = await login(reader);
  try {
    for (const sql of [
      "SELECT * FROM ducklake_guard.acl_log",
      "SELECT count(*) FROM ducklake_guard.acl_log",
      "INSERT INTO ducklake_guard.acl_log (action, reader, reader_oid, schema_name, schema_id) VALUES ('grant', 'x', 1, 's', 1)",
      "UPDATE ducklake_guard.acl_log SET reader = 'x'",
      "DELETE FROM ducklake_guard.acl_log",
      "TRUNCATE ducklake_guard.acl_log",
      "SELECT nextval('ducklake_guard.acl_log_id_seq')",
    ])
      await expect(c.query(sql)).rejects.toThrow(/permission denied/);
    await expect(readAclLog(c)).rejects.toThrow(/permission denied/);
    for (const role of [reader, "ducklake_reader", "public"]) {
      const p = await su.query(
        `SELECT bool_or(has_table_privilege($1, 'ducklake_guard.acl_log', x)) AS any FROM
        unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) x`,
        [role],
      );
      expect({ role, any: p.rows[0].any }).toEqual({ role, any: false });
    }
    // No view (or rule) anywhere in the database reads the log.
    const views =
      await su.query(`SELECT DISTINCT r.ev_class::regclass::text AS v FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
      WHERE d.refobjid = 'ducklake_guard.acl_log'::regclass`);
    expect(views.rows).toEqual([]);
    // RLS is on with no policy: a mistaken SELECT grant shows the reader zero rows, not the log.
    await su.query(`GRANT SELECT ON ducklake_guard.acl_log TO ${quoteIdent(reader)}`);
    expect((await c.query("SELECT count(*)::int AS n FROM ducklake_guard.acl_log")).rows).toEqual([{ n: 0 }]);
    expect(await lastId()).toBeGreaterThan(0);
  } finally {
    await su.query(`REVOKE ALL ON ducklake_guard.acl_log FROM ${quoteIdent(reader)}`);
    await c.end();
  }
});

test("append-only: the owner's UPDATE, DELETE and TRUNCATE of the log are refused with the reason and the deliberate way out", async () => {
  const asOwner = await login(owner);
  try {
    const n = await lastId();
    for (const sql of [
      "UPDATE ducklake_guard.acl_log SET reader = 'someone_else'",
      "DELETE FROM ducklake_guard.acl_log",
      "TRUNCATE ducklake_guard.acl_log",
    ]) {
      const e = await asOwner.query(sql).then(
        () => undefined,
        (x) => x,
      );
      expect(e?.message).toMatch(/ducklake_guard.acl_log is append-only: (UPDATE|DELETE|TRUNCATE) refused/);
      expect(e?.hint).toMatch(/DISABLE TRIGGER USER/);
    }
    expect(await lastId()).toBe(n);
    // The owner can still rewrite it on purpose (an audit aid, not tamper-proof): shown inside a rolled-back transaction.
    await asOwner.query("BEGIN");
    await asOwner.query("ALTER TABLE ducklake_guard.acl_log DISABLE TRIGGER USER");
    await asOwner.query("DELETE FROM ducklake_guard.acl_log");
    expect((await asOwner.query("SELECT count(*)::int AS n FROM ducklake_guard.acl_log")).rows).toEqual([{ n: 0 }]);
    await asOwner.query("ROLLBACK");
    expect(await lastId()).toBe(n);
  } finally {
    await asOwner.end();
  }
});

test("005 applied twice (superuser, then the owner as a DBA would with psql), each time followed by the later files as the psql loop runs them, changes nothing", async () => {
  const m5 = loadMigrations().find((m) => m.version === 5)!;
  expect(m5.name).toBe("005_acl_change_log");
  const snapshot = async () => ({
    log: (await su.query("SELECT * FROM ducklake_guard.acl_log ORDER BY id")).rows,
    acl: (await su.query("SELECT * FROM ducklake_guard.acl ORDER BY reader, schema_name, table_name")).rows,
    seq: (await su.query("SELECT last_value FROM ducklake_guard.acl_log_id_seq")).rows,
    triggers: (
      await su.query(`SELECT t.oid, tgname, tgenabled, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t
      WHERE tgrelid IN ('ducklake_guard.acl'::regclass, 'ducklake_guard.acl_log'::regclass) AND NOT tgisinternal ORDER BY tgname`)
    ).rows,
    rel: (
      await su.query(`SELECT relname, relowner, relacl::text, relrowsecurity, relforcerowsecurity FROM pg_class
      WHERE relnamespace = 'ducklake_guard'::regnamespace AND relname LIKE 'acl_log%' ORDER BY relname`)
    ).rows,
    fns: (
      await su.query(`SELECT proname, proowner, prosecdef, proacl::text, md5(prosrc) FROM pg_proc
      WHERE pronamespace = 'ducklake_guard'::regnamespace ORDER BY proname`)
    ).rows,
    migration: (await su.query("SELECT * FROM ducklake_guard.migration ORDER BY version")).rows,
  });
  const before = await snapshot();
  expect(before.triggers.map((t: any) => t.tgname)).toEqual(
    expect.arrayContaining(["append_only", "append_only_truncate", "log_insert_delete", "log_truncate", "log_update"]),
  );
  const later = loadMigrations().filter((m) => m.version > 5);
  await su.query(m5.sql);
  for (const m of later) await su.query(m.sql);
  expect(await snapshot()).toEqual(before);
  const asOwner = await login(owner);
  try {
    await asOwner.query(m5.sql);
    for (const m of later) await asOwner.query(m.sql);
  } finally {
    await asOwner.end();
  }
  expect(await snapshot()).toEqual(before);
  // installGuard sees the latest version and applies nothing.
  expect(await installGuard(su, { catalogSchema: "lake" })).toEqual({ version: LATEST, applied: [] });
});

test("readAclLog: filters by reader, schema, table (whole-schema entries cover a table), since and limit (newest N, oldest first); odd names travel as parameters", async () => {
  const hrPartner = await newRole(`log "hr"; partner ✓`);
  await asOps.query("SELECT ducklake_guard.grant_read($1, 'hr', NULL)", [hrPartner]);
  await asOps.query("SELECT ducklake_guard.grant_read($1, $2, $3)", [hrPartner, ODD.schema, ODD.table]);
  await asOps.query("SELECT ducklake_guard.revoke_read($1, 'hr', NULL)", [hrPartner]);
  await asOps.query("SELECT ducklake_guard.grant_read($1, 'hr', 'salaries')", [hrPartner]);
  const mine = await readAclLog(su, { reader: hrPartner });
  expect(mine.map((e) => `${e.action} ${e.schema}.${e.table ?? "*"}`)).toEqual([
    "grant hr.*",
    `grant ${ODD.schema}.${ODD.table}`,
    "revoke hr.*",
    "grant hr.salaries",
  ]);
  expect(mine[0]).toMatchObject({
    reader: hrPartner,
    sessionUser: ops,
    currentUser: owner,
    applicationName: "acl-log-test",
    schemaId: lake.schemas.hr,
    tableId: null,
    previous: null,
    backendPid: expect.any(Number),
  } satisfies Partial<AclLogEntry>);
  expect(mine.map((e) => e.id)).toEqual([...mine.map((e) => e.id)].sort((a, b) => a - b));
  // "Since when can this reader read hr.salaries?" covers the schema grant too.
  expect(
    (await readAclLog(su, { reader: hrPartner, schema: "hr", table: "salaries" })).map((e) => `${e.action} ${e.table ?? "*"}`),
  ).toEqual(["grant *", "revoke *", "grant salaries"]);
  expect((await readAclLog(su, { reader: hrPartner, schema: ODD.schema, table: ODD.table })).map((e) => e.table)).toEqual([ODD.table]);
  expect((await readAclLog(su, { reader: hrPartner, limit: 2 })).map((e) => e.action)).toEqual(["revoke", "grant"]);
  expect(await readAclLog(su, { reader: hrPartner, since: new Date(Date.now() + 3_600_000) })).toEqual([]);
  expect(await readAclLog(su, { reader: hrPartner, since: new Date(mine[0].at.getTime() - 1) })).toHaveLength(4);
  expect(await readAclLog(su, { reader: "x'; DROP TABLE ducklake_guard.acl_log; --" })).toEqual([]);
  // Every row (ids may have gaps: a rolled-back change still used its sequence value).
  const count = Number((await su.query("SELECT count(*) AS n FROM ducklake_guard.acl_log")).rows[0].n);
  expect((await readAclLog(su, { limit: 100_000 })).length).toBe(count);
  await expect(readAclLog(su, { table: "salaries" })).rejects.toThrow(/table needs a schema too/);
  await expect(readAclLog(su, { limit: 0 })).rejects.toThrow(/limit must be a whole number from 1 to 100000, got 0/);
  await expect(readAclLog(su, { since: new Date("yesterday") })).rejects.toThrow(/since is not a valid date/);
  await expect(readAclLog(su, { reader: "" })).rejects.toThrow(/reader is empty/);
});

test("upgrading a stack: 001–004 with grants, then 005 logs each existing entry once as 'baseline'; uninstall still fails closed", async () => {
  const up = await createTestDatabase("acl_log_up");
  const c = new Client(up);
  await c.connect();
  const reader = await newRole("log_old");
  try {
    await buildSampleLake(await createDuckLakeCatalog(c, { catalogSchema: "lake" }));
    const all = loadMigrations();
    expect(await installGuard(c, { catalogSchema: "lake", migrations: all.slice(0, 4) })).toMatchObject({ version: 4 });
    await c.query("SELECT ducklake_guard.grant_read($1, 'hr', 'salaries'), ducklake_guard.grant_read($1, 'sales', NULL)", [reader]);
    await expect(readAclLog(c)).rejects.toThrow(/guard here is version 4; the ACL change log comes with version 5: run `pulumi up`/);
    expect(await installGuard(c, { catalogSchema: "lake", migrations: all })).toEqual({
      version: LATEST,
      applied: all.slice(4).map((m) => m.name),
    });
    const log = await readAclLog(c);
    expect(log.map((e) => `${e.action} ${e.reader} ${e.schema}.${e.table ?? "*"}`)).toEqual([
      `baseline ${reader} hr.salaries`,
      `baseline ${reader} sales.*`,
    ]);
    expect(log[0].grantedAt).toBeInstanceOf(Date);
    // Re-running 005 by hand adds no second baseline.
    await c.query(all[4].sql);
    expect(await readAclLog(c)).toHaveLength(2);

    // Uninstall: readers lose the catalog first, the guard schema (and the log with it) goes; RLS stays on.
    const r = new Client({ ...up, user: reader, password: PW });
    await r.connect();
    try {
      expect((await r.query("SELECT count(*)::int AS n FROM lake.ducklake_table")).rows[0].n).toBeGreaterThan(0);
      expect(await uninstallGuard(c)).toBe(true);
      await expect(r.query("SELECT count(*) FROM lake.ducklake_table")).rejects.toThrow(/permission denied/);
    } finally {
      await r.end();
    }
    expect((await guardStatus(c)).installed).toBe(false);
    expect((await c.query("SELECT to_regclass('ducklake_guard.acl_log') AS t")).rows[0].t).toBeNull();
    await expect(readAclLog(c)).rejects.toThrow(/not installed .* run `pulumi up`/);
    // Installed again from scratch: an empty log (the ACL was dropped with the guard).
    expect(await installGuard(c, { catalogSchema: "lake" })).toMatchObject({ version: LATEST });
    expect(await readAclLog(c)).toEqual([]);
  } finally {
    await c.end();
    await dropTestDatabase(up);
  }
});
