import type { ResourceValidationPolicy } from "@pulumi/policy";
import { HETZNER_POLICY_LIMIT_BYTES } from "../../model/bucketPolicy";
import { BUCKET_POLICY_TYPE, policyBytes } from "./policyDocument";

/** Hetzner Object Storage (Ceph RGW) refuses bucket policies above 1 MB; the same limit the program checks. */
export const BUCKET_POLICY_LIMIT_BYTES = HETZNER_POLICY_LIMIT_BYTES;

export const s3BucketPolicySizeLimit: ResourceValidationPolicy = {
  name: "s3-bucket-policy-size-limit",
  description: "The bucket policy stays under Hetzner's 1 MB limit (a larger one fails at apply, leaving the old policy).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== BUCKET_POLICY_TYPE) return;
    const bytes = policyBytes(args.props.policy);
    if (bytes !== undefined && bytes > BUCKET_POLICY_LIMIT_BYTES)
      reportViolation(
        `${args.name}: bucket policy is ${bytes} bytes, over the ${BUCKET_POLICY_LIMIT_BYTES}-byte limit; grant whole schemas instead of many tables, or split readers across buckets`,
      );
  },
};
