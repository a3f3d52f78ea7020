import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { BucketLifecycle } from "../providers/bucketLifecycle";

export interface LakeBucketArgs {
  /** Bucket name (validated by model/config bucketNameProblem). */
  bucketName: pulumi.Input<string>;
  /** S3 endpoint URL: https://<location>.your-objectstorage.com, or the local RGW. */
  endpoint: pulumi.Input<string>;
  /** S3 region sent in signatures (Hetzner: the location; local RGW: us-east-1). */
  region: pulumi.Input<string>;
  /** Admin S3 key of the owner project (secret). */
  accessKey: pulumi.Input<string>;
  secretKey: pulumi.Input<string>;
  /** Prefix nightly catalog backups go under; expired after `backupRetentionDays`. */
  backupsPrefix: pulumi.Input<string>;
  /** Days backups are kept (bucket lifecycle rule on backupsPrefix). */
  backupRetentionDays: pulumi.Input<number>;
  /**
   * Pulumi `protect` on the bucket: `pulumi destroy` (or a replace) stops before touching it. Default false;
   * prod turns it on. See docs/infrastructure.md for the deliberate teardown path.
   */
  protect?: boolean;
}

/** Tag on the bucket naming the stack that created it ("<project>/<stack>"), so a preview can tell ours from others. */
export const STACK_TAG = "ducklake-stack";

/**
 * The lake bucket on an S3-compatible object store (Hetzner Object Storage or the local Ceph RGW),
 * through its own aws.Provider so nothing reaches AWS: path-style, AWS-only checks skipped.
 */
export class LakeBucket extends pulumi.ComponentResource {
  /** The provider every S3 resource of the lake must use (bucket policy included). */
  readonly provider: aws.Provider;
  readonly bucket: aws.s3.Bucket;
  /** The bucket's lifecycle rules (backup expiry); a dynamic resource, see providers/bucketLifecycle.ts. */
  readonly lifecycle: BucketLifecycle;
  readonly bucketName: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  readonly region: pulumi.Output<string>;

  constructor(name: string, args: LakeBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ducklake:storage:LakeBucket", name, {}, opts);
    this.endpoint = pulumi.output(args.endpoint);
    this.region = pulumi.output(args.region);
    const stackTag = `${pulumi.getProject()}/${pulumi.getStack()}`;

    this.provider = new aws.Provider(
      `${name}-s3`,
      {
        region: args.region,
        accessKey: pulumi.secret(args.accessKey),
        secretKey: pulumi.secret(args.secretKey),
        endpoints: [{ s3: args.endpoint }],
        s3UsePathStyle: true,
        skipCredentialsValidation: true,
        skipRequestingAccountId: true,
        skipMetadataApiCheck: true,
        skipRegionValidation: true,
      },
      { parent: this },
    );

    // Outside us-east-1 Ceph answers CreateBucket with 200 for a bucket the project already owns, and the
    // plugin checks for an existing bucket only in us-east-1: say so before the bucket is adopted.
    pulumi
      .all([args.bucketName, args.endpoint, args.region, args.accessKey, args.secretKey])
      .apply(async ([bucket, endpoint, region, ak, sk]) => {
        const warning = await existingBucketWarning({ bucket, endpoint, region, accessKey: ak, secretKey: sk, stackTag }).catch(
          () => undefined,
        );
        if (warning) pulumi.log.warn(warning, this);
      });

    // Not forceDestroy: a stack destroy must never delete lake data or backups.
    this.bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      {
        bucket: args.bucketName,
        forceDestroy: false,
        tags: { [STACK_TAG]: stackTag },
      },
      { parent: this, provider: this.provider, protect: args.protect ?? false },
    );
    this.bucketName = this.bucket.bucket;

    // Not aws.s3.BucketLifecycleConfiguration: it never converges on Ceph (see providers/bucketLifecycle.ts).
    this.lifecycle = new BucketLifecycle(
      `${name}-backup-expiry`,
      {
        bucket: this.bucket.bucket,
        endpoint: args.endpoint,
        region: args.region,
        accessKey: args.accessKey,
        secretKey: args.secretKey,
        rules: pulumi
          .all([args.backupsPrefix, args.backupRetentionDays])
          .apply(([prefix, days]) => [{ id: "expire-catalog-backups", prefix, expirationDays: days }]),
      },
      { parent: this },
    );

    this.registerOutputs({ bucketName: this.bucketName, endpoint: this.endpoint, region: this.region });
  }
}

export interface ExistingBucketQuery {
  bucket: string;
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  stackTag: string;
}

/**
 * A warning when `bucket` already exists and is not tagged as this stack's (undefined when it does not exist
 * or this stack created it). Uses the owner key: GetBucketTagging answers NoSuchBucket, NoSuchTagSet or the tags.
 */
export async function existingBucketWarning(q: ExistingBucketQuery): Promise<string | undefined> {
  const { S3Client, GetBucketTaggingCommand } = await import("@aws-sdk/client-s3");
  // Short timeouts: a preview must not hang on an unreachable endpoint (the warning is then skipped).
  const s3 = new S3Client({
    endpoint: q.endpoint,
    region: q.region,
    forcePathStyle: true,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5000, requestTimeout: 10000 },
    credentials: { accessKeyId: q.accessKey, secretAccessKey: q.secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  let owner: string | undefined;
  try {
    const out = await s3.send(new GetBucketTaggingCommand({ Bucket: q.bucket }));
    owner = (out.TagSet ?? []).find((t) => t.Key === STACK_TAG)?.Value;
  } catch (e) {
    const code = (e as { Code?: string; name?: string }).Code ?? (e as { name?: string }).name;
    if (code === "NoSuchBucket") return undefined;
    if (code === "AccessDenied")
      return `bucket ${q.bucket} exists and belongs to another project: pick another bucketName (bucket names are global per endpoint)`;
    if (code !== "NoSuchTagSet") throw e;
  }
  if (owner === q.stackTag) return undefined;
  return (
    `bucket ${q.bucket} already exists in the owner project ` +
    (owner
      ? `and was created by stack ${owner}`
      : "and carries no ducklake-stack tag (not created by this stack, or by a version before the tag)") +
    `: Ceph answers CreateBucket with 200 for a bucket you own, so \`pulumi up\` would adopt it and its data silently, and a later destroy would try to delete it. ` +
    "If that is intended, adopt it deliberately: `pulumi import aws:s3/bucket:Bucket <name>-bucket " +
    q.bucket +
    "` (see docs/infrastructure.md); otherwise choose another bucketName"
  );
}
