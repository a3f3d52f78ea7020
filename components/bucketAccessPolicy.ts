import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { NormalizedGrant, ReaderSpec } from "../model/accessSpec";
import { BucketPolicy, BucketPolicyError, buildBucketPolicy, HETZNER_POLICY_LIMIT_BYTES } from "../model/bucketPolicy";
import { DEFAULT_BACKUPS_PREFIX, LakeLayout } from "../model/lakePaths";
import { policyGrammarProblems } from "../model/policyGrammar";

export interface BucketAccessPolicyArgs {
  /** The lake bucket the policy is attached to. */
  bucket: pulumi.Input<string>;
  /** Hetzner project id owning the bucket (its keys are never granted by an Allow). */
  ownerProjectId: pulumi.Input<string>;
  /** Every declared reader with its S3 principal (keys from a separate readers project). */
  readers: pulumi.Input<ReaderSpec[]>;
  /** Every validated grant of the stack; the policy is rebuilt whole from them on each update. */
  grants: pulumi.Input<NormalizedGrant[]>;
  /**
   * Where the lake keeps each table's files: `readCatalogLayout(...)`, or `emptyLayout(dataPath)` before the catalog exists.
   * For partition grants it must carry their tables' file facts (`partitions`: read with `partitionTables`), which say
   * which partition folders may be opened; without them a partition grant opens nothing and the preview warns.
   */
  layout: pulumi.Input<LakeLayout>;
  /** Allow ListBucket inside granted folders (browsing); DuckDB reads DuckLake files by path and does not need it. Default false. */
  allowListing?: pulumi.Input<boolean>;
  /** Prefix holding catalog backups; never grantable. Default "backups/". */
  backupsPrefix?: pulumi.Input<string>;
  /** Refuse policies above this many bytes. Default 1,000,000 (Hetzner's 1 MB, read conservatively). */
  limitBytes?: number;
  /** Reader keys of the owner's project: "refuse" (default) or "deny" (confined by Deny statements on this bucket only). */
  ownerProjectKeys?: "refuse" | "deny";
  /** Key of another project the backup job uploads with (PutObject under backupsPrefix only). */
  backupWriter?: { projectId: string; accessKey: string };
  /** The aws.Provider pointing at the lake's S3 endpoint (LakeBucket.provider); required so nothing reaches AWS. */
  provider: aws.Provider;
}

/**
 * Throws BucketPolicyError when the policy must not be applied: problems of the grants, or a document the S3
 * server would refuse (RGW answers "InvalidArgument: UnknownError" without saying why; this says what is wrong).
 */
export function refuseUnappliable(p: BucketPolicy): void {
  if (p.problems.length > 0) throw new BucketPolicyError(p.problems);
  const grammar = policyGrammarProblems(p.json);
  if (grammar.length > 0) throw new BucketPolicyError(grammar.map((g) => `the generated policy would be refused by the S3 server: ${g}`));
}

/**
 * The lake bucket's policy: the storage guard. One aws.s3.BucketPolicy, rebuilt whole from all grants, refused
 * at preview when a grant cannot be expressed safely or the document exceeds the size limit.
 */
export class BucketAccessPolicy extends pulumi.ComponentResource {
  readonly policy: aws.s3.BucketPolicy;
  /** The applied JSON document. */
  readonly json: pulumi.Output<string>;
  readonly bytes: pulumi.Output<number>;
  readonly limitBytes: pulumi.Output<number>;
  /** Bytes left under the limit: watch this as readers and grants grow. */
  readonly headroomBytes: pulumi.Output<number>;
  /** Bucket-relative folders each reader may read. */
  readonly readerPrefixes: pulumi.Output<Record<string, string[]>>;

  constructor(name: string, args: BucketAccessPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ducklake:storage:BucketAccessPolicy", name, {}, opts);
    if (!args.provider)
      throw new Error(
        `BucketAccessPolicy ${name}: provider is required (pass LakeBucket.provider) so the policy goes to the lake's S3 endpoint`,
      );
    const built: pulumi.Output<BucketPolicy> = pulumi
      .all([
        args.bucket,
        args.ownerProjectId,
        args.readers,
        args.grants,
        args.layout,
        args.allowListing ?? false,
        args.backupsPrefix ?? DEFAULT_BACKUPS_PREFIX,
      ])
      .apply(([bucket, ownerProjectId, readers, grants, layout, allowListing, backupsPrefix]) => {
        const p = buildBucketPolicy({
          bucket,
          ownerProjectId,
          readers,
          grants,
          layout,
          allowListing,
          backupsPrefix,
          limitBytes: args.limitBytes ?? HETZNER_POLICY_LIMIT_BYTES,
          ownerProjectKeys: args.ownerProjectKeys ?? "refuse",
          backupWriter: args.backupWriter,
        });
        refuseUnappliable(p);
        for (const w of p.warnings) pulumi.log.warn(w, this);
        return p;
      });
    this.json = built.json;
    this.bytes = built.bytes;
    this.limitBytes = built.limitBytes;
    this.headroomBytes = built.headroomBytes;
    this.readerPrefixes = built.readerPrefixes;
    // `<component>-bucket-policy`; earlier `<component>-policy`, also under the component's former names
    // (its name aliases): aliased, so an existing stack's policy is kept, never deleted and re-created.
    const formerNames = [
      name,
      ...(opts?.aliases ?? []).flatMap((a) =>
        typeof a === "object" && a !== null && typeof (a as pulumi.Alias).name === "string" ? [(a as pulumi.Alias).name as string] : [],
      ),
    ];
    this.policy = new aws.s3.BucketPolicy(
      `${name}-bucket-policy`,
      { bucket: args.bucket, policy: this.json },
      { parent: this, provider: args.provider, aliases: formerNames.map((n) => ({ name: `${n}-policy` })) },
    );
    this.registerOutputs({
      bytes: this.bytes,
      headroomBytes: this.headroomBytes,
      limitBytes: this.limitBytes,
      readerPrefixes: this.readerPrefixes,
    });
  }
}
