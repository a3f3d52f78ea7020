// Partition grants in the program under Pulumi mocks: one Grant per partition grant named by its content,
// the reader's ACL carrying the canonical filter, order independence, and refusals before anything applies.
import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "child_process";
import * as path from "path";

interface Created {
  type: string;
  name: string;
  inputs: Record<string, any>;
}
let created: Created[] = [];

pulumi.runtime.setMocks(
  {
    newResource: async (a) => {
      const { __provider, ...inputs } = a.inputs;
      if (a.type.startsWith("pulumi:providers:") || a.type === "ducklake:catalog:Guard") return { id: `${a.name}-id`, state: a.inputs };
      created.push({ type: a.type, name: a.name, inputs });
      return { id: `${a.name}-id`, state: { ...a.inputs, ...(a.type.includes("randomPassword") ? { result: "pw" } : {}) } };
    },
    call: (a) => a.inputs,
  },
  "lake",
  "test",
  true,
);

import * as aws from "@pulumi/aws";
import * as postgresql from "@pulumi/postgresql";
import { LakeAccess, LakeAccessArgs } from "../../components/lakeAccess";
import { AccessSpec } from "../../model/accessSpec";
import { AccessValidationError } from "../../model/grants";
import { emptyLayout } from "../../model/lakePaths";
import { PartitionSpecSource } from "../../model/partitionGrants";
import { rng } from "../support/random";

const promiseOf = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));
const key = (n: number) => `P2002${String(n).padStart(15, "0")}`;
const pgProvider = new postgresql.Provider("pg", { host: "127.0.0.1", port: 5432, sslmode: "disable", username: "owner", password: "x" });
const awsProvider = new aws.Provider("s3", { region: "us-east-1", accessKey: "a", secretKey: "b", skipCredentialsValidation: true });
class TestGuard extends pulumi.CustomResource {
  constructor(n: string) {
    super("ducklake:catalog:Guard", n, {});
  }
}
const guard = new TestGuard("guard");

const specs: PartitionSpecSource = {
  tables: [
    {
      tableId: 1,
      schema: "hr",
      table: "salaries",
      keys: [
        { index: 0, columnId: 3, column: "ts", type: "timestamp", transform: "year" },
        { index: 1, columnId: 3, column: "ts", type: "timestamp", transform: "month" },
      ],
    },
    {
      tableId: 2,
      schema: "sales",
      table: "orders",
      keys: [{ index: 0, columnId: 5, column: "region", type: "varchar", transform: "identity" }],
    },
    { tableId: 3, schema: "hr", table: "people", keys: [] },
  ],
};

const sample = (): AccessSpec => ({
  readers: [
    { name: "hr_partner", principal: { projectId: "2002", accessKey: key(1) } },
    { name: "emea", principal: { projectId: "2002", accessKey: key(2) } },
  ],
  grants: [
    { reader: "hr_partner", schema: "hr", table: "salaries", rows: { "year(ts)": [2026, 2025] } },
    { reader: "hr_partner", schema: "sales", table: "orders" },
    { reader: "emea", schema: "sales", table: "orders", rows: { region: ["emea", "apac"] } },
    { reader: "emea", schema: "hr", table: "salaries", rows: { "month(ts)": [3], "year(ts)": [2026] } },
  ],
});

function args(access: AccessSpec, partitionSpecs: LakeAccessArgs["partitionSpecs"] = specs): LakeAccessArgs {
  return {
    access,
    ownerProjectId: "1001",
    dataPrefix: "data/",
    connection: { host: "db.example.com", port: 5432, database: "lake", user: "owner", password: "owner-pw", sslmode: "verify-full" },
    guard,
    postgresqlProvider: pgProvider,
    awsProvider,
    bucket: "lake",
    layout: emptyLayout("s3://lake/data/"),
    partitionSpecs,
    s3Endpoint: "https://fsn1.your-objectstorage.com",
    s3Region: "fsn1",
    readerSecretKeys: pulumi.secret({}),
  };
}

async function build(access: AccessSpec, partitionSpecs?: LakeAccessArgs["partitionSpecs"]): Promise<{ la: LakeAccess; seen: Created[] }> {
  created = [];
  const la = new LakeAccess("lake-access", args(access, partitionSpecs));
  await promiseOf(
    pulumi.all([
      la.policyBytes,
      ...[...(await la.grants).values()].map((g) => g.urn),
      ...Object.values(la.acls).map((a) => a.urn),
    ] as pulumi.Output<unknown>[]),
  );
  await new Promise((r) => setTimeout(r, 20));
  return { la, seen: [...created] };
}
const byName = (seen: Created[]) => new Map(seen.map((c) => [c.name, c]));
const grantNames = (seen: Created[]) =>
  seen
    .filter((c) => c.type === "ducklake:access:Grant")
    .map((c) => c.name)
    .sort();

describe("LakeAccess with partition grants", () => {
  it("registers one Grant per partition grant, named by its content, with a valid URN", async () => {
    const { la, seen } = await build(sample());
    expect(grantNames(seen)).toEqual([
      "lake-access-grant-emea/hr/salaries/month(ts)=3/year(ts)=2026",
      "lake-access-grant-emea/sales/orders/region=apac,emea",
      "lake-access-grant-hr_partner/hr/salaries/year(ts)=2025,2026",
      "lake-access-grant-hr_partner/sales/orders",
    ]);
    expect(await promiseOf((await la.grants).get("hr_partner/hr/salaries/year(ts)=2025,2026")!.urn)).toBe(
      "urn:pulumi:test::lake::ducklake:access:LakeReader$ducklake:access:Grant::lake-access-grant-hr_partner/hr/salaries/year(ts)=2025,2026",
    );
  });

  it("puts each partition grant into its reader's ACL as a canonical filter, table grants unchanged", async () => {
    const { seen } = await build(sample());
    const m = byName(seen);
    expect(m.get("lake-access-acl-hr_partner")!.inputs.grants).toEqual([
      { schema: "hr", table: "salaries", rows: [{ column: "ts", transform: "year", values: ["2025", "2026"] }] },
      { schema: "sales", table: "orders" },
    ]);
    expect(m.get("lake-access-acl-emea")!.inputs.grants).toEqual([
      {
        schema: "hr",
        table: "salaries",
        rows: [
          { column: "ts", transform: "month", values: ["3"] },
          { column: "ts", transform: "year", values: ["2026"] },
        ],
      },
      { schema: "sales", table: "orders", rows: [{ column: "region", transform: "identity", values: ["apac", "emea"] }] },
    ]);
  });

  it("gives identical names and inputs for every order of grants, keys and values (seed 16)", async () => {
    const canon = (seen: Created[]) => seen.map((c) => JSON.stringify([c.type, c.name, c.inputs])).sort();
    const base = canon((await build(sample())).seen);
    const r = rng(16);
    const shuffle = <T>(xs: T[]) => [...xs].sort(() => r() - 0.5);
    for (let i = 0; i < 3; i++) {
      const s = sample();
      const grants = shuffle(s.grants).map((g) =>
        g.rows ? { ...g, rows: Object.fromEntries(shuffle(Object.entries(g.rows)).map(([k, v]) => [k, shuffle([...v])])) } : g,
      );
      expect(canon((await build({ readers: shuffle(s.readers), grants })).seen)).toEqual(base);
    }
  });

  it("changing one partition grant's values replaces exactly its Grant and changes exactly that ACL entry", async () => {
    const before = await build(sample());
    const s = sample();
    s.grants[0] = { ...s.grants[0], rows: { "year(ts)": [2026] } };
    const after = await build(s);
    const b = grantNames(before.seen),
      a = grantNames(after.seen);
    expect(a.filter((n) => !b.includes(n))).toEqual(["lake-access-grant-hr_partner/hr/salaries/year(ts)=2026"]);
    expect(b.filter((n) => !a.includes(n))).toEqual(["lake-access-grant-hr_partner/hr/salaries/year(ts)=2025,2026"]);
    const acl = (x: Created[], r: string) => byName(x).get(`lake-access-acl-${r}`)!.inputs.grants;
    expect(acl(after.seen, "emea")).toEqual(acl(before.seen, "emea"));
    expect(acl(after.seen, "hr_partner")).toEqual([
      { schema: "hr", table: "salaries", rows: [{ column: "ts", transform: "year", values: ["2026"] }] },
      { schema: "sales", table: "orders" },
    ]);
  });

  it("refuses, before registering anything, a partition grant the table's current spec cannot honour", async () => {
    const s = sample();
    s.grants.push({ reader: "emea", schema: "hr", table: "people", rows: { region: ["x"] } });
    created = [];
    let problems: string[] = [];
    try {
      new LakeAccess("lake-access", args(s));
    } catch (e) {
      expect(e).toBeInstanceOf(AccessValidationError);
      problems = (e as AccessValidationError).problems;
    }
    expect(problems).toEqual([
      'partition grant hr.people [region in ("x")] of "emea": hr.people is not partitioned, so none of its files holds only these rows: partition it first (ALTER TABLE hr.people SET PARTITIONED BY (…); only rows written afterwards are in partitions), or grant the whole table',
    ]);
    await new Promise((r) => setTimeout(r, 20));
    expect(created).toEqual([]);
  });

  it("refuses partition grants when no specs are passed", () => {
    expect(() => new LakeAccess("lake-access", { ...args(sample()), partitionSpecs: undefined })).toThrow(/got no partitionSpecs/);
  });

  it("with specs read at preview (an Output), a refusal keeps every ACL and the bucket policy from being registered", () => {
    // In its own process: jest turns the rejections Pulumi raises for the withheld resources into failures.
    // (Its exit status is Pulumi's verdict on the promises the failed inputs left pending; the JSON line is the result.)
    const out = spawnSync(
      process.execPath,
      [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "test/support/partitionRefusalProgram.ts"],
      { cwd: path.resolve(__dirname, "../.."), encoding: "utf8", timeout: 60000 },
    ).stdout;
    const r = JSON.parse(out.split("\n").find((l) => l.startsWith("{"))!);
    expect(r.registered).not.toContain("pulumi-nodejs:dynamic/ducklake:ReaderAcl"); // not even the other reader's
    expect(r.registered).not.toContain("aws:s3/bucketPolicy:BucketPolicy");
    expect(r.registered).toContain("ducklake:access:Grant"); // declared, but a Grant applies nothing by itself
    expect(r.errors.join("\n")).toContain(
      'partition grant hr.salaries [year(ts) in (2026)] of "hr_partner": hr.salaries is not partitioned',
    );
  });

  it("shows partition grants in the access matrix and the review", async () => {
    const { la } = await build(sample());
    expect((await promiseOf(la.accessMatrix)).hr_partner).toEqual({
      schemas: [],
      tables: [{ schema: "sales", table: "orders" }],
      partitions: [{ schema: "hr", table: "salaries", rows: "year(ts) in (2025, 2026)" }],
    });
    expect(await promiseOf(la.accessReview)).toContain(
      "| hr_partner | p2002:P2002000000000000001 | (server allow-list) | sales.orders, hr.salaries [year(ts) in (2025, 2026)] |",
    );
  });
});
