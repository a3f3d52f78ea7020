import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BUCKET_POLICY_TYPE, policyStatements } from "./policyDocument";

/** What a reader needs: DuckDB reads DuckLake files by exact path (GET/HEAD); listing is optional. */
export const READER_ACTIONS = new Set(["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"]);

/** Writes stay with the owner project (whose keys never need the policy): any other Allow is read-only. */
export const s3BucketPolicyReadersReadOnly: ResourceValidationPolicy = {
  name: "s3-bucket-policy-readers-read-only",
  description: "Bucket policy Allow statements grant only s3:GetObject, s3:ListBucket and s3:GetBucketLocation.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== BUCKET_POLICY_TYPE) return;
    for (const s of policyStatements(args.props.policy) ?? []) {
      if (s.effect !== "Allow") continue;
      const extra = s.actions.filter((a) => !READER_ACTIONS.has(a));
      if (extra.length)
        reportViolation(
          `${args.name}: statement ${s.sid ?? "(no Sid)"} allows ${extra.join(", ")} to readers; readers may only GetObject/ListBucket/GetBucketLocation`,
        );
    }
  },
};
