// UndeclaredAcl on real PostgreSQL (fixture DuckLake catalog + the real catalog guard): ACL entries of roles
// that are not declared readers — granted by hand as the catalog owner — are listed by read (`pulumi refresh`)
// and revoked by update (`pulumi up`), while declared readers' entries stay exactly as they were. Each role
// connects as itself to show what it can see before and after.
import { Client } from "pg";
import { CATALOG, expectedTables as expectedTablesOf, guardedLake, GuardedLake, visibleTables } from "../fixtures/guardHarness";
import { AclGrant, readerAclProvider, UndeclaredEntry, undeclaredAclProvider } from "../../providers/readerAcl";
import { listGrantDetails, listGrants } from "../../postgres/guardClient";
import type { CatalogConnection } from "../../model/connection";
import { quoteIdent } from "../../model/names";

const ODD = { schema: "odd schema;--", table: `we"ird 'täble' ✓` };
let g: GuardedLake;
let db: CatalogConnection;

beforeAll(async () => {
  g = await guardedLake("undeclared_acl");
  db = {
    host: g.conn.host,
    port: g.conn.port,
    database: g.conn.database,
    user: g.conn.user,
    password: g.conn.password,
    sslmode: "disable",
  };
});
afterAll(async () => {
  await g?.close();
});

const sorted = (xs: string[]) => [...xs].sort();

const expectedTables = (grants: AclGrant[]) => expectedTablesOf(g.owner, grants);

/** A login role as LakeReader makes it (member of ducklake_reader), and a session as that role. */
async function role(base: string): Promise<{ name: string; client: Client }> {
  const name = await g.newReader(base);
  await g.owner.query(`GRANT ducklake_reader TO ${quoteIdent(name)}`);
  return { name, client: await g.connectAs(name) };
}
const handGrant = (reader: string, schema: string, table: string | null) =>
  g.owner.query("SELECT ducklake_guard.grant_read($1, $2, $3)", [reader, schema, table]);
const aclOf = async (reader: string) => (await listGrants(g.owner, reader)).map((e) => `${e.schema}.${e.table ?? "*"}`);

async function sweepInputs(declaredReaders: unknown) {
  const r = await undeclaredAclProvider.check!({}, { connection: db, declaredReaders, entries: [] });
  expect(r.failures ?? []).toEqual([]);
  return r.inputs as { connection: CatalogConnection; declaredReaders: string[]; entries: UndeclaredEntry[] };
}
/** A declared reader: its ReaderAcl created through the provider, as `pulumi up` does. */
async function declared(base: string, grants: AclGrant[]) {
  const r = await role(base);
  const created = await readerAclProvider.create!({ connection: db, reader: r.name, grants });
  return { ...r, grants, outs: created.outs };
}

test("check: declared readers sorted and deduplicated, entries always empty; bad names and shapes fail", async () => {
  const ok = await undeclaredAclProvider.check!(
    {},
    { connection: db, declaredReaders: ["finance", "analyst", "finance"], entries: [{ reader: "x" }] },
  );
  expect(ok.failures).toEqual([]);
  expect(ok.inputs).toEqual({ connection: db, declaredReaders: ["analyst", "finance"], entries: [] });
  expect(
    (await undeclaredAclProvider.check!({}, { connection: db, declaredReaders: ["analyst", "Bad;Name", "pg_monitor"] })).failures,
  ).toEqual([
    {
      property: "declaredReaders[1]",
      reason: 'reader "Bad;Name" is not a valid reader name: start with a-z, then a-z, 0-9 or _, at most 48 characters',
    },
    {
      property: "declaredReaders[2]",
      reason: 'reader "pg_monitor" is reserved (it names a built-in or ducklake role); choose another reader name',
    },
  ]);
  expect((await undeclaredAclProvider.check!({}, { connection: db, declaredReaders: "analyst" })).failures).toEqual([
    { property: "declaredReaders", reason: "declaredReaders must be a list of reader names" },
  ]);
});

test("hand-granted entries of undeclared roles (odd names, a dropped table): read shows them, diff changes, update revokes them all; declared readers keep theirs", async () => {
  const ana = await declared("ua_ana", [{ schema: "sales", table: null }]);
  const ben = await declared("ua_ben", [{ schema: "hr", table: "salaries" }, ODD]);
  // A declared reader's own hand-added entry is ReaderAcl's business, never the sweep's.
  await handGrant(ana.name, "main", "events");
  const stray = await role("ua_stray");
  const odd = await role(`ua "odd"; role ✓`);
  expect(odd.name).toMatch(/^ua "odd"; role ✓_[0-9a-f]{8}$/);

  const inputs = await sweepInputs([ben.name, ana.name]);
  expect(inputs.declaredReaders).toEqual(sorted([ana.name, ben.name]));
  const created = await undeclaredAclProvider.create!(inputs);
  expect(created.outs.entries).toEqual([]);

  // The DBA grants by hand, as the catalog owner; one table is dropped afterwards (its entry lingers as 'dropped').
  const doomed = await g.builder.createTable("sales", "doomed", { columns: [{ name: "x", type: "int32" }] });
  await handGrant(stray.name, "sales", "orders");
  await handGrant(stray.name, "sales", "doomed");
  await handGrant(odd.name, ODD.schema, ODD.table);
  await handGrant(odd.name, "hr", null);
  await g.builder.dropTable(doomed.tableId);
  expect((await listGrantDetails(g.owner, stray.name)).map((d) => d.status).sort()).toEqual(["active", "dropped"]);
  // The hand grants took effect: each role reads, as itself, what it was given.
  expect(await visibleTables(stray.client)).toEqual(["sales.orders"]);
  expect(await visibleTables(odd.client)).toEqual(await expectedTables([ODD, { schema: "hr", table: null }]));
  const inlined = g.lake.inlinedTables[g.lake.tables[`${ODD.schema}.${ODD.table}`]][0];
  const canSelectInlined = async (r: string) =>
    (await g.owner.query("SELECT has_table_privilege($1, format('%I.%I', $2::text, $3::text), 'SELECT') AS ok", [r, CATALOG, inlined]))
      .rows[0].ok;
  expect(await canSelectInlined(odd.name)).toBe(true);

  // `pulumi refresh`: every undeclared entry, in canonical order, under the names it was granted with.
  const refreshed = await undeclaredAclProvider.read!(created.id, created.outs);
  expect(refreshed.id).toBe(created.id);
  const mine = (refreshed.props!.entries as UndeclaredEntry[]).filter((e) => e.reader === stray.name || e.reader === odd.name);
  expect(mine).toEqual(
    [
      { reader: odd.name, schema: "hr", table: null },
      { reader: odd.name, schema: ODD.schema, table: ODD.table },
      { reader: stray.name, schema: "sales", table: "doomed" },
      { reader: stray.name, schema: "sales", table: "orders" },
    ].sort((a, b) => (a.reader < b.reader ? -1 : a.reader > b.reader ? 1 : 0)),
  );
  expect((refreshed.props!.entries as UndeclaredEntry[]).map((e) => e.reader)).not.toContain(ana.name);
  expect((refreshed.props!.entries as UndeclaredEntry[]).map((e) => e.reader)).not.toContain(ben.name);

  // `pulumi up` without a refresh sees no change (state says none); after it, the change is there.
  expect(await undeclaredAclProvider.diff!(created.id, created.outs, inputs)).toMatchObject({ changes: false });
  expect(await undeclaredAclProvider.diff!(created.id, refreshed.props as any, inputs)).toMatchObject({ changes: true, replaces: [] });

  const updated = await undeclaredAclProvider.update!(created.id, refreshed.props as any, inputs);
  expect(updated.outs!.entries).toEqual([]);
  expect(await listGrantDetails(g.owner, stray.name)).toEqual([]); // the dropped table's entry too
  expect(await listGrantDetails(g.owner, odd.name)).toEqual([]);
  expect(await visibleTables(stray.client)).toEqual([]);
  expect(await visibleTables(odd.client)).toEqual([]);
  expect(await canSelectInlined(odd.name)).toBe(false);
  // Declared readers: their ACL (hand-added entry included) and what they see, untouched.
  expect(await aclOf(ana.name)).toEqual(["main.events", "sales.*"]);
  expect(await aclOf(ben.name)).toEqual(sorted(["hr.salaries", `${ODD.schema}.${ODD.table}`]));
  expect(await visibleTables(ana.client)).toEqual(
    await expectedTables([
      { schema: "sales", table: null },
      { schema: "main", table: "events" },
    ]),
  );
  expect(await visibleTables(ben.client)).toEqual(await expectedTables(ben.grants));
  expect(await canSelectInlined(ben.name)).toBe(true);
  expect((await undeclaredAclProvider.read!(created.id, updated.outs as any)).props!.entries).toEqual([]);

  await readerAclProvider.delete!(ana.name, ana.outs);
  await readerAclProvider.delete!(ben.name, ben.outs);
});

test("a reader removed from the list: the sweep revokes its entries in the same up, and its ReaderAcl delete afterwards still succeeds", async () => {
  const keep = await declared("ua_keep", [{ schema: "hr", table: "reviews" }]);
  const gone = await declared("ua_gone", [
    { schema: "sales", table: "orders" },
    { schema: "hr", table: null },
  ]);
  const before = await sweepInputs([keep.name, gone.name]);
  const created = await undeclaredAclProvider.create!(before);
  expect(await aclOf(gone.name)).toEqual(["hr.*", "sales.orders"]); // declared: not the sweep's

  // The list drops `gone`: the declared readers changed, so the sweep updates even with no refresh.
  const after = await sweepInputs([keep.name]);
  expect(await undeclaredAclProvider.diff!(created.id, created.outs, after)).toMatchObject({ changes: true, replaces: [] });
  await undeclaredAclProvider.update!(created.id, created.outs, after);
  expect(await aclOf(gone.name)).toEqual([]);
  expect(await visibleTables(gone.client)).toEqual([]);
  expect(await aclOf(keep.name)).toEqual(["hr.reviews"]);
  expect(await visibleTables(keep.client)).toEqual(await expectedTables(keep.grants));

  // Deletes run at the end of an up: the removed reader's ReaderAcl revokes entries already gone.
  const again = await g.owner.query("SELECT ducklake_guard.revoke_read($1, 'sales', 'orders') AS revoked", [gone.name]);
  expect(again.rows[0].revoked).toBe(false); // revoke_read of an absent entry: false, no error
  await expect(readerAclProvider.delete!(gone.name, gone.outs)).resolves.toBeUndefined();
  expect(await aclOf(gone.name)).toEqual([]);
  expect(await aclOf(keep.name)).toEqual(["hr.reviews"]);

  // And the reverse order (ReaderAcl delete first, sweep second) ends the same way.
  const gone2 = await declared("ua_gone2", [{ schema: "main", table: "events" }]);
  const withGone2 = await sweepInputs([keep.name, gone2.name]);
  await readerAclProvider.delete!(gone2.name, gone2.outs);
  await undeclaredAclProvider.update!(created.id, withGone2, after);
  expect(await aclOf(gone2.name)).toEqual([]);
  expect(await aclOf(keep.name)).toEqual(["hr.reviews"]);
  await readerAclProvider.delete!(keep.name, keep.outs);
});

test("entries of a dropped role are cleaned too; a role with hand entries that becomes a declared reader gets exactly its list", async () => {
  const dropped = await role("ua_dropped");
  await handGrant(dropped.name, "sales", "customers");
  await dropped.client.end();
  // As the role administrator (the superuser, or the managed shape's CREATEROLE admin, a member of the grantor).
  if (g.shape === "managed") await g.admin.query(`GRANT ${quoteIdent(dropped.name)} TO CURRENT_USER`);
  await g.admin.query(`DROP OWNED BY ${quoteIdent(dropped.name)}; DROP ROLE ${quoteIdent(dropped.name)}`);
  expect((await listGrantDetails(g.owner, dropped.name)).map((d) => d.status)).toEqual(["role missing"]);

  const late = await role("ua_late");
  await handGrant(late.name, "sales", "orders");
  const inputs = await sweepInputs([]);
  const created = await undeclaredAclProvider.create!(inputs);
  const read = await undeclaredAclProvider.read!(created.id, created.outs);
  expect(read.props!.entries).toEqual([]); // create swept already: no declared reader, nothing may read
  expect(await listGrantDetails(g.owner, dropped.name)).toEqual([]);
  expect(await aclOf(late.name)).toEqual([]);

  // Granted by hand again, then declared: its ReaderAcl create replaces the hand entries with the list.
  await handGrant(late.name, "sales", "orders");
  await readerAclProvider.create!({ connection: db, reader: late.name, grants: [{ schema: "hr", table: "reviews" }] });
  expect(await aclOf(late.name)).toEqual(["hr.reviews"]);
  expect(await visibleTables(late.client)).toEqual(["hr.reviews"]);
  // The sweep, now knowing it as declared, leaves it alone.
  await undeclaredAclProvider.update!(created.id, created.outs, await sweepInputs([late.name]));
  expect(await aclOf(late.name)).toEqual(["hr.reviews"]);
});
