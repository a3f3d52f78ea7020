import type { ResourceValidationPolicy } from "@pulumi/policy";

const PUBLIC_ACLS = new Set(["public-read", "public-read-write", "authenticated-read"]);
const EVERYONE_GROUPS = /\/groups\/global\/(AllUsers|AuthenticatedUsers)$/;

/** Objects are read through per-reader keys only: no canned or explicit ACL may open the bucket. */
export const s3BucketNotPublic: ResourceValidationPolicy = {
  name: "s3-bucket-not-public",
  description: "The lake bucket has no public ACL: readers get access through the bucket policy, per key.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const t = args.type;
    if (
      t !== "aws:s3/bucket:Bucket" &&
      t !== "aws:s3/bucketV2:BucketV2" &&
      t !== "aws:s3/bucketAcl:BucketAcl" &&
      t !== "aws:s3/bucketAclV2:BucketAclV2"
    )
      return;
    const acl = args.props.acl;
    if (typeof acl === "string" && PUBLIC_ACLS.has(acl))
      reportViolation(`${args.name}: ACL "${acl}" makes the lake readable without a key; remove acl (default "private")`);
    const grants = args.props.accessControlPolicy?.grants ?? args.props.grants ?? [];
    for (const g of Array.isArray(grants) ? grants : []) {
      const uri = g?.grantee?.uri ?? g?.uri;
      if (typeof uri === "string" && EVERYONE_GROUPS.test(uri))
        reportViolation(`${args.name}: ACL grant to ${uri} makes the lake public; grant readers through the bucket policy instead`);
    }
  },
};
