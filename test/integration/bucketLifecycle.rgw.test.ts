// The lifecycle rules resource (providers/bucketLifecycle.ts) against a real Ceph RGW: create, refresh, diff,
// update and delete converge; hand edits show up on refresh; and what the old aws.s3.BucketLifecycleConfiguration's
// delete does to the new rule when a stack moves over. Plus the adoption warning of components/lakeBucket.ts.
import {
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketTaggingCommand,
} from "@aws-sdk/client-s3";
import { randomBytes } from "crypto";
import { bucketLifecycleProvider as p, canonicalRules } from "../../providers/bucketLifecycle";
import { existingBucketWarning, STACK_TAG } from "../../components/lakeBucket";
import { createTestBucket, s3Client } from "../support/s3";
import { rgw } from "../support/services";

const svc = rgw();
const admin = s3Client(svc.admin);
const inputs = (bucket: string, rules = [{ id: "expire-catalog-backups", prefix: "backups/", expirationDays: 30 }]) => ({
  bucket,
  endpoint: svc.endpoint,
  region: svc.region,
  accessKey: svc.admin.accessKey,
  secretKey: svc.admin.secretKey,
  rules: canonicalRules(rules),
});
const serverRules = async (bucket: string) => (await admin.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules;

describe("BucketLifecycle on Ceph RGW", () => {
  let bucket: string;
  beforeEach(async () => {
    bucket = await createTestBucket("lifecycle");
  });

  it("create writes the rule and returns at once; a refresh right after shows no diff", async () => {
    const started = Date.now();
    const created = await p.create!(inputs(bucket));
    expect(Date.now() - started).toBeLessThan(10_000); // the aws resource waited 3 minutes here and failed
    expect(await serverRules(bucket)).toEqual([
      { ID: "expire-catalog-backups", Status: "Enabled", Filter: { Prefix: "backups/" }, Expiration: { Days: 30 } },
    ]);
    const refreshed = await p.read!(created.id, created.outs);
    expect(refreshed.props.rules).toEqual(created.outs.rules);
    expect((await p.diff!(created.id, refreshed.props, inputs(bucket))).changes).toBe(false);
  });

  it("update changes the days; a second update with the same inputs changes nothing", async () => {
    const created = await p.create!(inputs(bucket));
    const news = inputs(bucket, [{ id: "expire-catalog-backups", prefix: "backups/", expirationDays: 7 }]);
    expect((await p.diff!(created.id, created.outs, news)).changes).toBe(true);
    const updated = await p.update!(created.id, created.outs, news);
    expect((await serverRules(bucket))![0].Expiration).toEqual({ Days: 7 });
    expect((await p.diff!(created.id, (await p.read!(created.id, updated.outs!)).props, news)).changes).toBe(false);
  });

  it.each([
    [
      "days changed by hand",
      [{ ID: "expire-catalog-backups", Status: "Enabled", Filter: { Prefix: "backups/" }, Expiration: { Days: 3650 } }],
    ],
    [
      "rule disabled by hand",
      [{ ID: "expire-catalog-backups", Status: "Disabled", Filter: { Prefix: "backups/" }, Expiration: { Days: 30 } }],
    ],
    [
      "rule added by hand",
      [
        { ID: "expire-catalog-backups", Status: "Enabled", Filter: { Prefix: "backups/" }, Expiration: { Days: 30 } },
        { ID: "expire-data", Status: "Enabled", Filter: { Prefix: "data/" }, Expiration: { Days: 1 } },
      ],
    ],
  ])("refresh detects %s and update puts the declared rule back", async (_what, rules: any) => {
    const created = await p.create!(inputs(bucket));
    await admin.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } }));
    const refreshed = await p.read!(created.id, created.outs);
    expect((await p.diff!(created.id, refreshed.props, inputs(bucket))).changes).toBe(true);
    await p.update!(created.id, refreshed.props, inputs(bucket));
    expect(await serverRules(bucket)).toEqual([
      { ID: "expire-catalog-backups", Status: "Enabled", Filter: { Prefix: "backups/" }, Expiration: { Days: 30 } },
    ]);
  });

  it("delete removes the configuration and tolerates one already gone", async () => {
    const created = await p.create!(inputs(bucket));
    await p.delete!(created.id, created.outs);
    await expect(admin.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).rejects.toMatchObject({
      name: "NoSuchLifecycleConfiguration",
    });
    await p.delete!(created.id, created.outs);
    expect((await p.read!(created.id, created.outs)).props.rules).toEqual([]);
  });

  it("moving a stack over: the old resource's delete (DeleteBucketLifecycle) wipes the new rule; refresh sees it and up restores it", async () => {
    // Pulumi runs deletes of resources gone from the program after the creates: the new rule is written first.
    const created = await p.create!(inputs(bucket));
    // terraform-provider-aws internal/service/s3/bucket_lifecycle_configuration.go, Delete: DeleteBucketLifecycle
    // for the bucket (the whole configuration, there is no per-rule call).
    await admin.send(new DeleteBucketLifecycleCommand({ Bucket: bucket }));
    const refreshed = await p.read!(created.id, created.outs);
    expect(refreshed.props.rules).toEqual([]);
    expect((await p.diff!(created.id, refreshed.props, inputs(bucket))).changes).toBe(true);
    await p.update!(created.id, refreshed.props, inputs(bucket));
    expect(await serverRules(bucket)).toHaveLength(1);
  });
});

describe("adopting an existing bucket", () => {
  const q = (bucket: string, stackTag = "ducklake/prod") => ({
    bucket,
    endpoint: svc.endpoint,
    region: svc.region,
    accessKey: svc.admin.accessKey,
    secretKey: svc.admin.secretKey,
    stackTag,
  });

  it("says nothing for a bucket that does not exist yet or that this stack tagged", async () => {
    expect(await existingBucketWarning(q(`absent-${randomBytes(4).toString("hex")}`))).toBeUndefined();
    const bucket = await createTestBucket("adopt");
    await admin.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: STACK_TAG, Value: "ducklake/prod" }] } }));
    expect(await existingBucketWarning(q(bucket))).toBeUndefined();
  });

  it("warns about an untagged owned bucket, one of another stack, and one of another project", async () => {
    const bucket = await createTestBucket("adopt");
    expect(await existingBucketWarning(q(bucket))).toMatch(
      /already exists in the owner project and carries no ducklake-stack tag.*pulumi import aws:s3\/bucket:Bucket/,
    );
    await admin.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: STACK_TAG, Value: "ducklake/staging" }] } }));
    expect(await existingBucketWarning(q(bucket))).toMatch(/created by stack ducklake\/staging/);
    const foreign = { ...q(bucket), accessKey: svc.readers[0].accessKey, secretKey: svc.readers[0].secretKey };
    expect(await existingBucketWarning(foreign)).toMatch(/belongs to another project/);
  });
});
