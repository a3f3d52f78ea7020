import * as pulumi from "@pulumi/pulumi";
import { NormalizedGrant, ReaderSpec } from "../../model/accessSpec";
import { buildBucketPolicy, BucketPolicyInput, evaluatePolicy, globMatch } from "../../model/bucketPolicy";
import { emptyLayout } from "../../model/lakePaths";
import { principalArn } from "../../model/principal";
import { rng, subset } from "../support/random";

const key = (i: number) => `K${String(i).padStart(19, "0")}`;
const reader = (i: number, project = "2002"): ReaderSpec => ({ name: `r${i}`, principal: { projectId: project, accessKey: key(i) } });
const grant = (r: string, schema: string, table: string | null): NormalizedGrant => ({
  reader: r,
  schema,
  table,
  mode: "read",
  key: `${r}/${schema}/${table ?? "*"}`,
});
const base = (over: Partial<BucketPolicyInput> = {}): BucketPolicyInput => ({
  bucket: "lake",
  ownerProjectId: "1001",
  readers: [reader(1), reader(2), reader(3)],
  layout: emptyLayout("s3://lake/data/"),
  grants: [grant("r1", "sales", "orders"), grant("r2", "sales", "orders"), grant("r3", "hr", null)],
  ...over,
});

describe("buildBucketPolicy", () => {
  it("grants GetObject on each reader's folders only, readers with identical sets sharing one statement", () => {
    const p = buildBucketPolicy(base());
    expect(p.problems).toEqual([]);
    expect(p.document.Statement).toEqual(
      [
        {
          Effect: "Allow",
          Principal: { AWS: [principalArn(reader(1).principal), principalArn(reader(2).principal)] },
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::lake/data/sales/orders/*",
        },
        {
          Effect: "Allow",
          Principal: { AWS: principalArn(reader(3).principal) },
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::lake/data/hr/*",
        },
      ].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)),
    );
    expect(p.readerPrefixes).toEqual({ r1: ["data/sales/orders/"], r2: ["data/sales/orders/"], r3: ["data/hr/"] });
    expect(p.bytes).toBe(Buffer.byteLength(p.json));
    expect(p.headroomBytes).toBe(1_000_000 - p.bytes);
  });

  it("adds ListBucket limited by s3:prefix only when listing is on", () => {
    const p = buildBucketPolicy(base({ allowListing: true }));
    const lists = p.document.Statement.filter((s) => s.Action === "s3:ListBucket");
    expect(lists.map((s) => s.Condition)).toEqual(
      expect.arrayContaining([{ StringLike: { "s3:prefix": ["data/hr/*"] } }, { StringLike: { "s3:prefix": ["data/sales/orders/*"] } }]),
    );
    expect(lists.every((s) => s.Resource === "arn:aws:s3:::lake")).toBe(true);
    const actions = new Set(p.document.Statement.flatMap((s) => s.Action));
    expect([...actions].sort()).toEqual(["s3:GetObject", "s3:ListBucket"]);
  });

  it("is byte-identical for the same grants and readers in any order (randomized)", () => {
    const r = rng(7);
    const readers = Array.from({ length: 12 }, (_, i) => reader(i));
    const tables = ["a", "b", "c", "d", "e"].flatMap((s) => ["t1", "t2", "t3"].map((t) => [s, t] as const));
    for (let round = 0; round < 20; round++) {
      const gs = readers.flatMap((rd) => subset(r, tables, 0.3).map(([s, t]) => grant(rd.name, s, r() < 0.2 ? null : t)));
      const a = buildBucketPolicy(base({ readers, grants: gs, allowListing: true }));
      const b = buildBucketPolicy(
        base({ readers: [...readers].sort(() => r() - 0.5), grants: [...gs].sort(() => r() - 0.5), allowListing: true }),
      );
      expect(b.json).toBe(a.json);
      // Every (reader, table) pair is decided as the grants say.
      for (const rd of readers)
        for (const [s, t] of tables) {
          const want = gs.some((g) => g.reader === rd.name && g.schema === s && (g.table === null || g.table === t));
          expect(
            evaluatePolicy(a.document, principalArn(rd.principal), "s3:GetObject", `data/${s}/${t}/f.parquet`, { bucket: "lake" }),
          ).toBe(want);
        }
    }
  });

  it("refuses an over-limit policy, saying by how much and how to fix it", () => {
    const readers = Array.from({ length: 50 }, (_, i) => reader(i));
    const gs = readers.flatMap((rd, i) => Array.from({ length: 40 }, (_, t) => grant(rd.name, `schema_${i}`, `table_${t}`)));
    const p = buildBucketPolicy(base({ readers, grants: gs, limitBytes: 50_000 }));
    expect(p.bytes).toBeGreaterThan(50_000);
    expect(p.headroomBytes).toBe(50_000 - p.bytes);
    expect(p.problems).toEqual([
      expect.stringMatching(
        new RegExp(
          `is ${p.bytes.toLocaleString("en")} bytes, ${(p.bytes - 50_000).toLocaleString("en")} over the 50,000-byte limit[^]*schema grants: replacing the table grants`,
        ),
      ),
    ]);
  });

  it.each<[string, Partial<BucketPolicyInput>, RegExp]>([
    ["owner-project key", { readers: [reader(1, "1001")], grants: [grant("r1", "sales", null)] }, /owns the bucket/],
    ["undeclared reader", { grants: [grant("ghost", "sales", null)] }, /reader "ghost", which is not declared/],
    ["shared key", { readers: [reader(1), { ...reader(1), name: "r9" }], grants: [] }, /use the same access key/],
    ["data path in another bucket", { layout: emptyLayout("s3://other/data/") }, /not in bucket lake/],
  ])("reports a problem: %s", (_, over, message) => {
    expect(buildBucketPolicy(base(over)).problems.join("\n")).toMatch(message);
  });

  it("refuses a folder that would expose a table the reader is not granted", () => {
    const layout = emptyLayout("s3://lake/data/");
    layout.schemas = [
      { name: "sales", path: "sales/", pathIsRelative: true },
      { name: "hr", path: "hr/", pathIsRelative: true },
    ];
    layout.tables = [{ schema: "hr", name: "salaries", path: "s3://lake/data/sales/salaries/", pathIsRelative: false }];
    const p = buildBucketPolicy(base({ layout, grants: [grant("r1", "sales", null)] }));
    expect(p.problems.join()).toMatch(/overlaps folder "data\/sales\/salaries\/" of table "hr"."salaries"/);
    expect(buildBucketPolicy(base({ layout, grants: [grant("r1", "sales", null), grant("r1", "hr", "salaries")] })).problems).toEqual([]);
  });

  it("confines an owner-project key with Deny statements when the fallback is chosen", () => {
    const p = buildBucketPolicy(base({ readers: [reader(1, "1001")], grants: [grant("r1", "sales", "orders")], ownerProjectKeys: "deny" }));
    expect(p.problems).toEqual([]);
    expect(p.document.Statement.every((s) => s.Effect === "Deny")).toBe(true);
    const arn = principalArn(reader(1, "1001").principal);
    const ev = (a: Parameters<typeof evaluatePolicy>[2], t?: string) =>
      evaluatePolicy(p.document, arn, a, t, { bucket: "lake", owner: true });
    expect(ev("s3:GetObject", "data/sales/orders/x")).toBe(true);
    expect(ev("s3:GetObject", "data/hr/x")).toBe(false);
    expect(ev("s3:PutObject", "data/sales/orders/x")).toBe(false);
    expect(ev("s3:PutBucketPolicy")).toBe(false);
    expect(ev("s3:ListBucket", undefined)).toBe(false);
  });
});

describe("evaluatePolicy", () => {
  it.each([
    ["a/*", "a/b/c", true],
    ["a/*", "a/", true],
    ["a/*", "a", false],
    ["a?c", "abc", true],
    ["a.c", "abc", false],
  ])("globMatch(%s, %s) = %s", (p, v, want) => {
    expect(globMatch(p, v)).toBe(want);
  });
});

// The component: one aws.s3.BucketPolicy on the explicit provider, computed document, size outputs.
describe("BucketAccessPolicy component", () => {
  const created: Array<{ type: string; name: string; inputs: Record<string, unknown>; provider?: string }> = [];
  beforeAll(() => {
    pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          created.push({ type: a.type, name: a.name, inputs: a.inputs, provider: a.provider });
          return { id: `${a.name}-id`, state: a.inputs };
        },
        call: (a) => a.inputs,
      },
      "ducklake",
      "test",
      false,
    );
  });
  const promiseOf = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

  it("creates one BucketPolicy child with the built document on the given provider and exposes its size", async () => {
    const aws = await import("@pulumi/aws");
    const { BucketAccessPolicy } = await import("../../components/bucketAccessPolicy");
    const provider = new aws.Provider("s3", { region: "us-east-1" });
    const c = new BucketAccessPolicy("lake-access", { ...base(), provider });
    const [json, bytes, headroom] = await Promise.all([promiseOf(c.json), promiseOf(c.bytes), promiseOf(c.headroomBytes)]);
    await promiseOf(c.policy.urn);
    const policy = created.find((r) => r.type === "aws:s3/bucketPolicy:BucketPolicy")!;
    expect(policy.name).toBe("lake-access-bucket-policy");
    expect(policy.inputs).toEqual({ bucket: "lake", policy: buildBucketPolicy(base()).json });
    expect(policy.provider).toMatch(/::s3::/);
    expect(json).toBe(buildBucketPolicy(base()).json);
    expect(bytes).toBe(Buffer.byteLength(json));
    expect(headroom).toBe(1_000_000 - bytes);
    expect(created.filter((r) => r.type === "ducklake:storage:BucketAccessPolicy").map((r) => r.name)).toEqual(["lake-access"]);
  });
});
