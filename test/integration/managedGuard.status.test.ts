// `status` on the managed shape (issue 17), run as the non-superuser admin: how new inlined tables get granted,
// catalog tables the guard does not protect yet, the writer's policy, readers that are members of the writer or
// owner, grants of missing roles, the event trigger recorded but gone. Each problem is broken on purpose, status
// names it with its repair, the repair is run as printed (as the admin) and status is healthy again.
import { grantRead } from "../../postgres/guardClient";
import { buildSampleLake, createDuckLakeCatalog } from "../fixtures/ducklakeCatalog";
import { failedChecks as problems, managedLake, ManagedLake, managedStatusInfo as infoFor, MANAGED_CATALOG } from "../fixtures/managedLake";
import { catalogStatus } from "../../cli/status";
import { catalogGuardProvider } from "../../providers/catalogGuard";
import { loadMigrations } from "../../postgres/sqlFiles";
import { quoteIdent } from "../../model/names";

describe("status on a guard installed without superuser", () => {
  let m: ManagedLake;
  let reader: string;
  const unhealthy = async () => problems(await catalogStatus(infoFor(m, [reader])));
  /** Runs the repair status printed (`pattern` captures it) as the admin, then expects a healthy status. */
  const repairWith = async (found: string[], pattern: RegExp) => {
    const cmd = found.map((p) => pattern.exec(p)?.[1]).find(Boolean);
    expect(cmd).toBeDefined();
    await m.admin.query(cmd!);
    expect(await unhealthy()).toEqual([]);
  };

  beforeAll(async () => {
    m = await managedLake("mg_status");
    await m.admin.query(`SET ROLE ${quoteIdent(m.owner)}`);
    await buildSampleLake(await createDuckLakeCatalog(m.admin, { catalogSchema: MANAGED_CATALOG }));
    await m.admin.query("RESET ROLE");
    await m.install();
    reader = await m.newRole("mg_sreader");
    await grantRead(m.admin, { reader, schema: "sales" });
  }, 60000);
  afterAll(async () => {
    await m?.close();
  });

  test("healthy: the commit trigger grants new inlined tables, the writer has its policy, no superuser anywhere", async () => {
    const checks = await catalogStatus(infoFor(m, [reader]));
    expect(problems(checks)).toEqual([]);
    const by = (check: string) => checks.find((c) => c.check === check)?.detail;
    expect(by("new inlined tables")).toBe("granted at creation by the commit trigger (recorded: commit_trigger)");
    expect(by("catalog writer")).toMatch(/has the guard's write policy on every protected catalog table/);
    expect(by("TLS")).toBe("off (loopback only)");
  });

  test("the admin login (a member of the owner) reads the catalog unfiltered, so the CLIs may use it", async () => {
    // Owners bypass their tables' policies, and PostgreSQL counts members that inherit the owner's privileges as owners.
    const asAdmin = Number((await m.admin.query("SELECT count(*) AS n FROM lake.ducklake_data_file")).rows[0].n);
    const asOwner = await m.connectAs(m.owner);
    expect(asAdmin).toBe(Number((await asOwner.query("SELECT count(*) AS n FROM lake.ducklake_data_file")).rows[0].n));
    expect(asAdmin).toBeGreaterThan(0);
  });

  test("the event trigger recorded as installed but gone (a restore): a failure, repaired without superuser", async () => {
    await m.admin.query("UPDATE ducklake_guard.setting SET value = 'installed' WHERE key = 'event_trigger'");
    const found = await unhealthy();
    expect(found).toEqual([
      expect.stringMatching(/^event trigger ducklake_guard_create_table: is missing: the guard recorded it as installed/),
    ]);
    await repairWith(
      found,
      /without a superuser, record that it is gone as the catalog owner \(\S+\) or a superuser: (UPDATE .*protect_all\(\);)/,
    );
  });

  test("the commit trigger disabled: no mechanism grants new inlined tables", async () => {
    await m.admin.query("ALTER TABLE lake.ducklake_snapshot DISABLE TRIGGER ducklake_guard_snapshot_at_commit");
    const found = await unhealthy();
    expect(found).toEqual([
      expect.stringMatching(
        /^commit trigger ducklake_guard_snapshot_at_commit on ducklake_snapshot: is disabled: .*SELECT ducklake_guard\.protect_all\(\);$/,
      ),
      expect.stringMatching(/^new inlined tables: none: new inlined tables stay unreadable/),
    ]);
    await repairWith(found, /: (SELECT ducklake_guard\.protect_all\(\);)$/);
  });

  test("the writer's policy missing on a table: the writer is named with the repair", async () => {
    await m.admin.query("DROP POLICY ducklake_guard_write ON lake.ducklake_data_file");
    const found = await unhealthy();
    expect(found).toEqual([
      expect.stringMatching(
        new RegExp(
          `^catalog writer: ${m.writer} has neither BYPASSRLS nor the guard's write policy on 1 catalog table\\(s\\) \\(ducklake_data_file\\)`,
        ),
      ),
    ]);
    await repairWith(found, /: (SELECT ducklake_guard\.protect_all\(\);)$/);
  });

  test("a reader that is a member of the writer or of the owner sees everything: a failure with the REVOKE", async () => {
    for (const role of [m.writer, m.owner]) {
      await m.admin.query(`GRANT ${quoteIdent(role)} TO ${quoteIdent(reader)}`);
      const found = await unhealthy();
      expect(found).toEqual([
        expect.stringMatching(new RegExp(`^role: member of the catalog (writer|owner).*sees the whole catalog; as the admin: REVOKE`)),
      ]);
      await repairWith(found, /as the admin: (REVOKE [^;]+;)/);
    }
  });

  test("a grant whose role was dropped and re-created (a new oid): a failure with the re-pin", async () => {
    const gone = await m.newRole("mg_gone");
    await grantRead(m.admin, { reader: gone, schema: "sales", table: "orders" });
    await m.admin.query(`GRANT ${quoteIdent(gone)} TO ${quoteIdent(m.adminConn.user)}`);
    await m.admin.query(`DROP OWNED BY ${quoteIdent(gone)}`);
    await m.admin.query(`DROP ROLE ${quoteIdent(gone)}`);
    await m.admin.query(`CREATE ROLE ${quoteIdent(gone)} LOGIN`);
    const found = await unhealthy();
    // The old oid's resolved ids are drift too (DROP ROLE does not touch the guard's tables): the re-pin clears both.
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`^grant of ${gone}: sales\\.orders: role ${gone} does not exist, or is not the role that was granted`),
        ),
      ]),
    );
    await repairWith(found, /re-pin it to the role of that name with (SELECT ducklake_guard\.grant_read\([^)]*\);)/);
  });
});

describe("the guard installed before DuckLake's first ATTACH (what `pulumi up` does on a new database)", () => {
  let m: ManagedLake;
  let reader: string;
  afterAll(async () => {
    await m?.close();
  });

  test("catalog tables created later have no policy (readers refused); status and the provider's diff see it; the update protects them", async () => {
    m = await managedLake("mg_first");
    const connection = { ...m.conn, sslmode: "disable" as const };
    const migrations = loadMigrations();
    const inputs = (
      await catalogGuardProvider.check!(
        {},
        { connection, catalogSchema: MANAGED_CATALOG, catalogOwner: m.owner, catalogWriter: m.writer, migrations },
      )
    ).inputs;
    const created = await catalogGuardProvider.create!(inputs);
    expect(created.outs).toMatchObject({ unprotected: [], inlinedGrants: "commit_trigger", catalogWriter: m.writer, eventTrigger: false });
    expect(await catalogGuardProvider.diff!(created.id, created.outs, inputs)).toMatchObject({ changes: false });
    // DuckLake's first ATTACH (as the owner) creates the catalog after the guard.
    await m.admin.query(`SET ROLE ${quoteIdent(m.owner)}`);
    await buildSampleLake(await createDuckLakeCatalog(m.admin, { catalogSchema: MANAGED_CATALOG }));
    await m.admin.query("RESET ROLE");
    reader = await m.newRole("mg_freader");
    await grantRead(m.admin, { reader, schema: "sales" });
    // Fail closed: the reader may not read the catalog at all.
    const rc = await m.connectAs(reader);
    await expect(rc.query("SELECT * FROM lake.ducklake_metadata")).rejects.toThrow(/permission denied for table ducklake_metadata/);
    const found = problems(await catalogStatus(infoFor(m, [reader])));
    expect(found).toEqual([
      expect.stringMatching(
        /^catalog tables without the guard policy: \d+ \(ducklake_column, .*\): created after the guard was installed, so readers are refused .*run `pulumi up`/,
      ),
      expect.stringMatching(/^new inlined tables: none/),
    ]);
    // `pulumi refresh` (read) and a plain `pulumi up` (diff asks the database) both see it.
    const read = await catalogGuardProvider.read!(created.id, created.outs);
    expect(read.props!.unprotected).toEqual(
      expect.arrayContaining(["ducklake_table: no guard read policy", "ducklake_snapshot: no commit trigger granting new inlined tables"]),
    );
    const diff = await catalogGuardProvider.diff!(created.id, created.outs, inputs);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    const updated = await catalogGuardProvider.update!(created.id, created.outs, inputs);
    expect(updated.outs).toMatchObject({ unprotected: [] });
    expect(await catalogGuardProvider.diff!(created.id, updated.outs!, inputs)).toMatchObject({ changes: false });
    expect(problems(await catalogStatus(infoFor(m, [reader])))).toEqual([]);
    const tables = await rc.query(
      "SELECT s.schema_name, t.table_name FROM lake.ducklake_table t JOIN lake.ducklake_schema s USING (schema_id) WHERE t.end_snapshot IS NULL ORDER BY 2",
    );
    expect(tables.rows.length).toBeGreaterThan(0);
    expect(tables.rows.every((r) => r.schema_name === "sales")).toBe(true);
  });
});
