// LakeBucket under Pulumi mocks (protect, lifecycle resource, secrets) and the lifecycle provider's pure parts.
import * as pulumi from "@pulumi/pulumi";
import { bucketLifecycleProvider, canonicalRules, expirationRuleProblems, liveRule } from "../../providers/bucketLifecycle";

const created: Array<{ type: string; name: string; inputs: Record<string, any> }> = [];
pulumi.runtime.setMocks(
  {
    newResource: (a) => {
      created.push({ type: a.type, name: a.name, inputs: a.inputs });
      return { id: `${a.name}-id`, state: a.inputs };
    },
    call: (a) => a.inputs,
  },
  "ducklake",
  "test",
  true,
);

const args = {
  bucketName: "lake",
  endpoint: "http://127.0.0.1:9",
  region: "us-east-1",
  accessKey: "AK",
  secretKey: "SK",
  backupsPrefix: "backups/",
  backupRetentionDays: 14,
};
const promiseOf = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

describe("LakeBucket", () => {
  it("protects the bucket only when asked (prod), never the provider", async () => {
    const { LakeBucket } = await import("../../components/lakeBucket");
    const off = new LakeBucket("a", args);
    const on = new LakeBucket("b", { ...args, protect: true });
    expect([(off.bucket as any).__protect, (on.bucket as any).__protect]).toEqual([false, true]);
    expect((on.provider as any).__protect).toBeFalsy();
  });

  it("registers the backup expiry as a BucketLifecycle with secret keys, not aws.s3.BucketLifecycleConfiguration", async () => {
    const { LakeBucket } = await import("../../components/lakeBucket");
    const lb = new LakeBucket("c", args);
    await promiseOf(lb.lifecycle.urn);
    expect(created.some((r) => r.type.startsWith("aws:s3/bucketLifecycleConfiguration"))).toBe(false);
    expect(await promiseOf(lb.lifecycle.rules as pulumi.Output<any>)).toEqual([
      { id: "expire-catalog-backups", prefix: "backups/", expirationDays: 14 },
    ]);
    expect([await pulumi.isSecret(lb.lifecycle.accessKey), await pulumi.isSecret(lb.lifecycle.secretKey)]).toEqual([true, true]);
  });
});

describe("lifecycle rules", () => {
  it("refuses rules that would expire the whole lake or cannot be written", () => {
    expect(expirationRuleProblems([{ id: "a", prefix: "", expirationDays: 1 }])).toEqual([expect.stringMatching(/whole lake/)]);
    expect(expirationRuleProblems([{ id: "a", prefix: "b/", expirationDays: 0 }])).toEqual([expect.stringMatching(/at least 1/)]);
    expect(
      expirationRuleProblems([
        { id: "a", prefix: "b/", expirationDays: 1 },
        { id: "a", prefix: "c/", expirationDays: 2 },
      ]),
    ).toEqual([expect.stringMatching(/used twice/)]);
    expect(expirationRuleProblems([{ id: "a", prefix: "b/", expirationDays: 30 }])).toEqual([]);
  });

  it("reads a server rule into the compared shape, keeping anything unmanaged visible", () => {
    expect(liveRule({ ID: "x", Status: "Enabled", Filter: { Prefix: "backups/" }, Expiration: { Days: 30 } })).toEqual({
      id: "x",
      prefix: "backups/",
      expirationDays: 30,
      status: "Enabled",
    });
    expect(liveRule({ ID: "x", Status: "Disabled", Prefix: "backups/", Expiration: { Days: 30 }, Transitions: [{ Days: 1 }] })).toEqual({
      id: "x",
      prefix: "backups/",
      expirationDays: 30,
      status: "Disabled",
      unmanaged: JSON.stringify({ Transitions: [{ Days: 1 }] }),
    });
  });

  it("diffs on rule content only, in any order; a new bucket or endpoint replaces", async () => {
    const s = {
      bucket: "lake",
      endpoint: "e",
      region: "r",
      accessKey: "a",
      secretKey: "s",
      rules: canonicalRules([
        { id: "b", prefix: "y/", expirationDays: 2 },
        { id: "a", prefix: "x/", expirationDays: 1 },
      ]),
    };
    const same = {
      ...s,
      rules: canonicalRules([
        { id: "a", prefix: "x/", expirationDays: 1 },
        { id: "b", prefix: "y/", expirationDays: 2 },
      ]),
    };
    expect((await bucketLifecycleProvider.diff!("lake", s, same)).changes).toBe(false);
    expect(
      (await bucketLifecycleProvider.diff!("lake", s, { ...same, rules: canonicalRules([{ id: "a", prefix: "x/", expirationDays: 9 }]) }))
        .changes,
    ).toBe(true);
    expect((await bucketLifecycleProvider.diff!("lake", s, { ...same, bucket: "other" })).replaces).toEqual(["bucket"]);
    const check = await bucketLifecycleProvider.check!({}, { ...s, rules: [{ id: "a", prefix: "", expirationDays: 1 }] });
    expect(check.failures).toEqual([{ property: "rules", reason: expect.stringMatching(/whole lake/) }]);
  });
});

describe("existingBucketWarning", () => {
  it("fails fast on an unreachable endpoint (LakeBucket then skips the warning)", async () => {
    const { existingBucketWarning } = await import("../../components/lakeBucket");
    const started = Date.now();
    await expect(
      existingBucketWarning({
        bucket: "lake",
        endpoint: "http://127.0.0.1:9",
        region: "us-east-1",
        accessKey: "a",
        secretKey: "s",
        stackTag: "d/p",
      }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
