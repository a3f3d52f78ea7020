// The guard installed without superuser (issue 17, the managed-PostgreSQL shape): every session is the
// non-superuser admin of test/support/managedPg.ts (CREATEROLE, CREATEDB) or the roles it made.
import { guardStatus, installGuard, uninstallGuard } from "../../postgres/guardClient";
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
