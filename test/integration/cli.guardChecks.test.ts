// Issue 12, item 3: `verify` probes every catalog table as each reader and names the table and the object the
// reader should not see; `status` checks row-level security and the guard policy on every catalog table, the
// guard's triggers, that `visible` and inlined-table grants agree with the ACL, and who holds TEMPORARY, each
// problem with the command that repairs it (run here, after which status is healthy again). Real PostgreSQL + RGW.
import { Client } from "pg";
import { CliLake, cliLakeReaders, createCliLake, TestDatabase } from "../support/cliLake";
import { SampleLake } from "../fixtures/ducklakeCatalog";
import { quoteIdent } from "../../model/names";
import { LakeConnectionInfo } from "../../cli/connectionInfo";
import { lakeStatus, StatusCheck } from "../../cli/status";
import { verifyLake } from "../../cli/verify";

const { alice, bob, declared } = cliLakeReaders("gc");

let deployed: CliLake | undefined;
let conn: TestDatabase;
let admin: Client;
let lake: SampleLake;
let info: LakeConnectionInfo;

beforeAll(async () => {
  deployed = await createCliLake("cligc", { alice, bob, declared });
  ({ conn, admin, lake, info } = deployed);
}, 120_000);

afterAll(async () => {
  await deployed?.dispose();
});

const verifyAlice = async () => (await verifyLake(info, { readers: [alice], probeWrites: false })).problems;
const unhealthy = async () => (await lakeStatus(info)).filter((c: StatusCheck) => !c.ok).map((c) => `${c.check}: ${c.detail}`);
/** Runs the repair command status printed (as the superuser admin), then expects a healthy status. */
const repairWith = async (problems: string[], pattern: RegExp) => {
  const cmd = problems.map((p) => pattern.exec(p)?.[1]).find(Boolean);
  expect(cmd).toBeDefined();
  await admin.query(cmd!);
  expect(await unhealthy()).toEqual([]);
};

describe("verify probes every catalog table as each reader", () => {
  it("the good deployment: no problem", async () => {
    expect(await verifyAlice()).toEqual([]);
    expect(await unhealthy()).toEqual([]);
  });

  // Each row: the catalog table, and what alice (granted sales.orders only) must be told she sees.
  it.each([
    ["ducklake_schema", /ducklake_schema shows schema hr \(id \d+\), which it was not granted/],
    ["ducklake_view", /ducklake_view shows view hr\.top_paid \(id \d+\), which it was not granted/],
    ["ducklake_tag", /ducklake_tag shows tags of view hr\.top_paid \(id \d+\)/],
    ["ducklake_metadata", /ducklake_metadata shows settings of schema hr \(id \d+\)/],
    ["ducklake_macro", /ducklake_macro shows macro hr\.bonus \(id \d+\)/],
    ["ducklake_macro_impl", /ducklake_macro_impl shows macro sales\.net \(id \d+\)/],
    ["ducklake_macro_parameters", /ducklake_macro_parameters shows macro hr\.bonus \(id \d+\)/],
    ["ducklake_name_mapping", /ducklake_name_mapping shows column mapping \d+ of table \S+ \(id \d+\)/],
    ["ducklake_files_scheduled_for_deletion", /ducklake_files_scheduled_for_deletion shows \d+ row\(s\) \(hidden from every reader\)/],
    ["ducklake_snapshot_changes", /ducklake_snapshot_changes shows \d+ row\(s\) \(hidden from every reader\)/],
  ])(
    "row-level security off on %s: verify names the table and the object; status names the table and the repair",
    async (table, expected) => {
      await admin.query(`ALTER TABLE ${quoteIdent(table)} DISABLE ROW LEVEL SECURITY`);
      try {
        const problems = await verifyAlice();
        expect(problems.join("\n")).toMatch(new RegExp(`${alice}: ${expected.source}`));
        const bad = await unhealthy();
        expect(bad).toEqual([
          `protection of ${table}: row-level security is off: every reader sees every row. Repair as the catalog owner (postgres) or a superuser: SELECT ducklake_guard.protect_all();`,
        ]);
        await repairWith(bad, /: (SELECT ducklake_guard\.protect_all\(\);)$/);
      } finally {
        await admin.query(`ALTER TABLE ${quoteIdent(table)} ENABLE ROW LEVEL SECURITY`);
      }
      expect(await verifyAlice()).toEqual([]);
    },
  );

  it("an extra permissive policy is named by verify (what leaks) and status (which policy)", async () => {
    await admin.query("CREATE POLICY everyone ON ducklake_view FOR SELECT TO PUBLIC USING (true)");
    try {
      expect((await verifyAlice()).join("\n")).toMatch(/ducklake_view shows view hr\.top_paid/);
      expect(await unhealthy()).toEqual([
        expect.stringMatching(/^protection of ducklake_view: other policies everyone \(a permissive one widens/),
      ]);
    } finally {
      await admin.query("DROP POLICY IF EXISTS everyone ON ducklake_view");
    }
  });
});

describe("status checks the guard's own machinery, each problem with its repair", () => {
  it("a dropped guard policy", async () => {
    await admin.query("DROP POLICY ducklake_guard_read ON ducklake_tag");
    await repairWith(
      await unhealthy(),
      /protection of ducklake_tag: .*missing or altered.*Repair .*: (SELECT ducklake_guard\.protect_all\(\);)$/,
    );
  });

  it("the event trigger disabled", async () => {
    await admin.query("ALTER EVENT TRIGGER ducklake_guard_create_table DISABLE");
    await repairWith(
      await unhealthy(),
      /^event trigger ducklake_guard_create_table: is disabled: as a superuser: (ALTER EVENT TRIGGER ducklake_guard_create_table ENABLE;)$/,
    );
  });

  it("an ACL trigger or a catalog resolve trigger disabled", async () => {
    await admin.query("ALTER TABLE ducklake_guard.acl DISABLE TRIGGER enforce_delete");
    const bad = await unhealthy();
    expect(bad).toEqual([
      expect.stringMatching(/^trigger enforce_delete on ducklake_guard\.acl: is disabled: .*hand edits of the ACL are not enforced/),
    ]);
    await admin.query("ALTER TABLE ducklake_guard.acl ENABLE ALWAYS TRIGGER enforce_delete");
    await admin.query("ALTER TABLE ducklake_table DISABLE TRIGGER ducklake_guard_resolve");
    await repairWith(
      await unhealthy(),
      /^trigger ducklake_guard_resolve on ducklake_table: is disabled: .*: (SELECT ducklake_guard\.protect_all\(\);)$/,
    );
  });

  it("`visible` out of step with the ACL (edited directly), and an inlined table granted by hand", async () => {
    await admin.query("DELETE FROM ducklake_guard.visible WHERE role_oid = $1::regrole", [alice]);
    const inl = lake.inlinedTables[lake.tables["hr.salaries"]][0];
    await admin.query(`GRANT SELECT ON ${quoteIdent(inl)} TO ${quoteIdent(alice)}`);
    const bad = await unhealthy();
    expect(bad).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `^ACL enforced for ${alice}: table id ${lake.tables["sales.orders"]} is granted but not visible\\. Repair: .*SELECT ducklake_guard\\.resync\\(\\);$`,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `^ACL enforced for ${alice}: may SELECT public\\.${inl} \\(table id \\d+\\) without a grant \\(granted by postgres\\)`,
          ),
        ),
      ]),
    );
    expect((await verifyAlice()).join("\n")).toMatch(new RegExp(`may SELECT ${inl} \\(inlined rows of hidden table hr\\.salaries\\)`));
    await repairWith(bad, /: (SELECT ducklake_guard\.resync\(\);)$/);
  });

  it("TEMPORARY granted to a reader", async () => {
    await admin.query(`GRANT TEMPORARY ON DATABASE ${quoteIdent(conn.database)} TO ${quoteIdent(alice)}`);
    await repairWith(await unhealthy(), /^TEMPORARY: .* (REVOKE TEMPORARY ON DATABASE \S+ FROM \S+;) \(as the database owner\)$/);
  });
});
