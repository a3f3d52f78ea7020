// The storage guard on a real Ceph RGW (the software behind Hetzner Object Storage): generated policies are
// applied with the S3 API and every reader key is checked against the whole access matrix.
import {
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import { NormalizedGrant, ReaderSpec } from "../../model/accessSpec";
import { BucketPolicy, buildBucketPolicy, evaluatePolicy, S3Action } from "../../model/bucketPolicy";
import { emptyLayout, LakeLayout } from "../../model/lakePaths";
import { principalArn, principalProblem } from "../../model/principal";
import { pick, rng, subset } from "../support/random";
import { createTestBucket, s3Client } from "../support/s3";
import { rgw, S3Key } from "../support/services";

const svc = rgw();
const admin = s3Client(svc.admin);
let checks = 0;
afterAll(() => {
  console.log(`storage guard RGW checks passed: ${checks}`);
});

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    const code = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (code === undefined) throw e;
    return code;
  }
}

/** One observed request compared with what the grants say and with the reference evaluator. */
interface Probe {
  who: string;
  what: string;
  expected: number;
  run: () => Promise<unknown>;
  evaluator?: boolean;
}
async function verify(probes: Probe[]): Promise<void> {
  const observed = await Promise.all(probes.map((p) => status(p.run())));
  const wrong = probes
    .map((p, i) => ({ ...p, got: observed[i] }))
    .filter((p) => p.got !== p.expected || (p.evaluator !== undefined && (p.evaluator ? 200 : 403) !== p.expected));
  checks += probes.length;
  expect(wrong.map((w) => `${w.who} ${w.what}: expected ${w.expected}, RGW ${w.got}, evaluator ${w.evaluator}`)).toEqual([]);
}

function grant(reader: string, schema: string, table: string | null): NormalizedGrant {
  return { reader, schema, table, mode: "read", key: `${reader}/${schema}/${table ?? "*"}` };
}

async function apply(bucket: string, policy: BucketPolicy): Promise<void> {
  expect(policy.problems).toEqual([]);
  await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy.json }));
}

const readerKeys = svc.readers;
const readers: ReaderSpec[] = readerKeys.map((k, i) => ({
  name: `r${i}`,
  principal: { projectId: svc.readerProject, accessKey: k.accessKey },
}));
const client = new Map<string, S3Client>(readers.map((r, i) => [r.name, s3Client(readerKeys[i])]));

// Tables by folder; `sales/orders_archive` shares a name prefix with `sales/orders` on purpose.
const TABLES: Array<[string, string]> = [
  ["sales", "orders"],
  ["sales", "orders_archive"],
  ["sales", "items"],
  ["hr", "salaries"],
  ["mkt", "campaigns"],
];
function layoutFor(bucket: string, tables = TABLES): LakeLayout {
  const layout = emptyLayout(`s3://${bucket}/data/`);
  const schemas = [...new Set(tables.map(([s]) => s))];
  layout.schemas = schemas.map((s, i) => ({ schemaId: i, name: s, path: `${s}/`, pathIsRelative: true }));
  layout.tables = tables.map(([s, t], i) => ({ tableId: 100 + i, schema: s, name: t, path: `${t}/`, pathIsRelative: true }));
  return layout;
}
const objectOf = ([s, t]: [string, string]) => `data/${s}/${t}/ducklake-0001.parquet`;
const canRead = (grants: NormalizedGrant[], reader: string, [s, t]: [string, string]) =>
  grants.some((g) => g.reader === reader && g.schema === s && (g.table === null || g.table === t));

async function seed(bucket: string, tables = TABLES): Promise<void> {
  const keys = [...tables.map(objectOf), "backups/catalog-2026-01-01.dump", "top.txt", "data/stray.parquet"];
  await Promise.all(keys.map((Key) => admin.send(new PutObjectCommand({ Bucket: bucket, Key, Body: "x" }))));
}

/** The full matrix for every reader key: reads inside granted folders, everything else refused. */
function matrix(bucket: string, policy: BucketPolicy, grants: NormalizedGrant[], listing: boolean): Probe[] {
  const probes: Probe[] = [];
  const ev = (r: ReaderSpec, action: S3Action, target: string | undefined) =>
    evaluatePolicy(policy.document, principalArn(r.principal), action, target, { bucket });
  for (const r of readers) {
    const c = client.get(r.name)!;
    const who = r.name;
    for (const table of TABLES) {
      const key = objectOf(table);
      const folder = `data/${table[0]}/${table[1]}/`;
      const ok = canRead(grants, r.name, table);
      const read = ok ? 200 : 403;
      const list = ok && listing ? 200 : 403;
      probes.push(
        {
          who,
          what: `GET ${key}`,
          expected: read,
          evaluator: ev(r, "s3:GetObject", key),
          run: () => c.send(new GetObjectCommand({ Bucket: bucket, Key: key })),
        },
        { who, what: `HEAD ${key}`, expected: read, run: () => c.send(new HeadObjectCommand({ Bucket: bucket, Key: key })) },
        {
          who,
          what: `LISTv2 ${folder}`,
          expected: list,
          evaluator: ev(r, "s3:ListBucket", folder),
          run: () => c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folder })),
        },
        { who, what: `LISTv1 ${folder}`, expected: list, run: () => c.send(new ListObjectsCommand({ Bucket: bucket, Prefix: folder })) },
        {
          who,
          what: `LISTv2 ${folder} delimiter /`,
          expected: list,
          run: () => c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folder, Delimiter: "/" })),
        },
        // A prefix without the trailing slash would also list sibling tables (orders → orders_archive):
        // refused unless the reader holds the whole schema.
        {
          who,
          what: `LISTv2 ${folder.slice(0, -1)}`,
          expected: listing && grants.some((g) => g.reader === r.name && g.schema === table[0] && g.table === null) ? 200 : 403,
          evaluator: ev(r, "s3:ListBucket", folder.slice(0, -1)),
          run: () => c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folder.slice(0, -1) })),
        },
        {
          who,
          what: `PUT ${folder}new.parquet`,
          expected: 403,
          evaluator: ev(r, "s3:PutObject", `${folder}new.parquet`),
          run: () => c.send(new PutObjectCommand({ Bucket: bucket, Key: `${folder}new.parquet`, Body: "y" })),
        },
        {
          who,
          what: `DELETE ${key}`,
          expected: 403,
          evaluator: ev(r, "s3:DeleteObject", key),
          run: () => c.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
        },
      );
    }
    for (const schema of ["sales", "hr", "mkt"]) {
      const ok = grants.some((g) => g.reader === r.name && g.schema === schema && g.table === null) && listing;
      probes.push({
        who,
        what: `LISTv2 data/${schema}/`,
        expected: ok ? 200 : 403,
        evaluator: ev(r, "s3:ListBucket", `data/${schema}/`),
        run: () => c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `data/${schema}/` })),
      });
    }
    probes.push(
      {
        who,
        what: "GET backups/…",
        expected: 403,
        evaluator: ev(r, "s3:GetObject", "backups/catalog-2026-01-01.dump"),
        run: () => c.send(new GetObjectCommand({ Bucket: bucket, Key: "backups/catalog-2026-01-01.dump" })),
      },
      {
        who,
        what: "LISTv2 backups/",
        expected: 403,
        evaluator: ev(r, "s3:ListBucket", "backups/"),
        run: () => c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "backups/" })),
      },
      {
        who,
        what: "GET top.txt",
        expected: 403,
        evaluator: ev(r, "s3:GetObject", "top.txt"),
        run: () => c.send(new GetObjectCommand({ Bucket: bucket, Key: "top.txt" })),
      },
      {
        who,
        what: "GET data/stray.parquet",
        expected: 403,
        evaluator: ev(r, "s3:GetObject", "data/stray.parquet"),
        run: () => c.send(new GetObjectCommand({ Bucket: bucket, Key: "data/stray.parquet" })),
      },
      {
        who,
        what: "LISTv2 (bucket root)",
        expected: 403,
        evaluator: ev(r, "s3:ListBucket", undefined),
        run: () => c.send(new ListObjectsV2Command({ Bucket: bucket })),
      },
      {
        who,
        what: "LISTv1 (bucket root) delimiter /",
        expected: 403,
        run: () => c.send(new ListObjectsCommand({ Bucket: bucket, Delimiter: "/" })),
      },
      {
        who,
        what: "LISTv2 data/",
        expected: 403,
        evaluator: ev(r, "s3:ListBucket", "data/"),
        run: () => c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "data/" })),
      },
      { who, what: "HEAD bucket", expected: 403, run: () => c.send(new HeadBucketCommand({ Bucket: bucket })) },
      {
        who,
        what: "GET policy",
        expected: 403,
        evaluator: ev(r, "s3:GetBucketPolicy", undefined),
        run: () => c.send(new GetBucketPolicyCommand({ Bucket: bucket })),
      },
      {
        who,
        what: "PUT policy",
        expected: 403,
        evaluator: ev(r, "s3:PutBucketPolicy", undefined),
        run: () =>
          c.send(
            new PutBucketPolicyCommand({
              Bucket: bucket,
              Policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:*", Resource: `arn:aws:s3:::${bucket}/*` }],
              }),
            }),
          ),
      },
      {
        who,
        what: "DELETE policy",
        expected: 403,
        evaluator: ev(r, "s3:DeleteBucketPolicy", undefined),
        run: () => c.send(new DeleteBucketPolicyCommand({ Bucket: bucket })),
      },
    );
  }
  return probes;
}

describe("bucket policy on Ceph RGW", () => {
  // r6 stays without grants: a key of the readers project that was not granted anything.
  const grants = [
    grant("r0", "sales", "orders"),
    grant("r1", "sales", null),
    grant("r2", "hr", "salaries"),
    grant("r2", "mkt", "campaigns"),
    grant("r3", "sales", "orders"),
    grant("r4", "sales", "items"),
    grant("r5", "mkt", null),
    grant("r7", "sales", "orders"),
    grant("r7", "hr", null),
  ];
  let bucket: string;
  beforeAll(async () => {
    bucket = await createTestBucket("bp");
    await seed(bucket);
  });

  it.each([true, false])("gives every reader key exactly its granted folders (listing %s)", async (listing) => {
    const policy = buildBucketPolicy({
      bucket,
      ownerProjectId: svc.adminProject,
      readers,
      grants,
      layout: layoutFor(bucket),
      allowListing: listing,
    });
    await apply(bucket, policy);
    await verify(matrix(bucket, policy, grants, listing));
  });

  it("revoking a grant and re-applying refuses the next request at once; granting opens it at once", async () => {
    const layout = layoutFor(bucket);
    const build = (gs: NormalizedGrant[]) => buildBucketPolicy({ bucket, ownerProjectId: svc.adminProject, readers, grants: gs, layout });
    const r0 = client.get("r0")!;
    const get = (c: S3Client, key: string) => status(c.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    await apply(bucket, build(grants));
    expect(await get(r0, objectOf(["sales", "orders"]))).toBe(200);
    const revoked = grants.filter((g) => g.key !== "r0/sales/orders");
    await apply(bucket, build(revoked));
    expect(await get(r0, objectOf(["sales", "orders"]))).toBe(403);
    // r3 and r7 shared r0's statement: they keep access.
    expect(await get(client.get("r3")!, objectOf(["sales", "orders"]))).toBe(200);
    expect(await get(client.get("r7")!, objectOf(["sales", "orders"]))).toBe(200);
    await apply(bucket, build([...revoked, grant("r6", "hr", "salaries")]));
    expect(await get(client.get("r6")!, objectOf(["hr", "salaries"]))).toBe(200);
    expect(await get(client.get("r6")!, objectOf(["sales", "orders"]))).toBe(403);
    checks += 6;
  });

  it("matches the reference evaluator and the grants for randomized grant sets", async () => {
    const schemas = ["s1", "s2", "s3"];
    const tables: Array<[string, string]> = schemas.flatMap((s) => ["a", "b", "c_d", "a-x"].map((t) => [s, t] as [string, string]));
    const b2 = await createTestBucket("bprand");
    await seed(b2, tables);
    const layout = layoutFor(b2, tables);
    for (const seedNo of [1, 2, 3, 4]) {
      const r = rng(seedNo);
      const gs: NormalizedGrant[] = [];
      for (const reader of readers) {
        for (const s of subset(r, schemas, 0.2)) gs.push(grant(reader.name, s, null));
        for (const [s, t] of subset(r, tables, 0.25)) gs.push(grant(reader.name, s, t));
      }
      const shuffled = [...gs].sort(() => r() - 0.5);
      const policy = buildBucketPolicy({
        bucket: b2,
        ownerProjectId: svc.adminProject,
        readers,
        grants: shuffled,
        layout,
        allowListing: r() < 0.5,
      });
      // Same grants in another order: byte-identical document.
      expect(
        buildBucketPolicy({
          bucket: b2,
          ownerProjectId: svc.adminProject,
          readers: [...readers].reverse(),
          grants: gs,
          layout,
          allowListing: policy.json.includes("s3:ListBucket"),
        }).json,
      ).toBe(policy.json);
      await apply(b2, policy);
      const probes: Probe[] = [];
      for (const reader of readers) {
        const c = client.get(reader.name)!;
        const arn = principalArn(reader.principal);
        for (const table of tables) {
          const key = objectOf(table);
          probes.push({
            who: `seed ${seedNo} ${reader.name}`,
            what: `GET ${key}`,
            expected: canRead(gs, reader.name, table) ? 200 : 403,
            evaluator: evaluatePolicy(policy.document, arn, "s3:GetObject", key, { bucket: b2 }),
            run: () => c.send(new GetObjectCommand({ Bucket: b2, Key: key })),
          });
        }
        const probePrefix = pick(r, tables);
        const folder = `data/${probePrefix[0]}/${probePrefix[1]}/`;
        const listOk = policy.json.includes("s3:ListBucket") && canRead(gs, reader.name, probePrefix);
        probes.push({
          who: `seed ${seedNo} ${reader.name}`,
          what: `LIST ${folder}`,
          expected: listOk ? 200 : 403,
          evaluator: evaluatePolicy(policy.document, arn, "s3:ListBucket", folder, { bucket: b2 }),
          run: () => c.send(new ListObjectsV2Command({ Bucket: b2, Prefix: folder })),
        });
      }
      await verify(probes);
    }
  });
});

describe("a reader key from the bucket owner's project", () => {
  let bucket: string;
  let ownerKey: S3Key;
  beforeAll(async () => {
    bucket = await createTestBucket("bpown");
    await seed(bucket);
    // A second key of the owner project (Hetzner: another credential of the same project).
    const accessKey = `P1001${randomBytes(8).toString("hex").toUpperCase().slice(0, 15)}`;
    const secretKey = randomBytes(20).toString("hex");
    execFileSync(
      "radosgw-admin",
      [
        "-c",
        svc.cephConf,
        "subuser",
        "create",
        "--uid=p1001",
        `--subuser=p1001:${accessKey}`,
        "--key-type=s3",
        "--access=full",
        `--access-key=${accessKey}`,
        `--secret-key=${secretKey}`,
      ],
      { stdio: "ignore" },
    );
    ownerKey = { accessKey, secretKey };
  });

  it("is refused by default, with the reason", () => {
    const owner: ReaderSpec = { name: "insider", principal: { projectId: svc.adminProject, accessKey: ownerKey.accessKey } };
    expect(principalProblem(owner.principal, svc.adminProject)).toMatch(/owns the bucket.*separate Hetzner project/s);
    const policy = buildBucketPolicy({
      bucket,
      ownerProjectId: svc.adminProject,
      readers: [owner],
      grants: [grant("insider", "sales", "orders")],
      layout: layoutFor(bucket),
    });
    expect(policy.problems.join("\n")).toMatch(/reader "insider".*owns the bucket/s);
  });

  it("is confined on this bucket by the Deny-based fallback (an Allow alone would not narrow it)", async () => {
    const owner: ReaderSpec = { name: "insider", principal: { projectId: svc.adminProject, accessKey: ownerKey.accessKey } };
    const c = s3Client(ownerKey);
    const gs = [grant("insider", "sales", "orders")];
    for (const listing of [true, false]) {
      const policy = buildBucketPolicy({
        bucket,
        ownerProjectId: svc.adminProject,
        readers: [owner],
        grants: gs,
        layout: layoutFor(bucket),
        allowListing: listing,
        ownerProjectKeys: "deny",
      });
      await apply(bucket, policy);
      const arn = principalArn(owner.principal);
      const ev = (a: S3Action, t: string | undefined) => evaluatePolicy(policy.document, arn, a, t, { bucket, owner: true });
      const probes: Probe[] = [];
      for (const table of TABLES) {
        const ok = canRead(gs, "insider", table) ? 200 : 403;
        const folder = `data/${table[0]}/${table[1]}/`;
        probes.push(
          {
            who: "insider",
            what: `GET ${objectOf(table)}`,
            expected: ok,
            evaluator: ev("s3:GetObject", objectOf(table)),
            run: () => c.send(new GetObjectCommand({ Bucket: bucket, Key: objectOf(table) })),
          },
          {
            who: "insider",
            what: `HEAD ${objectOf(table)}`,
            expected: ok,
            run: () => c.send(new HeadObjectCommand({ Bucket: bucket, Key: objectOf(table) })),
          },
          {
            who: "insider",
            what: `LIST ${folder}`,
            expected: listing && ok === 200 ? 200 : 403,
            evaluator: ev("s3:ListBucket", folder),
            run: () => c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folder })),
          },
          {
            who: "insider",
            what: `PUT ${folder}x`,
            expected: 403,
            evaluator: ev("s3:PutObject", `${folder}x`),
            run: () => c.send(new PutObjectCommand({ Bucket: bucket, Key: `${folder}x`, Body: "y" })),
          },
          {
            who: "insider",
            what: `DELETE ${objectOf(table)}`,
            expected: 403,
            evaluator: ev("s3:DeleteObject", objectOf(table)),
            run: () => c.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectOf(table) })),
          },
        );
      }
      probes.push(
        {
          who: "insider",
          what: "GET backups/…",
          expected: 403,
          evaluator: ev("s3:GetObject", "backups/catalog-2026-01-01.dump"),
          run: () => c.send(new GetObjectCommand({ Bucket: bucket, Key: "backups/catalog-2026-01-01.dump" })),
        },
        {
          who: "insider",
          what: "LIST (root)",
          expected: 403,
          evaluator: ev("s3:ListBucket", undefined),
          run: () => c.send(new ListObjectsV2Command({ Bucket: bucket })),
        },
        {
          who: "insider",
          what: "LIST data/",
          expected: 403,
          evaluator: ev("s3:ListBucket", "data/"),
          run: () => c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "data/" })),
        },
        {
          who: "insider",
          what: "GET policy",
          expected: 403,
          evaluator: ev("s3:GetBucketPolicy", undefined),
          run: () => c.send(new GetBucketPolicyCommand({ Bucket: bucket })),
        },
        {
          who: "insider",
          what: "PUT policy",
          expected: 403,
          evaluator: ev("s3:PutBucketPolicy", undefined),
          run: () =>
            c.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: "2012-10-17", Statement: [] }) })),
        },
        {
          who: "insider",
          what: "DELETE policy",
          expected: 403,
          evaluator: ev("s3:DeleteBucketPolicy", undefined),
          run: () => c.send(new DeleteBucketPolicyCommand({ Bucket: bucket })),
        },
      );
      await verify(probes);
      // The admin key is untouched by the insider's Deny statements.
      expect(await status(admin.send(new GetObjectCommand({ Bucket: bucket, Key: "backups/catalog-2026-01-01.dump" })))).toBe(200);
      expect(await status(admin.send(new GetBucketPolicyCommand({ Bucket: bucket })))).toBe(200);
      checks += 2;
    }
  });
});
