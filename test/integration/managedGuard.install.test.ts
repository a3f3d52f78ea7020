// The guard installed without superuser (issue 17, the managed-PostgreSQL shape): every session is the
// non-superuser admin of test/support/managedPg.ts (CREATEROLE, CREATEDB) or the roles it made.
import { grantRead, guardStatus, installGuard, uninstallGuard } from "../../postgres/guardClient";
import { loadMigrations } from "../../postgres/sqlFiles";
import { createDuckLakeCatalog, buildSampleLake } from "../fixtures/ducklakeCatalog";
import { managedLake, ManagedLake, MANAGED_CATALOG } from "../fixtures/managedLake";
import { quoteIdent } from "../../model/names";

const latest = loadMigrations().at(-1)!;

describe("installing the guard as a CREATEROLE/CREATEDB admin (no superuser)", () => {
  let m: ManagedLake;
  beforeAll(async () => {
    m = await managedLake("mg_install");
  }, 60000);
  afterAll(async () => {
    await m?.close();
  });

  test("every migration applies as the admin acting as the owner; no event trigger, the commit trigger is the mechanism", async () => {
    const su = await m.admin.query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user");
    expect(su.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
    await m.admin.query("SET ROLE " + quoteIdent(m.owner));
    await buildSampleLake(await createDuckLakeCatalog(m.admin, { catalogSchema: MANAGED_CATALOG }));
    await m.admin.query("RESET ROLE");
    const r = await m.install();
    expect(r.version).toBe(latest.version);
    expect(r.applied).toEqual(loadMigrations().map((x) => x.name));
    const s = await guardStatus(m.admin);
    expect(s).toMatchObject({ catalogOwner: m.owner, catalogWriter: m.writer, eventTrigger: false, inlinedGrants: "commit_trigger" });
    const rows = await m.admin.query("SELECT applied_by, sha256 IS NOT NULL AS hashed FROM ducklake_guard.migration ORDER BY version");
    expect(rows.rows.every((x) => x.applied_by === m.adminConn.user && x.hashed)).toBe(true);
    // Objects belong to the owner, the session is back to the admin.
    const owner = await m.admin.query(
      "SELECT pg_get_userbyid(nspowner) AS o, current_user AS me FROM pg_namespace WHERE nspname = 'ducklake_guard'",
    );
    expect(owner.rows[0]).toEqual({ o: m.owner, me: m.adminConn.user });
    const trig = await m.admin.query(
      "SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'lake.ducklake_snapshot'::regclass AND tgname = 'ducklake_guard_snapshot_at_commit'",
    );
    expect(trig.rows).toEqual([{ tgenabled: "A" }]);
    const pol = await m.admin.query(
      `SELECT count(*)::int AS n FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
        WHERE c.relnamespace = 'lake'::regnamespace AND p.polname = 'ducklake_guard_write' AND p.polroles = ARRAY[$1::regrole::oid]`,
      [m.writer],
    );
    const rules = await m.admin.query(
      "SELECT count(*)::int AS n FROM ducklake_guard.catalog_rule r WHERE to_regclass('lake.' || r.table_name) IS NOT NULL",
    );
    expect(pol.rows[0].n).toBe(rules.rows[0].n);
    expect(pol.rows[0].n).toBeGreaterThan(20);
    // Idempotent: nothing to apply, nothing changes.
    expect((await m.install()).applied).toEqual([]);
  });

  test("uninstall as the admin drops the write policies and the commit trigger too", async () => {
    expect(await uninstallGuard(m.admin)).toBe(true);
    const left = await m.admin.query(
      `SELECT (SELECT count(*)::int FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = 'lake'::regnamespace AND p.polname = 'ducklake_guard_write') AS policies,
              (SELECT count(*)::int FROM pg_trigger WHERE tgrelid = 'lake.ducklake_snapshot'::regclass AND NOT tgisinternal) AS triggers`,
    );
    expect(left.rows[0]).toEqual({ policies: 0, triggers: 0 });
    // And it installs again.
    expect((await m.install()).version).toBe(latest.version);
  });
});

describe("what the managed shape must prepare, each refusal naming its fix", () => {
  let m: ManagedLake;
  beforeAll(async () => {
    m = await managedLake("mg_noreader", { readerRole: "none" });
  }, 60000);
  afterAll(async () => {
    await m?.close();
  });

  test("the owner without ADMIN OPTION on ducklake_reader: refused before any file runs, with the GRANT to run", async () => {
    const err = await m.install().catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`GRANT ducklake_reader TO ${quoteIdent(m.owner)} WITH ADMIN OPTION`);
    expect((await guardStatus(m.admin)).installed).toBe(false);
    await m.admin.query(`GRANT ducklake_reader TO ${quoteIdent(m.owner)} WITH ADMIN OPTION`); // the fix
    expect((await m.install()).version).toBe(latest.version);
  });

  test("an admin that is not a member of the owner: refused with the GRANT to run", async () => {
    const other = await m.newRole("mg_other");
    await m.admin.query(`ALTER ROLE ${quoteIdent(other)} CREATEROLE`);
    const c = await m.connectAs(other);
    const err = await installGuard(c, { catalogSchema: MANAGED_CATALOG }).catch((e: Error) => e);
    expect((err as Error).message).toContain(`GRANT ${quoteIdent(m.owner)} TO ${quoteIdent(other)}`);
  });
});

describe("check_reader with a writer policy: the writer, the owner and their members are refused", () => {
  let m: ManagedLake;
  beforeAll(async () => {
    m = await managedLake("mg_check");
    await m.admin.query("SET ROLE " + quoteIdent(m.owner));
    await buildSampleLake(await createDuckLakeCatalog(m.admin, { catalogSchema: MANAGED_CATALOG }));
    await m.admin.query("RESET ROLE");
    await m.install();
  }, 60000);
  afterAll(async () => {
    await m?.close();
  });

  test.each([
    ["the writer itself", "writer", /is the catalog writer .* or a member of it/],
    ["a member of the writer", "writerMember", /is the catalog writer .* or a member of it/],
    ["a member of the owner", "ownerMember", /is the catalog owner, a member of it/],
  ])("grant_read refuses %s, and so does a hand edit of the ACL", async (_what, kind, message) => {
    let role = m.writer;
    if (kind !== "writer") {
      role = await m.newRole(`mg_${kind.toLowerCase()}`);
      await m.admin.query(`GRANT ${quoteIdent(kind === "writerMember" ? m.writer : m.owner)} TO ${quoteIdent(role)}`);
    }
    await expect(grantRead(m.admin, { reader: role, schema: "sales" })).rejects.toThrow(message);
    await expect(
      m.admin.query(
        `INSERT INTO ducklake_guard.acl (reader, reader_oid, schema_name, table_name, schema_id, table_id)
         SELECT $1::name, to_regrole($1::text)::oid, 'sales', NULL, schema_id, NULL FROM lake.ducklake_schema WHERE schema_name = 'sales' AND end_snapshot IS NULL`,
        [role],
      ),
    ).rejects.toThrow(message);
  });

  test("the writer cannot be the owner, a reader, or a role that does not exist", async () => {
    const reader = await m.newRole("mg_plain");
    await grantRead(m.admin, { reader, schema: "sales" });
    for (const [writer, message] of [
      [m.owner, /is the catalog owner or ducklake_reader; it cannot be the writer/],
      [reader, /is a reader \(member of ducklake_reader or in the ACL\)/],
      ["mg_nobody", /writer role "mg_nobody" does not exist/],
    ] as const)
      await expect(m.install({ catalogWriter: writer })).rejects.toThrow(message);
    expect((await guardStatus(m.admin)).catalogWriter).toBe(m.writer);
  });
});
