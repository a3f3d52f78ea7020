// Reader S3 principals on Hetzner Object Storage (Ceph RGW). RGW accepts policies naming keys that do
// not exist, so a typo would silently grant nobody (or, worse, someone else): validate here.
import { S3Principal } from "./accessSpec";

/**
 * Hetzner project ids are positive integers (the `p<ID>` RGW user of the project), at most 12 digits.
 * The one rule for config (ownerProjectId, backupPrincipal), the access list and the bucket policy.
 */
const PROJECT_ID = /^[1-9][0-9]{0,11}$/;
/** Hetzner S3 access key ids: 20 upper-case letters or digits. */
const ACCESS_KEY = /^[A-Z0-9]{20}$/;

/** A Hetzner project id written as a string of digits (no "p" prefix). */
export function isProjectId(id: unknown): id is string {
  return typeof id === "string" && PROJECT_ID.test(id);
}

/** A Hetzner S3 access key id (not the secret). */
export function isAccessKey(key: unknown): key is string {
  return typeof key === "string" && ACCESS_KEY.test(key);
}

export interface PrincipalCheckOptions {
  /**
   * Accept a key of the bucket owner's project, confined by explicit Deny statements instead of an Allow
   * (see `ownerKeyDenyStatements` in model/bucketPolicy.ts). Default false: such keys are refused.
   */
  allowOwnerProject?: boolean;
}

export function projectIdProblem(id: unknown): string | undefined {
  if (!isProjectId(id))
    return (
      `project id ${JSON.stringify(id)} is not a Hetzner project id: use the number from the Cloud Console URL ` +
      `(console.hetzner.cloud/projects/<ID>), digits only, without the "p" prefix`
    );
  return undefined;
}

/** Why `p` cannot be used as a reader's S3 principal, or undefined when it can. */
export function principalProblem(p: S3Principal, ownerProjectId: string, opts: PrincipalCheckOptions = {}): string | undefined {
  if (p === null || typeof p !== "object") return "principal is missing: give { projectId, accessKey }";
  const project = projectIdProblem(p.projectId);
  if (project) return project;
  const owner = projectIdProblem(ownerProjectId);
  if (owner) return `bucket owner ${owner}`;
  if (!isAccessKey(p.accessKey))
    return (
      `access key ${JSON.stringify(p.accessKey)} is not a Hetzner S3 access key (20 upper-case letters or digits); ` +
      "copy the access key id (not the secret) from the Cloud Console"
    );
  if (p.projectId === ownerProjectId && !opts.allowOwnerProject)
    return (
      `access key ${p.accessKey} belongs to project ${ownerProjectId}, which owns the bucket: every key of that ` +
      "project can read and write every object and replace the bucket policy, so no Allow can narrow it. Create the " +
      "reader's S3 credentials in a separate Hetzner project (one readers project for all readers is enough) and give " +
      'that project\'s id; only if that is impossible, opt in to the Deny-based fallback (ownerProjectKeys: "deny", ' +
      "stack config: pulumi config set ducklake:ownerProjectKeys deny), " +
      "which confines the key on this bucket only (docs/storage-guard.md)"
    );
  return undefined;
}

/** The bucket-policy principal of one key: `arn:aws:iam:::user/p<PROJECT>:<ACCESS_KEY>` (RGW user:subuser). */
export function principalArn(p: S3Principal): string {
  return `arn:aws:iam:::user/p${p.projectId}:${p.accessKey}`;
}
