import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BUCKET_POLICY_TYPE, policyStatements } from "./policyDocument";

/** An Allow to "*" opens the bucket to every key of every project. */
export const s3BucketPolicyNoAllowToEveryone: ResourceValidationPolicy = {
  name: "s3-bucket-policy-no-allow-to-everyone",
  description: 'No bucket policy statement allows anything to Principal "*".',
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== BUCKET_POLICY_TYPE) return;
    for (const s of policyStatements(args.props.policy) ?? []) {
      if (s.effect === "Allow" && s.principals.some((p) => p === "*" || p === "arn:aws:iam:::user/*"))
        reportViolation(
          `${args.name}: statement ${s.sid ?? "(no Sid)"} allows ${s.actions.join(", ")} to everyone; name each reader's key as arn:aws:iam:::user/p<project>:<key>`,
        );
    }
  },
};
