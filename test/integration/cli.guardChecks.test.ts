// Issue 12, item 3: `verify` probes every catalog table as each reader and names the table and the object the
// reader should not see; `status` checks row-level security and the guard policy on every catalog table, the
// guard's triggers, that `visible` and inlined-table grants agree with the ACL, and who holds TEMPORARY, each
// problem with the command that repairs it (run here, after which status is healthy again). Real PostgreSQL + RGW.
import { randomBytes } from "crypto";
import { Client } from "pg";
import { PutBucketPolicyCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { createTestBucket, s3Client, testStorage } from "../support/s3";
import { pgAdmin, rgw } from "../support/services";
import { buildSampleLake, createDuckLakeCatalog, SampleLake } from "../fixtures/ducklakeCatalog";
import { installGuard, grantRead } from "../../postgres/guardClient";
import { readCatalogLayout } from "../../postgres/catalogLayout";
import { buildBucketPolicy } from "../../model/bucketPolicy";
import { grantKey } from "../../model/grants";
import { NormalizedGrant } from "../../model/accessSpec";
import { quoteIdent, quoteLiteral } from "../../model/names";
import { LakeConnectionInfo, parseLakeConnectionInfo } from "../../cli/connectionInfo";
import { lakeStatus, StatusCheck } from "../../cli/status";
import { verifyLake } from "../../cli/verify";

const hex = randomBytes(3).toString("hex");
const alice = `gc_alice_${hex}`;
const bob = `gc_bob_${hex}`;
type Grant = { reader: string; schema: string; table: string | null };
const declared: Grant[] = [
  { reader: alice, schema: "sales", table: "orders" },
  { reader: bob, schema: "hr", table: null },
];

let conn: Awaited<ReturnType<typeof createTestDatabase>>;
let admin: Client;
let bucket: string;
let lake: SampleLake;
let info: LakeConnectionInfo;
const passwords: Record<string, string> = { [alice]: randomBytes(9).toString("hex"), [bob]: randomBytes(9).toString("hex") };

function connectionInfo(database: string, withGrants = true): LakeConnectionInfo {
  const svc = rgw();
  const pg = pgAdmin();
  return parseLakeConnectionInfo({
    stack: "test",
    catalog: { host: pg.host, port: pg.port, database, user: pg.user, password: pg.password, sslmode: "disable" },
    storage: testStorage(bucket),
    readers: [alice, bob].map((name, i) => ({
      name,
      password: passwords[name],
      s3: { projectId: svc.readerProject, ...svc.readers[i] },
      ...(withGrants
        ? {
            grants: declared
              .filter((g) => g.reader === name)
              .map((g) => (g.table ? { schema: g.schema, table: g.table } : { schema: g.schema })),
          }
        : {}),
    })),
  });
}

/** Applies the bucket policy the storage guard builds for `grants`. */
async function applyPolicy(grants: Grant[]): Promise<void> {
  const svc = rgw();
  const layout = await readCatalogLayout(admin, { bucket });
  const normalized: NormalizedGrant[] = grants.map((g) => ({ ...g, mode: "read", key: grantKey(g.reader, g.schema, g.table) }));
  const policy = buildBucketPolicy({
    bucket,
    ownerProjectId: svc.adminProject,
    layout,
    grants: normalized,
    readers: [alice, bob].map((name, i) => ({ name, principal: { projectId: svc.readerProject, accessKey: svc.readers[i].accessKey } })),
  });
  expect(policy.problems).toEqual([]);
  await s3Client(svc.admin).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy.json }));
}

/** Puts a real object at every current data file's location inside the bucket. */
async function putDataFiles(client: Client): Promise<number> {
  const { rows } = await client.query(`
    SELECT m.value AS data_path, s.path AS sp, t.path AS tp, t.path_is_relative AS trel, f.path AS fp, f.path_is_relative AS frel
    FROM ducklake_data_file f JOIN ducklake_table t ON t.table_id = f.table_id AND t.end_snapshot IS NULL
    JOIN ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL
    CROSS JOIN (SELECT value FROM ducklake_metadata WHERE key = 'data_path' AND scope IS NULL) m
    WHERE f.end_snapshot IS NULL`);
  let n = 0;
  for (const r of rows) {
    const url = !r.frel ? r.fp : `${r.trel ? r.data_path + r.sp + r.tp : r.tp}${r.fp}`;
    const prefix = `s3://${bucket}/`;
    if (!url.startsWith(prefix)) continue;
    await s3Client(rgw().admin).send(new PutObjectCommand({ Bucket: bucket, Key: url.slice(prefix.length), Body: "PAR1 fixture PAR1" }));
    n++;
  }
  return n;
}

beforeAll(async () => {
  bucket = await createTestBucket("cligc");
  conn = await createTestDatabase("cligc");
  admin = new Client(conn);
  await admin.connect();
  const b = await createDuckLakeCatalog(admin, { dataPath: `s3://${bucket}/data/` });
  lake = await buildSampleLake(b);
  await installGuard(admin);
  for (const r of [alice, bob]) await admin.query(`CREATE ROLE ${quoteIdent(r)} LOGIN PASSWORD ${quoteLiteral(passwords[r])}`);
  for (const g of declared) await grantRead(admin, g);
  expect(await putDataFiles(admin)).toBeGreaterThan(5);
  await applyPolicy(declared);
  info = connectionInfo(conn.database);
}, 120_000);

afterAll(async () => {
  await admin?.end();
  if (conn) await dropTestDatabase(conn);
  await withClient(pgAdmin(), async (c) => {
    for (const r of [alice, bob]) await c.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
  });
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
