import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

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
}

/**
 * The lake bucket on an S3-compatible object store (Hetzner Object Storage or the local Ceph RGW),
 * through its own aws.Provider so nothing reaches AWS: path-style, AWS-only checks skipped.
 */
export class LakeBucket extends pulumi.ComponentResource {
  /** The provider every S3 resource of the lake must use (bucket policy included). */
  readonly provider: aws.Provider;
  readonly bucket: aws.s3.Bucket;
  readonly bucketName: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  readonly region: pulumi.Output<string>;

  constructor(name: string, args: LakeBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ducklake:storage:LakeBucket", name, {}, opts);
    this.endpoint = pulumi.output(args.endpoint);
    this.region = pulumi.output(args.region);

    this.provider = new aws.Provider(`${name}-s3`, {
      region: args.region,
      accessKey: pulumi.secret(args.accessKey),
      secretKey: pulumi.secret(args.secretKey),
      endpoints: [{ s3: args.endpoint }],
      s3UsePathStyle: true,
      skipCredentialsValidation: true,
      skipRequestingAccountId: true,
      skipMetadataApiCheck: true,
      skipRegionValidation: true,
    }, { parent: this });

    // Not forceDestroy: a stack destroy must never delete lake data or backups.
    this.bucket = new aws.s3.Bucket(`${name}-bucket`, {
      bucket: args.bucketName,
      forceDestroy: false,
    }, { parent: this, provider: this.provider });
    this.bucketName = this.bucket.bucket;

    new aws.s3.BucketLifecycleConfiguration(`${name}-backup-expiry`, {
      bucket: this.bucket.bucket,
      rules: [{
        id: "expire-catalog-backups",
        status: "Enabled",
        filter: { prefix: args.backupsPrefix },
        expiration: { days: args.backupRetentionDays },
      }],
    }, { parent: this, provider: this.provider });

    this.registerOutputs({ bucketName: this.bucketName, endpoint: this.endpoint, region: this.region });
  }
}
