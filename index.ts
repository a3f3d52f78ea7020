// The ducklake-pulumi program: read the stack's `ducklake:*` config once, validate all of it before any
// resource is registered, build the lake for the stack, export what users connect with.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, SECRET_KEYS, validateConfig } from "./model/config";
import { Lake } from "./components/lake";

/** Full keys of config values stored encrypted (Pulumi passes them in PULUMI_CONFIG_SECRET_KEYS). */
function secretConfigKeys(): ReadonlySet<string> | undefined {
  // pulumi.runtime.isConfigSecret exists at runtime but is not in the typings; without it, skip the check.
  const isSecret = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  if (!isSecret) return undefined;
  return new Set(SECRET_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`).filter((k) => isSecret(k)));
}

const config = validateConfig(pulumi.runtime.allConfig(), {
  stack: pulumi.getStack(),
  secretKeys: secretConfigKeys(),
});

const lake = new Lake("ducklake", { config });

// ─── Access layer (readers, grants, bucket policy) ──────────────────────────────────────────
// Wire components/access.ts `LakeAccess` here, e.g.:
//   const access = new LakeAccess("access", { lake, ... });
// Readers' allowedIps reach pg_hba/firewalls through Lake's `roleCidrs` arg (prod).
// ────────────────────────────────────────────────────────────────────────────────────────────

const outputs = lake.stackOutputs();
export const target = outputs.target;
export const bucketName = outputs.bucketName;
export const s3Endpoint = outputs.s3Endpoint;
export const s3Region = outputs.s3Region;
export const ownerProjectId = outputs.ownerProjectId;
export const dataPath = outputs.dataPath;
export const backupsLocation = outputs.backupsLocation;
export const catalog = outputs.catalog;
export const catalogAdminConnection = outputs.catalogAdminConnection;
export const catalogOwnerConnection = outputs.catalogOwnerConnection;
export const catalogWriterConnection = outputs.catalogWriterConnection;
export const attachAsOwner = outputs.attachAsOwner;
export const attachAsWriter = outputs.attachAsWriter;
export const catalogGuardVersion = outputs.catalogGuardVersion;
export const serverIpv4 = outputs.serverIpv4;
export const serverIpv6 = outputs.serverIpv6;
export const sshCommand = outputs.sshCommand;
export const caCertPem = outputs.caCertPem;
export const monthlyCostEur = outputs.monthlyCostEur;
export const monthlyCostOverBudget = outputs.monthlyCostOverBudget;
export const monthlyCost = outputs.monthlyCost;
