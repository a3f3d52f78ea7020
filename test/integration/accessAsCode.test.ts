// Access as code, end to end on real PostgreSQL (fixture DuckLake catalog + the real catalog guard) and real
// Ceph RGW (objects at the catalog's data paths). The grants list is applied the way `pulumi up` applies it
// (test/support/lakeApply.ts drives the program's ReaderAcl provider and bucket-policy builder), then edited
// and re-applied. After every step each reader's catalog view and S3 matrix must match the list, checked
// three ways: the guard's ACL, `npm run verify` (verifyLake), and independently here (a pg session as the
// reader listing ducklake_table; a GetObject per table with the reader's key). Hand edits are found by a
// refresh and put back by the next apply.
//
// Two shapes of the catalog server, one suite: the `integration` jest project runs it on the VPS shape (superuser
// install); `integration-managed` (GUARD_SHAPE=managed) runs it in the external target's shape — a managed admin
// without superuser sets the catalog up, the owner login builds the catalog and installs the guard
// (test/support/externalCatalog.ts, test/support/catalogShape.ts).
import { randomBytes } from "crypto";
import { Client } from "pg";
import { DeleteBucketPolicyCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { createTestBucket, objectStatus, s3Client } from "../support/s3";
import { pgAdmin, PgConnection, rgw, S3Key } from "../support/services";
import { rng } from "../support/random";
import {
  AccessStack,
  AccessTarget,
  desiredPolicy,
  testAccessTarget,
  livePolicy,
  readerAclInputs,
  samePolicy,
  validate,
} from "../support/lakeApply";
import { buildSampleLake, CatalogBuilder, createDuckLakeCatalog, SampleLake } from "../fixtures/ducklakeCatalog";
import { installGuard } from "../../postgres/guardClient";
import { canonicalGrants, readerAclProvider, undeclaredAclProvider } from "../../providers/readerAcl";
import { AccessSpec, GrantSpec } from "../../model/accessSpec";
import { quoteIdent, quoteLiteral } from "../../model/names";
import { parseLakeConnectionInfo, LakeConnectionInfo } from "../../cli/connectionInfo";
import { verifyLake } from "../../cli/verify";
import { accessMatrix } from "../../cli/accessMatrix";
import { catalogShape } from "../support/catalogShape";
import { ExternalCatalog, setUpExternalCatalog } from "../support/externalCatalog";

const SHAPE = catalogShape();

const CATALOG = "lake"; // a non-default catalog schema, so nothing works only by falling back to "public"
const ODD_SCHEMA = "odd schema;--";
const ODD_TABLE = `we"ird 'täble' ✓`;
const hex = randomBytes(4).toString("hex");
const BASES = ["ana", "ben", "cleo", "dan", "eve"] as const;
type Base = (typeof BASES)[number];
const name = (b: Base) => `aac_${b}_${hex}`;
const passwords = Object.fromEntries(BASES.map((b) => [name(b), randomBytes(12).toString("hex")]));

let conn: PgConnection;
let external: ExternalCatalog | undefined;
let builder: CatalogBuilder;
let lake: SampleLake;
let owner: Client;
let bucket: string;
let target: AccessTarget;
let stack: AccessStack;
let keys: Record<string, S3Key>;
/** Every current table as the owner sees it, with one object key in the bucket (undefined: files elsewhere). */
let tables: Array<{ schema: string; table: string; key?: string }>;
/** Domain checks: one per (reader, table, layer) comparison, per ACL comparison, per policy comparison. */
let checks = 0;
let assertions = 0;

/** A grant in shorthand: [reader, schema, table?]. */
type G = [Base, string, string?];

function spec(readers: Base[], grants: G[]): AccessSpec {
  const svc = rgw();
  return {
    readers: readers.map((b) => ({ name: name(b), principal: { projectId: svc.readerProject, accessKey: keys[name(b)].accessKey } })),
    grants: grants.map(([r, schema, table]): GrantSpec =>
      table === undefined ? { reader: name(r), schema } : { reader: name(r), schema, table },
    ),
  };
}

const tableId = (schema: string, table: string) => JSON.stringify([schema, table]);
const covers = (s: AccessSpec, reader: string, t: { schema: string; table: string }) =>
  s.grants.some((g) => g.reader === reader && g.schema === t.schema && (g.table === undefined || g.table === t.table));

function connectionInfo(s: AccessSpec): LakeConnectionInfo {
  const svc = rgw();
  return parseLakeConnectionInfo({
    stack: "accessAsCode",
    catalog: { ...target.connection, schema: CATALOG },
    storage: {
      bucket,
      dataPrefix: target.dataPrefix,
      endpoint: svc.endpoint,
      region: svc.region,
      adminProjectId: svc.adminProject,
      admin: svc.admin,
    },
    readers: s.readers.map((r) => ({
      name: r.name,
      password: passwords[r.name],
      s3: { projectId: r.principal.projectId, ...keys[r.name] },
      grants: s.grants
        .filter((g) => g.reader === r.name)
        .map((g) => (g.table === undefined ? { schema: g.schema } : { schema: g.schema, table: g.table })),
    })),
  });
}

/** Tables the reader sees through its own PostgreSQL login (the catalog guard's row-level security). */
async function catalogView(reader: string): Promise<Set<string>> {
  return withClient({ ...conn, user: reader, password: passwords[reader] }, async (c) => {
    const { rows } = await c.query(`SELECT s.schema_name, t.table_name FROM ${quoteIdent(CATALOG)}.ducklake_table t
      JOIN ${quoteIdent(CATALOG)}.ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL
      WHERE t.end_snapshot IS NULL`);
    return new Set(rows.map((r) => tableId(r.schema_name, r.table_name)));
  });
}

const getStatus = (client: S3Client, key: string) => objectStatus(client, bucket, key);

/** The guard's live ACL of one reader (entries still pointing at existing objects), canonical. */
async function liveAcl(reader: string) {
  const { rows } = await owner.query("SELECT schema_name, table_name, status FROM ducklake_guard.list_grants($1)", [reader]);
  return canonicalGrants(rows.map((r) => ({ schema: r.schema_name, table: r.table_name })));
}

/** Puts a real object at every current data file inside the bucket; returns the current tables, each with its probe object. */
async function syncObjects(): Promise<Array<{ schema: string; table: string; key?: string }>> {
  const q = quoteIdent(CATALOG);
  const { rows } = await owner.query(`
    SELECT s.schema_name, t.table_name, m.value AS data_path, s.path AS sp, s.path_is_relative AS srel,
           t.path AS tp, t.path_is_relative AS trel, f.path AS fp, f.path_is_relative AS frel
    FROM ${q}.ducklake_table t JOIN ${q}.ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL
    CROSS JOIN (SELECT value FROM ${q}.ducklake_metadata WHERE key = 'data_path' AND scope IS NULL) m
    LEFT JOIN ${q}.ducklake_data_file f ON f.table_id = t.table_id AND f.end_snapshot IS NULL
    WHERE t.end_snapshot IS NULL ORDER BY t.table_id, f.data_file_id`);
  const byId = new Map<string, { schema: string; table: string; key?: string }>();
  const admin = s3Client(rgw().admin);
  const inBucket = `s3://${bucket}/`;
  for (const r of rows) {
    const id = tableId(r.schema_name, r.table_name);
    const entry: { schema: string; table: string; key?: string } = byId.get(id) ?? { schema: r.schema_name, table: r.table_name };
    byId.set(id, entry);
    if (r.fp === null) continue;
    const schemaUrl = r.srel ? `${r.data_path}${r.sp}` : r.sp;
    const tableUrl = r.trel ? `${schemaUrl}${r.tp}` : r.tp;
    const url: string = r.frel ? `${tableUrl}${r.fp}` : r.fp;
    if (!url.startsWith(inBucket)) continue;
    const key = url.slice(inBucket.length);
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `PAR1 ${id} PAR1` }));
    entry.key ??= key;
  }
  admin.destroy();
  return [...byId.values()];
}

/**
 * Both layers match `s` for every declared reader, and `gone` readers (removed from the list, role still
 * there) see nothing and read nothing.
 */
async function expectMatches(s: AccessSpec, gone: Base[] = []): Promise<void> {
  // 1. The guard's ACL holds exactly the declared entries.
  for (const r of s.readers) {
    const declared = canonicalGrants(
      s.grants.filter((g) => g.reader === r.name).map((g) => ({ schema: g.schema, table: g.table ?? null })),
    );
    expect({ reader: r.name, acl: await liveAcl(r.name) }).toEqual({ reader: r.name, acl: declared });
    checks++;
  }
  // 2. The live bucket policy is the one generated from the list (as a refresh would compare it).
  const policy = await desiredPolicy(target, validate(target, s));
  expect(samePolicy(await livePolicy(target.adminS3, bucket), policy.json)).toBe(true);
  checks++;
  // 3. `npm run verify`: every reader × table in both layers, plus listing/policy/write probes.
  const report = await verifyLake(connectionInfo(s));
  expect(report.problems).toEqual([]);
  expect(report.rows.length).toBeGreaterThanOrEqual(s.readers.length * (tables.length + 3));
  expect(report.rows.filter((row) => !row.ok)).toEqual([]);
  checks += report.rows.length;
  // 4. Independently: the reader's own pg session and own S3 key, table by table.
  const readers = [...s.readers.map((r) => r.name), ...gone.map(name)];
  for (const reader of readers) {
    const seen = await catalogView(reader);
    const client = s3Client(keys[reader]);
    const got: Record<string, unknown> = {};
    const want: Record<string, unknown> = {};
    for (const t of tables) {
      const id = tableId(t.schema, t.table);
      const granted = covers(s, reader, t);
      got[id] = { catalog: seen.has(id), s3: t.key === undefined ? "-" : await getStatus(client, t.key) };
      want[id] = { catalog: granted, s3: t.key === undefined ? "-" : granted ? 200 : 403 };
      checks += t.key === undefined ? 1 : 2;
    }
    expect({ reader, tables: got }).toEqual({ reader, tables: want });
    expect([...seen].filter((id) => !tables.some((t) => tableId(t.schema, t.table) === id))).toEqual([]);
    client.destroy();
  }
  for (const b of gone) {
    expect(await liveAcl(name(b))).toEqual([]);
    expect(await livePolicy(target.adminS3, bucket)).not.toContain(keys[name(b)].accessKey);
    checks += 2;
  }
}

beforeAll(async () => {
  const svc = rgw();
  keys = Object.fromEntries(BASES.map((b, i) => [name(b), svc.readers[i]]));
  bucket = await createTestBucket("aac");
  // VPS: a superuser does everything. External: the owner login (catalog, guard), the managed admin (readers).
  if (SHAPE === "external") external = await setUpExternalCatalog("aacx", { catalogSchema: CATALOG });
  conn = external ? external.owner : await createTestDatabase("aac");
  owner = new Client(conn);
  await owner.connect();
  builder = await createDuckLakeCatalog(owner, { catalogSchema: CATALOG, dataPath: `s3://${bucket}/data/` });
  lake = await buildSampleLake(builder);
  // As the Catalog component does: installed by the owner on the external target, with the writer's write policy.
  await installGuard(owner, { catalogSchema: CATALOG, catalogWriter: external?.writer.user });
  if (external) {
    // The shape holds: neither login that set the catalog up is a superuser, so the guard has no event trigger.
    const superuser = (c: Pick<Client, "query">) => c.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
    expect((await superuser(owner)).rows[0].rolsuper).toBe(false);
    expect((await withClient(external.admin, superuser)).rows[0].rolsuper).toBe(false);
    expect((await owner.query("SELECT value FROM ducklake_guard.setting WHERE key = 'event_trigger'")).rows[0].value).not.toBe("installed");
  }
  // The program's LakeReader: a login role with a generated password, member of the reader base role.
  for (const r of BASES.map(name)) {
    if (external) {
      await external.createReader(r, passwords[r]);
      continue;
    }
    await owner.query(`CREATE ROLE ${quoteIdent(r)} LOGIN PASSWORD ${quoteLiteral(passwords[r])}`);
    await owner.query(`GRANT ducklake_reader TO ${quoteIdent(r)}`);
  }
  tables = await syncObjects();
  // The sample lake: 7 current tables, 6 with files in this bucket (main.events lives elsewhere).
  expect(tables.length).toBe(7);
  expect(tables.filter((t) => t.key).length).toBe(6);
  target = testAccessTarget(conn, CATALOG, owner, bucket);
  stack = new AccessStack(target);
}, 120_000);

afterEach(() => {
  assertions += expect.getState().assertionCalls;
});

afterAll(async () => {
  await owner?.end();
  if (external) await external.drop(BASES.map(name));
  else if (conn) await dropTestDatabase(conn);
  await withClient(pgAdmin(), async (c) => {
    for (const r of BASES.map(name)) await c.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
  });
  console.log(
    `accessAsCode (${SHAPE} shape): ${checks} layer checks (reader × table × layer, ACL and policy comparisons), ${assertions} expect() assertions`,
  );
});

// The list at each step. Step 1: three table-granted readers, one schema grant, names needing quoting.
const step1: G[] = [
  ["ana", "sales", "orders"],
  ["ana", "sales", "customers"],
  ["ben", "hr"],
  ["cleo", "sales", "returns"],
  ["cleo", ODD_SCHEMA, ODD_TABLE],
  ["dan", "sales", "orders"],
];
const step2: G[] = [...step1, ["ben", "sales", "returns"]]; // add a grant
const step3: G[] = step2.filter(([r, s, t]) => !(r === "ana" && s === "sales" && t === "customers")); // remove a grant
const step4: G[] = step3.map(([r, s, t]): G => (r === "cleo" && t === "returns" ? ["cleo", "hr", "reviews"] : [r, s, t])); // move
const step5: G[] = step4.filter(([r]) => r !== "dan"); // remove a reader
const step6: G[] = [...step5, ["eve", "sales"]]; // a new reader, schema grant
const ALL4: Base[] = ["ana", "ben", "cleo", "dan"];
const ALL3: Base[] = ["ana", "ben", "cleo"];

describe("applying and editing the grants list", () => {
  it("step 1: the initial list creates one ACL per reader and a policy; both layers match", async () => {
    const up = await stack.up(spec(ALL4, step1));
    expect(up.acl).toEqual(Object.fromEntries(ALL4.map((b) => [name(b), "create"])));
    expect(up.undeclared).toBe("create");
    expect(up.policyApplied).toBe(true);
    await expectMatches(spec(ALL4, step1));
  });

  it("reordering readers and grants changes nothing: same validated list, byte-identical policy, identical ReaderAcl inputs", async () => {
    const base = spec(ALL4, step1);
    const baseAccess = validate(target, base);
    const basePolicy = (await desiredPolicy(target, baseAccess)).json;
    const baseInputs = await Promise.all(
      baseAccess.readers.map(async (r) =>
        JSON.stringify((await readerAclProvider.check!({}, readerAclInputs(target, baseAccess, r.name))).inputs),
      ),
    );
    const random = rng(20260);
    const shuffle = <T>(xs: T[]) =>
      xs
        .map((x) => [random(), x] as const)
        .sort((a, b) => a[0] - b[0])
        .map(([, x]) => x);
    for (let i = 0; i < 4; i++) {
      const permuted: AccessSpec = { readers: shuffle(base.readers), grants: shuffle(base.grants) };
      expect(permuted.grants.map((g) => g.reader + g.schema + g.table)).not.toEqual(base.grants.map((g) => g.reader + g.schema + g.table));
      const access = validate(target, permuted);
      expect(access).toEqual(baseAccess);
      expect((await desiredPolicy(target, access)).json).toBe(basePolicy);
      const inputs = await Promise.all(
        access.readers.map(async (r) =>
          JSON.stringify((await readerAclProvider.check!({}, readerAclInputs(target, access, r.name))).inputs),
        ),
      );
      expect(inputs).toEqual(baseInputs);
      checks += 3;
    }
    // And applying a permutation is a no-op for every resource.
    const up = await stack.up({ readers: shuffle(base.readers), grants: shuffle(base.grants) });
    expect(up.acl).toEqual(Object.fromEntries(ALL4.map((b) => [name(b), "same"])));
    expect(up.policyApplied).toBe(false);
  });

  it("step 2: adding a grant updates only that reader's ACL and the policy", async () => {
    const up = await stack.up(spec(ALL4, step2));
    expect(up.acl).toEqual({ [name("ana")]: "same", [name("ben")]: "update", [name("cleo")]: "same", [name("dan")]: "same" });
    expect(up.policyApplied).toBe(true);
    await expectMatches(spec(ALL4, step2));
  });

  it("step 3: removing a grant revokes it in both layers", async () => {
    const up = await stack.up(spec(ALL4, step3));
    expect(up.acl).toEqual({ [name("ana")]: "update", [name("ben")]: "same", [name("cleo")]: "same", [name("dan")]: "same" });
    expect(up.policyApplied).toBe(true);
    await expectMatches(spec(ALL4, step3));
  });

  it("step 4: moving a reader from one table to another", async () => {
    const up = await stack.up(spec(ALL4, step4));
    expect(up.acl).toEqual({ [name("ana")]: "same", [name("ben")]: "same", [name("cleo")]: "update", [name("dan")]: "same" });
    expect(up.policyApplied).toBe(true);
    await expectMatches(spec(ALL4, step4));
  });

  it("step 5: removing a reader deletes its ACL and its policy statements; it reads nothing any more", async () => {
    const up = await stack.up(spec(ALL3, step5));
    expect(up.acl).toEqual({ [name("ana")]: "same", [name("ben")]: "same", [name("cleo")]: "same", [name("dan")]: "delete" });
    expect(up.undeclared).toBe("update"); // dan is no longer declared: the sweep revokes its entries before its ReaderAcl's delete
    expect(up.policyApplied).toBe(true);
    await expectMatches(spec(ALL3, step5), ["dan"]);
  });

  it("step 6: a new reader with a schema grant is created alongside", async () => {
    const up = await stack.up(spec([...ALL3, "eve"], step6));
    expect(up.acl).toEqual({ [name("ana")]: "same", [name("ben")]: "same", [name("cleo")]: "same", [name("eve")]: "create" });
    expect(up.policyApplied).toBe(true);
    await expectMatches(spec([...ALL3, "eve"], step6), ["dan"]);
  });

  it("a grant to a table missing from the catalog is refused before anything is applied", async () => {
    const before = { policy: await livePolicy(target.adminS3, bucket), acl: await liveAcl(name("ana")) };
    const bad = spec([...ALL3, "eve"], [...step6, ["ana", "sales", "nope"]]);
    await expect(stack.up(bad)).rejects.toThrow(/"sales"\."nope"/);
    // The ReaderAcl provider refuses it at check too (a preview that reaches the catalog), naming the fix.
    const checked = await readerAclProvider.check!({}, readerAclInputs(target, validate(target, bad), name("ana")));
    expect(checked.failures).toEqual([
      {
        property: "grants",
        reason:
          'DuckLake table "sales"."nope" does not exist in the catalog: fix the name, create the table first, or grant the whole schema',
      },
    ]);
    expect(await livePolicy(target.adminS3, bucket)).toBe(before.policy);
    expect(await liveAcl(name("ana"))).toEqual(before.acl);
    checks += 2;
  });
});

describe("drift: hand edits are found by refresh and put back by the next apply", () => {
  const final = () => spec([...ALL3, "eve"], step6);

  it("an ACL entry revoked by hand", async () => {
    const ana = name("ana");
    await owner.query("SELECT ducklake_guard.revoke_read($1, $2, $3)", [ana, "sales", "orders"]);
    expect((await catalogView(ana)).has(tableId("sales", "orders"))).toBe(false); // the hand edit took effect
    const report = await verifyLake(connectionInfo(final()), { readers: [ana], probeWrites: false });
    expect(report.problems.join("\n")).toMatch(new RegExp(`${ana}: the catalog hides sales\\.orders although it is granted`));

    const refreshed = await stack.refresh();
    expect(refreshed).toEqual({ aclChanged: [ana], undeclared: [], policyChanged: false });
    const state = stack.acls.get(ana)!;
    expect(state.outs.grants).toEqual([]); // ana's only remaining grant was sales.orders
    const diff = await readerAclProvider.diff!(state.id, state.outs, state.inputs);
    expect(diff).toMatchObject({ changes: true, replaces: [] });

    const up = await stack.up(final());
    expect(up.acl[ana]).toBe("update");
    expect(Object.values(up.acl).filter((op) => op !== "same")).toEqual(["update"]);
    expect(up.policyApplied).toBe(false);
    await expectMatches(final(), ["dan"]);
  });

  it("an ACL entry added by hand", async () => {
    const cleo = name("cleo");
    await owner.query("SELECT ducklake_guard.grant_read($1, $2, $3)", [cleo, "sales", "orders"]);
    expect((await catalogView(cleo)).has(tableId("sales", "orders"))).toBe(true);

    const refreshed = await stack.refresh();
    expect(refreshed).toEqual({ aclChanged: [cleo], undeclared: [], policyChanged: false });
    const state = stack.acls.get(cleo)!;
    expect(state.outs.grants).toEqual(
      canonicalGrants([
        { schema: "hr", table: "reviews" },
        { schema: ODD_SCHEMA, table: ODD_TABLE },
        { schema: "sales", table: "orders" },
      ]),
    );
    expect((await readerAclProvider.diff!(state.id, state.outs, state.inputs)).changes).toBe(true);

    const up = await stack.up(final());
    expect(up.acl).toEqual({ [name("ana")]: "same", [name("ben")]: "same", [cleo]: "update", [name("eve")]: "same" });
    await expectMatches(final(), ["dan"]);
  });

  it("entries added by hand for a removed reader (schema-wide, odd names): refresh shows them, the next apply revokes them", async () => {
    const dan = name("dan");
    await owner.query("SELECT ducklake_guard.grant_read($1, $2, NULL)", [dan, "hr"]);
    await owner.query("SELECT ducklake_guard.grant_read($1, $2, $3)", [dan, ODD_SCHEMA, ODD_TABLE]);
    expect((await catalogView(dan)).has(tableId("hr", "salaries"))).toBe(true);
    expect((await catalogView(dan)).has(tableId(ODD_SCHEMA, ODD_TABLE))).toBe(true);
    expect((await accessMatrix(connectionInfo(final()))).problems).toContain(
      `the catalog ACL grants hr.* to ${dan}, which is not a reader of this stack`,
    );
    // dan has no ReaderAcl any more; the UndeclaredAcl's refresh lists its entries, nobody else's.
    expect(await stack.refresh()).toEqual({
      aclChanged: [],
      policyChanged: false,
      undeclared: [
        { reader: dan, schema: "hr", table: null },
        { reader: dan, schema: ODD_SCHEMA, table: ODD_TABLE },
      ],
    });
    const sweep = stack.undeclared!;
    expect(await undeclaredAclProvider.diff!(sweep.id, sweep.outs, sweep.inputs)).toMatchObject({ changes: true });
    const up = await stack.up(final());
    expect(up.undeclared).toBe("update");
    expect(Object.values(up.acl).every((op) => op === "same")).toBe(true);
    expect(up.policyApplied).toBe(false);
    expect(await liveAcl(dan)).toEqual([]);
    expect(await catalogView(dan)).toEqual(new Set());
    expect((await accessMatrix(connectionInfo(final()))).problems).toEqual([]);
    expect(await stack.refresh()).toEqual({ aclChanged: [], undeclared: [], policyChanged: false });
    checks += 3;
    await expectMatches(final(), ["dan"]);
  });

  it("the bucket policy replaced by hand with an extra grant", async () => {
    const ana = name("ana");
    const widened = spec([...ALL3, "eve"], [...step6, ["ana", "hr", "salaries"]]);
    const extra = await desiredPolicy(target, validate(target, widened));
    await target.adminS3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: extra.json }));
    const salaries = tables.find((t) => t.schema === "hr" && t.table === "salaries")!;
    expect(await getStatus(s3Client(keys[ana]), salaries.key!)).toBe(200); // the hand edit took effect
    const report = await verifyLake(connectionInfo(final()), { readers: [ana], probeWrites: false });
    expect(report.problems.join("\n")).toMatch(new RegExp(`${ana}: S3 lets it read hr\\.salaries \\(200 .*grants too much`));

    // What a refresh of aws.s3.BucketPolicy sees: the live document differs from the generated one.
    const generated = (await desiredPolicy(target, validate(target, final()))).json;
    expect(samePolicy(await livePolicy(target.adminS3, bucket), generated)).toBe(false);
    expect(await stack.refresh()).toEqual({ aclChanged: [], undeclared: [], policyChanged: true });
    const up = await stack.up(final());
    expect(up.policyApplied).toBe(true);
    expect(Object.values(up.acl).every((op) => op === "same")).toBe(true);
    expect(samePolicy(await livePolicy(target.adminS3, bucket), generated)).toBe(true);
    await expectMatches(final(), ["dan"]);
  });

  it("the bucket policy deleted by hand", async () => {
    await target.adminS3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    expect(await livePolicy(target.adminS3, bucket)).toBeUndefined();
    const orders = tables.find((t) => t.schema === "sales" && t.table === "orders")!;
    expect(await getStatus(s3Client(keys[name("ana")]), orders.key!)).toBe(403);
    expect(await stack.refresh()).toEqual({ aclChanged: [], undeclared: [], policyChanged: true });
    expect((await stack.up(final())).policyApplied).toBe(true);
    await expectMatches(final(), ["dan"]);
  });

  it("with nothing edited, refresh finds no drift and apply changes nothing", async () => {
    expect(await stack.refresh()).toEqual({ aclChanged: [], undeclared: [], policyChanged: false });
    const up = await stack.up(final());
    expect(Object.values(up.acl).every((op) => op === "same")).toBe(true);
    expect(up.undeclared).toBe("same");
    expect(up.policyApplied).toBe(false);
    checks += 2;
  });
});

describe("the lake changes under the list", () => {
  it("a granted table renamed in DuckLake: access follows the table; the old name is refused until the list says the new one", async () => {
    const ana = name("ana");
    await builder.renameTable(lake.tables["sales.orders"], "orders_v2");
    tables = await syncObjects();
    // The ACL entry is pinned to the table id, so the reader keeps the (renamed) table meanwhile.
    expect((await catalogView(ana)).has(tableId("sales", "orders_v2"))).toBe(true);
    expect(await stack.refresh()).toEqual({ aclChanged: [], undeclared: [], policyChanged: false });
    // The list still says "orders": refused before anything is applied. The bucket-policy builder sees that
    // the default folder of a table "orders" is the renamed table's folder; the ReaderAcl check (a preview
    // reaching the catalog) names the missing table.
    const stale = spec([...ALL3, "eve"], step6);
    await expect(stack.up(stale)).rejects.toThrow(
      /folder "data\/sales\/orders\/" of table "sales"\."orders_v2", which the reader is not granted/,
    );
    expect((await readerAclProvider.check!({}, readerAclInputs(target, validate(target, stale), ana))).failures).toEqual([
      { property: "grants", reason: 'DuckLake table "sales"."orders" was renamed to "sales"."orders_v2": update the grant in access.ts' },
    ]);
    const renamed: G[] = step6.map(([r, s, t]): G => (r === "ana" && t === "orders" ? ["ana", "sales", "orders_v2"] : [r, s, t]));
    const up = await stack.up(spec([...ALL3, "eve"], renamed));
    expect(up.acl).toEqual({ [ana]: "update", [name("ben")]: "same", [name("cleo")]: "same", [name("eve")]: "same" });
    await expectMatches(spec([...ALL3, "eve"], renamed), ["dan"]);
  });

  it("a granted table dropped and re-created under the same name: the grant does not carry over until refresh + apply", async () => {
    const ben = name("ben"); // granted hr.* and sales.returns
    const current: G[] = step6.map(([r, s, t]): G => (r === "ana" && t === "orders" ? ["ana", "sales", "orders_v2"] : [r, s, t]));
    await builder.dropTable(lake.tables["sales.returns"]);
    const again = await builder.createTable("sales", "returns", { columns: [{ name: "id", type: "int64" }] });
    await builder.addDataFile(again.tableId);
    tables = await syncObjects();
    const returns = tables.find((t) => t.schema === "sales" && t.table === "returns")!;
    // The dropped table kept the folder of its first name (returns_v1/); the new one gets returns/.
    expect(returns.key).toMatch(/^data\/sales\/returns\//);
    // Both layers keep the new table closed: the ACL entry is pinned to the dropped table's id, and the
    // policy names the old folder.
    expect((await catalogView(ben)).has(tableId("sales", "returns"))).toBe(false);
    expect(await getStatus(s3Client(keys[ben]), returns.key!)).toBe(403);
    const refreshed = await stack.refresh();
    expect(refreshed).toEqual({ aclChanged: [ben], undeclared: [], policyChanged: false });
    expect(stack.acls.get(ben)!.outs.grants).toEqual([{ schema: "hr", table: null }]);
    const up = await stack.up(spec([...ALL3, "eve"], current));
    expect(up.acl).toEqual({ [name("ana")]: "same", [ben]: "update", [name("cleo")]: "same", [name("eve")]: "same" });
    expect(up.policyApplied).toBe(true); // rebuilt from the live layout: the new folder
    await expectMatches(spec([...ALL3, "eve"], current), ["dan"]);
  });
});
