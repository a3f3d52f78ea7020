// What terraform-provider-aws v6 (bridged by @pulumi/aws 7.48) sends to the object store for every S3 resource
// type the program registers, replayed against the real Ceph RGW 16 with @aws-sdk/client-s3, asserting what the
// plugin asserts: which error codes it tolerates, what it waits for, what it compares on read-back.
// Source: github.com/hashicorp/terraform-provider-aws, internal/service/s3/ (v6 line; function named per test).
// The local RGW's zonegroup is "default": a LocationConstraint of "default" stands in for Hetzner's "fsn1".
import * as S from "@aws-sdk/client-s3";
import { randomBytes } from "crypto";
import { createTestBucket, s3Client } from "../support/s3";
import { rgw } from "../support/services";

const svc = rgw();
const admin = s3Client(svc.admin);
const stranger = s3Client(svc.readers[0]);
/** The local zonegroup's name, sent where Hetzner's plugin sends "fsn1" (the SDK types list only AWS regions). */
const ZONEGROUP = "default" as S.BucketLocationConstraint;
const newName = (p: string) => `${p}-${randomBytes(4).toString("hex")}`;

/** "ok", or the S3 error code of a failed call. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e: any) {
    return e.Code ?? e.name ?? String(e);
  }
}

/** A client like the plugin's for a given signing region (path style, as s3UsePathStyle: true sets). */
function client(region: string, key = svc.admin): S.S3Client {
  return new S.S3Client({
    endpoint: svc.endpoint,
    region,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: key.accessKey, secretAccessKey: key.secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

describe("aws.Provider settings (internal/conns, provider config)", () => {
  it("path style + a Hetzner-like signing region work against RGW; nothing else is needed from AWS", async () => {
    // s3UsePathStyle: true → every request is http(s)://endpoint/<bucket>/…; skipRegionValidation lets "fsn1"
    // through; RGW does not check the region in the SigV4 scope. skipCredentialsValidation (no STS
    // GetCallerIdentity), skipRequestingAccountId (no IAM/STS) and skipMetadataApiCheck (no EC2 IMDS) stop the
    // plugin from calling AWS services that do not exist here: nothing to replay, asserted in test/unit/lake.program.test.ts.
    const bucket = await createTestBucket("contract-provider");
    expect(await outcome(client("fsn1").send(new S.ListObjectsV2Command({ Bucket: bucket })))).toBe("ok");
    const urls: string[] = [];
    const c = client("fsn1");
    c.middlewareStack.add(
      (next: any) => async (args: any) => {
        urls.push(`${args.request.hostname}${args.request.path}`);
        return next(args);
      },
      { step: "finalizeRequest" },
    );
    await c.send(new S.HeadBucketCommand({ Bucket: bucket }));
    expect(urls).toEqual([`127.0.0.1/${bucket}/`]);
  });
});

describe("aws.s3.Bucket (bucket.go)", () => {
  it("create (resourceBucketCreate): HeadBucket only in us-east-1, CreateBucket ACL private + LocationConstraint, wait for HeadBucket, PutBucketTagging", async () => {
    const bucket = newName("contract-bucket");
    // us-east-1 only: findBucket (HeadBucket) first; an existing bucket fails the create with BucketAlreadyExists.
    expect(await outcome(admin.send(new S.HeadBucketCommand({ Bucket: bucket })))).toBe("NotFound");
    // Outside us-east-1: CreateBucketConfiguration.LocationConstraint = region; retried on OperationAborted only.
    expect(
      await outcome(
        client("default").send(
          new S.CreateBucketCommand({ Bucket: bucket, ACL: "private", CreateBucketConfiguration: { LocationConstraint: ZONEGROUP } }),
        ),
      ),
    ).toBe("ok");
    // RetryWhenNotFound(findBucket): HeadBucket answers at once on RGW.
    expect(await outcome(admin.send(new S.HeadBucketCommand({ Bucket: bucket })))).toBe("ok");
    // bucketCreateTags: PutBucketTagging with the tags (the program sets ducklake-stack).
    expect(
      await outcome(
        admin.send(
          new S.PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: "ducklake-stack", Value: "ducklake/prod" }] } }),
        ),
      ),
    ).toBe("ok");
    expect((await admin.send(new S.GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toEqual([
      { Key: "ducklake-stack", Value: "ducklake/prod" },
    ]);
  });

  it("create on a bucket the project already owns: 200 outside us-east-1 (silent adoption), the us-east-1 HeadBucket guard, 409 for another project", async () => {
    const bucket = await createTestBucket("contract-owned");
    await admin.send(new S.PutObjectCommand({ Bucket: bucket, Key: "data/x.parquet", Body: "x" }));
    // Hetzner path (region fsn1 → no HeadBucket first): Ceph answers 200, the plugin records the bucket as created.
    expect(
      await outcome(
        client("default").send(
          new S.CreateBucketCommand({ Bucket: bucket, ACL: "private", CreateBucketConfiguration: { LocationConstraint: ZONEGROUP } }),
        ),
      ),
    ).toBe("ok");
    expect((await admin.send(new S.ListObjectsV2Command({ Bucket: bucket }))).KeyCount).toBe(1); // data untouched, now "ours"
    // us-east-1 path (the local stack): HeadBucket succeeds → the plugin refuses with BucketAlreadyExists itself.
    expect(await outcome(admin.send(new S.HeadBucketCommand({ Bucket: bucket })))).toBe("ok");
    // Another project's bucket: CreateBucket fails (BucketAlreadyExists, 409; message "UnknownError").
    expect(
      await outcome(
        client("default", svc.readers[0]).send(
          new S.CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: ZONEGROUP } }),
        ),
      ),
    ).toBe("BucketAlreadyExists");
  });

  it("read (resourceBucketRead): every Get* answers or fails with a code the plugin tolerates", async () => {
    const bucket = await createTestBucket("contract-read");
    // Tolerated per call: NotFound codes of the find* helpers, plus MethodNotAllowed/NotImplemented/XNotImplemented.
    const generic = ["MethodNotAllowed", "NotImplemented", "XNotImplemented"];
    const calls: Array<[string, () => Promise<unknown>, string[]]> = [
      ["HeadBucket (findBucket)", () => admin.send(new S.HeadBucketCommand({ Bucket: bucket })), []],
      ["GetBucketPolicy", () => admin.send(new S.GetBucketPolicyCommand({ Bucket: bucket })), ["NoSuchBucketPolicy", ...generic]],
      ["GetBucketAcl", () => admin.send(new S.GetBucketAclCommand({ Bucket: bucket })), generic],
      ["GetBucketCors", () => admin.send(new S.GetBucketCorsCommand({ Bucket: bucket })), ["NoSuchCORSConfiguration", ...generic]],
      ["GetBucketWebsite", () => admin.send(new S.GetBucketWebsiteCommand({ Bucket: bucket })), ["NoSuchWebsiteConfiguration", ...generic]],
      ["GetBucketVersioning", () => admin.send(new S.GetBucketVersioningCommand({ Bucket: bucket })), generic],
      [
        "GetBucketAccelerateConfiguration",
        () => admin.send(new S.GetBucketAccelerateConfigurationCommand({ Bucket: bucket })),
        ["UnsupportedArgument", "UnsupportedOperation", ...generic],
      ],
      ["GetBucketRequestPayment", () => admin.send(new S.GetBucketRequestPaymentCommand({ Bucket: bucket })), generic],
      ["GetBucketLogging", () => admin.send(new S.GetBucketLoggingCommand({ Bucket: bucket })), generic],
      [
        "GetBucketLifecycleConfiguration",
        () => admin.send(new S.GetBucketLifecycleConfigurationCommand({ Bucket: bucket })),
        ["NoSuchLifecycleConfiguration", ...generic],
      ],
      [
        "GetBucketReplication",
        () => admin.send(new S.GetBucketReplicationCommand({ Bucket: bucket })),
        ["ReplicationConfigurationNotFoundError", ...generic],
      ],
      [
        "GetBucketEncryption",
        () => admin.send(new S.GetBucketEncryptionCommand({ Bucket: bucket })),
        ["ServerSideEncryptionConfigurationNotFoundError", "UnsupportedOperation", ...generic],
      ],
      [
        "GetObjectLockConfiguration",
        () => admin.send(new S.GetObjectLockConfigurationCommand({ Bucket: bucket })),
        ["ObjectLockConfigurationNotFoundError", ...generic],
      ],
      ["GetBucketTagging (tags)", () => admin.send(new S.GetBucketTaggingCommand({ Bucket: bucket })), ["NoSuchTagSet"]],
    ];
    const seen = await Promise.all(
      calls.map(async ([name, run, tolerated]) => {
        const o = await outcome(run());
        return { name, o, fine: o === "ok" || tolerated.includes(o) };
      }),
    );
    expect(seen.filter((s) => !s.fine)).toEqual([]);
  });

  it("read, region (manager.GetBucketRegion): a signed HeadBucket works on RGW 16, an unsigned one does not", async () => {
    // manager.GetBucketRegion (aws-sdk-go-v2 feature/s3/manager) sends HeadBucket with anonymous credentials unless
    // the caller overrides them, reads x-amz-bucket-region, and returns an error for a failed HEAD without that
    // header (bucketNotFound only for 404). bucket.go's findBucketRegion overrides the credentials with the
    // provider's (signed); an older v6-line resourceBucketRead called GetBucketRegion without the override.
    const bucket = await createTestBucket("contract-region");
    // Signed (findBucketRegion): 200 without the header → region "" and no error: the read goes on.
    const headers: Record<string, string> = {};
    const c = client("fsn1");
    c.middlewareStack.add(
      (next: any) => async (args: any) => {
        const r: any = await next(args);
        Object.assign(headers, r.response.headers);
        return r;
      },
      { step: "deserialize" },
    );
    expect(await outcome(c.send(new S.HeadBucketCommand({ Bucket: bucket })))).toBe("ok");
    expect(headers["x-amz-bucket-region"]).toBeUndefined();
    // Unsigned: 403 without the header → GetBucketRegion returns the error and the read fails.
    const res = await fetch(`${svc.endpoint}/${bucket}`, { method: "HEAD" });
    expect([res.status, res.headers.get("x-amz-bucket-region")]).toEqual([403, null]);
  });

  it("update (resourceBucketUpdate): only tags can change here (PutBucketTagging); forceDestroy is state only", async () => {
    const bucket = await createTestBucket("contract-update");
    await admin.send(
      new S.PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: "ducklake-stack", Value: "ducklake/a" }] } }),
    );
    await admin.send(
      new S.PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: "ducklake-stack", Value: "ducklake/b" }] } }),
    );
    expect((await admin.send(new S.GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toEqual([
      { Key: "ducklake-stack", Value: "ducklake/b" },
    ]);
  });

  it("delete (resourceBucketDelete): DeleteBucket; NoSuchBucket tolerated; a non-empty bucket fails with BucketNotEmpty (409), forceDestroy is false", async () => {
    const bucket = await createTestBucket("contract-delete");
    await admin.send(new S.PutObjectCommand({ Bucket: bucket, Key: "backups/catalog.dump", Body: "c" }));
    const del = () => admin.send(new S.DeleteBucketCommand({ Bucket: bucket }));
    const failed = await del().then(
      () => undefined,
      (e: any) => e,
    );
    expect([failed?.Code ?? failed?.name, failed?.$metadata?.httpStatusCode]).toEqual(["BucketNotEmpty", 409]);
    expect((await admin.send(new S.ListObjectsV2Command({ Bucket: bucket }))).KeyCount).toBe(1);
    await admin.send(new S.DeleteObjectCommand({ Bucket: bucket, Key: "backups/catalog.dump" }));
    expect(await outcome(del())).toBe("ok");
    // RetryUntilNotFound(findBucket) after the delete, and a second delete: NoSuchBucket (tolerated).
    expect(await outcome(admin.send(new S.HeadBucketCommand({ Bucket: bucket })))).toBe("NotFound");
    expect(await outcome(del())).toBe("NoSuchBucket");
  });
});

describe("aws.s3.BucketPolicy (bucket_policy.go)", () => {
  const policy = (bucket: string) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam:::user/p${svc.readerProject}:${svc.readers[0].accessKey}` },
          Action: "s3:GetObject",
          Resource: `arn:aws:s3:::${bucket}/data/*`,
        },
      ],
    });

  it("create/update (resourceBucketPolicyPut): PutBucketPolicy, wait for findBucketPolicy, read back an equivalent document", async () => {
    const bucket = await createTestBucket("contract-policy");
    expect(await outcome(admin.send(new S.PutBucketPolicyCommand({ Bucket: bucket, Policy: policy(bucket) })))).toBe("ok");
    // resourceBucketPolicyRead: GetBucketPolicy; verify.PolicyToSet keeps the configured text when equivalent.
    const read = (await admin.send(new S.GetBucketPolicyCommand({ Bucket: bucket }))).Policy!;
    expect(JSON.parse(read)).toEqual(JSON.parse(policy(bucket)));
    // Update is the same Put with the new document.
    const next = policy(bucket).replace("/data/*", "/data/sales/*");
    await admin.send(new S.PutBucketPolicyCommand({ Bucket: bucket, Policy: next }));
    expect(JSON.parse((await admin.send(new S.GetBucketPolicyCommand({ Bucket: bucket }))).Policy!)).toEqual(JSON.parse(next));
  });

  it("a malformed document: RGW answers InvalidArgument (not MalformedPolicy, which the plugin would retry) with no message", async () => {
    const bucket = await createTestBucket("contract-policy-bad");
    const bad = policy(bucket).replace("s3:GetObject", "s3:GetObjekt");
    const e: any = await admin.send(new S.PutBucketPolicyCommand({ Bucket: bucket, Policy: bad })).catch((x) => x);
    expect([e.Code ?? e.name, e.$metadata?.httpStatusCode, e.message]).toEqual(["InvalidArgument", 400, "UnknownError"]);
  });

  it("delete (resourceBucketPolicyDelete): DeleteBucketPolicy, NoSuchBucket tolerated, then GetBucketPolicy → NoSuchBucketPolicy", async () => {
    const bucket = await createTestBucket("contract-policy-del");
    await admin.send(new S.PutBucketPolicyCommand({ Bucket: bucket, Policy: policy(bucket) }));
    expect(await outcome(admin.send(new S.DeleteBucketPolicyCommand({ Bucket: bucket })))).toBe("ok");
    expect(await outcome(admin.send(new S.GetBucketPolicyCommand({ Bucket: bucket })))).toBe("NoSuchBucketPolicy");
    expect(await outcome(admin.send(new S.DeleteBucketPolicyCommand({ Bucket: newName("gone") })))).toBe("NoSuchBucket");
    // A reader key can never read or change the policy (only the owner's provider can run these calls).
    expect(await outcome(stranger.send(new S.GetBucketPolicyCommand({ Bucket: bucket })))).toBe("AccessDenied");
  });
});

describe("aws.s3.BucketLifecycleConfiguration (bucket_lifecycle_configuration.go), replaced by providers/bucketLifecycle.ts", () => {
  it("Create/Update wait (waitLifecycleConfigEquals) can never succeed: RGW does not return TransitionDefaultMinimumObjectSize", async () => {
    const bucket = await createTestBucket("contract-lifecycle");
    const rules = [{ ID: "expire-catalog-backups", Status: "Enabled" as const, Filter: { Prefix: "backups/" }, Expiration: { Days: 30 } }];
    // The plan modifier sets transition_default_minimum_object_size = all_storage_classes_128K when not configured.
    const put = await admin.send(
      new S.PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        TransitionDefaultMinimumObjectSize: "all_storage_classes_128K",
        LifecycleConfiguration: { Rules: rules },
      }),
    );
    expect(put.$metadata.httpStatusCode).toBe(200);
    // statusLifecycleConfigEquals polls GetBucketLifecycleConfiguration and compares size + rules (reflect.DeepEqual):
    // the rules match, the size never does (10 equal answers in a row needed, 3-minute timeout).
    for (let i = 0; i < 3; i++) {
      const got = await admin.send(new S.GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
      expect(got.Rules).toEqual(rules);
      expect(got.TransitionDefaultMinimumObjectSize).toBeUndefined();
    }
  });

  it("Delete: DeleteBucketLifecycle removes the whole configuration (any rule, also the replacement's); NoSuchBucket tolerated", async () => {
    const bucket = await createTestBucket("contract-lifecycle-del");
    await admin.send(
      new S.PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: {
          Rules: [{ ID: "expire-catalog-backups", Status: "Enabled", Filter: { Prefix: "backups/" }, Expiration: { Days: 30 } }],
        },
      }),
    );
    expect(await outcome(admin.send(new S.DeleteBucketLifecycleCommand({ Bucket: bucket })))).toBe("ok");
    // RetryUntilNotFound(findBucketLifecycleConfiguration): NoSuchLifecycleConfiguration at once.
    expect(await outcome(admin.send(new S.GetBucketLifecycleConfigurationCommand({ Bucket: bucket })))).toBe(
      "NoSuchLifecycleConfiguration",
    );
    expect(await outcome(admin.send(new S.DeleteBucketLifecycleCommand({ Bucket: newName("gone") })))).toBe("NoSuchBucket");
  });
});
