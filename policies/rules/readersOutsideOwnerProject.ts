import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BUCKET_POLICY_TYPE, parsePrincipal, policyStatements } from "./policyDocument";

export interface OwnerProjectConfig {
  ownerProjectId?: string;
}

/**
 * Every key of the owner's project can read everything and replace the policy, so a reader key from
 * it is a mistake; a whole-project principal (user/p<ID> or user/p<ID>:*) grants every key of it.
 */
export const s3BucketPolicyReadersOutsideOwnerProject: ResourceValidationPolicy = {
  name: "s3-bucket-policy-readers-outside-owner-project",
  description: "Each Allow principal is one key (arn:aws:iam:::user/p<project>:<key>) of a project other than the bucket owner's.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { ownerProjectId: { type: "string", pattern: "^[1-9][0-9]*$" } } },
  validateResource: (args, reportViolation) => {
    if (args.type !== BUCKET_POLICY_TYPE) return;
    const { ownerProjectId } = args.getConfig<OwnerProjectConfig>();
    for (const s of policyStatements(args.props.policy) ?? []) {
      if (s.effect !== "Allow") continue;
      for (const p of s.principals) {
        if (p === "*") continue; // reported by s3-bucket-policy-no-allow-to-everyone
        const parsed = parsePrincipal(p);
        if (!parsed)
          reportViolation(`${args.name}: principal ${p} is not a Hetzner key principal; write arn:aws:iam:::user/p<project>:<access key>`);
        else if (parsed.key === undefined || parsed.key === "*" || parsed.key === "")
          reportViolation(`${args.name}: principal ${p} matches every key of project ${parsed.project}; name one access key`);
        else if (ownerProjectId !== undefined && parsed.project === ownerProjectId)
          reportViolation(
            `${args.name}: principal ${p} is a key of the owner project ${ownerProjectId}; reader keys must come from a separate project`,
          );
      }
    }
  },
};
