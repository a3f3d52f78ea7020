// Every rule of the pack, importable by tests without starting the policy server.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { s3BucketNotPublic } from "./bucketNotPublic";
import { s3BucketPolicyNoAllowToEveryone } from "./noAllowToEveryone";
import { s3BucketPolicyReadersReadOnly } from "./readersReadOnly";
import { s3BucketPolicyReadersOutsideOwnerProject } from "./readersOutsideOwnerProject";
import { s3BucketPolicySizeLimit } from "./policySizeLimit";
import { hcloudFirewallPostgresNotOpen } from "./postgresNotOpen";
import { postgresqlProviderTlsRequired } from "./tlsRequired";

export const rules: ResourceValidationPolicy[] = [
  s3BucketNotPublic,
  s3BucketPolicyNoAllowToEveryone,
  s3BucketPolicyReadersReadOnly,
  s3BucketPolicyReadersOutsideOwnerProject,
  s3BucketPolicySizeLimit,
  hcloudFirewallPostgresNotOpen,
  postgresqlProviderTlsRequired,
];
