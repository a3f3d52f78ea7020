// What Ceph RGW 16 (Hetzner Object Storage) accepts as a bucket policy, checked before anything is applied.
// RGW refuses a document it cannot parse with "InvalidArgument: UnknownError" and no message; this check says
// which element is wrong. The rules follow RGW's policy parser (src/rgw/rgw_iam_policy.cc, Pacific): a closed
// set of keys per level, each key at most once, values of a fixed shape, actions from RGW's own list, resources
// that parse as ARNs. Each rule is tried against a real RGW in test/integration/policyGrammar.rgw.test.ts.
// One rule is stricter than RGW: an empty Statement list, which RGW 16 takes but S3 servers following AWS refuse.

/**
 * Actions RGW 16.2 knows (matched case-insensitively, `*` and `?` as wildcards); any other action is refused.
 * Newer Ceph releases know more (s3:GetBucketEncryption, iam:UpdateRole, …), which RGW 16.2.15 refuses.
 */
export const RGW_ACTIONS: readonly string[] = [
  "s3:AbortMultipartUpload",
  "s3:CreateBucket",
  "s3:DeleteBucketPolicy",
  "s3:DeleteBucket",
  "s3:DeleteBucketWebsite",
  "s3:DeleteObject",
  "s3:DeleteObjectVersion",
  "s3:DeleteObjectTagging",
  "s3:DeleteObjectVersionTagging",
  "s3:DeleteBucketPublicAccessBlock",
  "s3:DeletePublicAccessBlock",
  "s3:DeleteReplicationConfiguration",
  "s3:GetAccelerateConfiguration",
  "s3:GetBucketAcl",
  "s3:GetBucketCORS",
  "s3:GetBucketLocation",
  "s3:GetBucketLogging",
  "s3:GetBucketNotification",
  "s3:GetBucketPolicy",
  "s3:GetBucketPolicyStatus",
  "s3:GetBucketPublicAccessBlock",
  "s3:GetBucketRequestPayment",
  "s3:GetBucketTagging",
  "s3:GetBucketVersioning",
  "s3:GetBucketWebsite",
  "s3:GetLifecycleConfiguration",
  "s3:GetBucketObjectLockConfiguration",
  "s3:GetPublicAccessBlock",
  "s3:GetObjectAcl",
  "s3:GetObject",
  "s3:GetObjectTorrent",
  "s3:GetObjectVersionAcl",
  "s3:GetObjectVersion",
  "s3:GetObjectVersionTorrent",
  "s3:GetObjectTagging",
  "s3:GetObjectVersionTagging",
  "s3:GetObjectRetention",
  "s3:GetObjectLegalHold",
  "s3:GetReplicationConfiguration",
  "s3:ListAllMyBuckets",
  "s3:ListBucketMultipartUploads",
  "s3:ListBucket",
  "s3:ListBucketVersions",
  "s3:ListMultipartUploadParts",
  "s3:PutAccelerateConfiguration",
  "s3:PutBucketAcl",
  "s3:PutBucketCORS",
  "s3:PutBucketLogging",
  "s3:PutBucketNotification",
  "s3:PutBucketPolicy",
  "s3:PutBucketRequestPayment",
  "s3:PutBucketTagging",
  "s3:PutBucketVersioning",
  "s3:PutBucketWebsite",
  "s3:PutLifecycleConfiguration",
  "s3:PutBucketObjectLockConfiguration",
  "s3:PutObjectAcl",
  "s3:PutObject",
  "s3:PutObjectVersionAcl",
  "s3:PutObjectTagging",
  "s3:PutObjectVersionTagging",
  "s3:PutObjectRetention",
  "s3:PutObjectLegalHold",
  "s3:BypassGovernanceRetention",
  "s3:PutBucketPublicAccessBlock",
  "s3:PutPublicAccessBlock",
  "s3:PutReplicationConfiguration",
  "s3:RestoreObject",
  "iam:PutUserPolicy",
  "iam:GetUserPolicy",
  "iam:DeleteUserPolicy",
  "iam:ListUserPolicies",
  "iam:CreateRole",
  "iam:DeleteRole",
  "iam:GetRole",
  "iam:ListRoles",
  "iam:PutRolePolicy",
  "iam:GetRolePolicy",
  "iam:ListRolePolicies",
  "iam:DeleteRolePolicy",
  "iam:CreateOIDCProvider",
  "iam:DeleteOIDCProvider",
  "iam:GetOIDCProvider",
  "iam:ListOIDCProviders",
  "iam:TagRole",
  "iam:ListRoleTags",
  "iam:UntagRole",
  "sts:AssumeRole",
  "sts:AssumeRoleWithWebIdentity",
  "sts:GetSessionToken",
  "sts:TagSession",
];

/** Condition operators RGW 16 parses (each also with the `IfExists` suffix). */
export const RGW_CONDITION_OPERATORS: readonly string[] = [
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
  "StringLike",
  "StringNotLike",
  "ForAllValues:StringEquals",
  "ForAnyValue:StringEquals",
  "ForAllValues:StringLike",
  "ForAnyValue:StringLike",
  "ForAllValues:StringEqualsIgnoreCase",
  "ForAnyValue:StringEqualsIgnoreCase",
  "NumericEquals",
  "NumericNotEquals",
  "NumericLessThan",
  "NumericLessThanEquals",
  "NumericGreaterThan",
  "NumericGreaterThanEquals",
  "DateEquals",
  "DateNotEquals",
  "DateLessThan",
  "DateLessThanEquals",
  "DateGreaterThan",
  "DateGreaterThanEquals",
  "Bool",
  "BinaryEquals",
  "IpAddress",
  "NotIpAddress",
  "ArnEquals",
  "ArnNotEquals",
  "ArnLike",
  "ArnNotLike",
  "Null",
];

const TOP_KEYS = ["Version", "Id", "Statement"];
const STATEMENT_KEYS = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];
const PRINCIPAL_TYPES = ["AWS", "Federated", "Service", "CanonicalUser"];
const VERSIONS = ["2008-10-17", "2012-10-17"];

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    "^" +
      glob
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("") +
      "$",
    "i",
  );
}

/** Whether RGW 16 takes `action`: `*`, or a pattern matching at least one action it knows. */
export function rgwKnowsAction(action: string): boolean {
  if (action.startsWith("*")) return true;
  const rx = globToRegExp(action);
  return RGW_ACTIONS.some((a) => rx.test(a));
}

/** arn:<partition>:<service>:<region>:<account>:<resource>; RGW refuses anything with fewer parts. */
function arnProblem(s: string): string | undefined {
  const m = /^arn:([^:]*):([^:]*):([^:]*):([^:]*):(.*)$/s.exec(s);
  if (!m) return `"${s}" is not an ARN: write arn:aws:s3:::<bucket> or arn:aws:s3:::<bucket>/<key pattern>`;
  if (!["aws", "aws-cn", "aws-us-gov", "*"].includes(m[1])) return `"${s}": partition "${m[1]}" is not aws, aws-cn or aws-us-gov`;
  if (m[4] !== "" && m[4] !== "*")
    return `"${s}": a bucket policy cannot name another account ("${m[4]}"): leave the account field empty (arn:aws:s3:::…)`;
  return undefined;
}

/** Non-string values inside a list/string slot: RGW refuses numbers, booleans, null, objects there. */
function strings(v: unknown, where: string, problems: string[]): string[] | undefined {
  const list = Array.isArray(v) ? v : [v];
  const bad = list.find((x) => typeof x !== "string");
  if (bad !== undefined || (typeof v !== "string" && !Array.isArray(v))) {
    problems.push(`${where} must be a string or a list of strings, not ${JSON.stringify(bad ?? v)}`);
    return undefined;
  }
  return list as string[];
}

function checkStatement(s: unknown, at: string, problems: string[]): void {
  if (s === null || typeof s !== "object" || Array.isArray(s)) {
    problems.push(`${at} must be an object`);
    return;
  }
  const st = s as Record<string, unknown>;
  for (const k of Object.keys(st))
    if (!STATEMENT_KEYS.includes(k))
      problems.push(`${at}: unknown key "${k}" (allowed: ${STATEMENT_KEYS.join(", ")}; names are case-sensitive)`);
  if ("Sid" in st && typeof st.Sid !== "string") problems.push(`${at}.Sid must be a string`);
  if ("Effect" in st && st.Effect !== "Allow" && st.Effect !== "Deny")
    problems.push(`${at}.Effect must be "Allow" or "Deny" (exactly, one string), not ${JSON.stringify(st.Effect)}`);
  for (const key of ["Principal", "NotPrincipal"]) {
    if (!(key in st)) continue;
    const p = st[key];
    if (p === "*") continue;
    if (p === null || typeof p !== "object" || Array.isArray(p)) {
      problems.push(
        `${at}.${key} must be "*" or an object such as {"AWS": "arn:aws:iam:::user/<project>:<key>"}, not ${JSON.stringify(p)}`,
      );
      continue;
    }
    for (const [type, v] of Object.entries(p as Record<string, unknown>)) {
      if (!PRINCIPAL_TYPES.includes(type))
        problems.push(`${at}.${key}: unknown principal type "${type}" (allowed: ${PRINCIPAL_TYPES.join(", ")})`);
      else strings(v, `${at}.${key}.${type}`, problems);
    }
  }
  for (const key of ["Action", "NotAction"]) {
    if (!(key in st)) continue;
    for (const a of strings(st[key], `${at}.${key}`, problems) ?? [])
      if (!rgwKnowsAction(a))
        problems.push(`${at}.${key}: "${a}" is not an action Ceph RGW 16 knows (e.g. s3:GetObject, s3:ListBucket, s3:Get*)`);
  }
  for (const key of ["Resource", "NotResource"]) {
    if (!(key in st)) continue;
    for (const r of strings(st[key], `${at}.${key}`, problems) ?? []) {
      const bad = arnProblem(r);
      if (bad) problems.push(`${at}.${key}: ${bad}`);
    }
  }
  if ("Condition" in st) {
    const c = st.Condition;
    if (c === null || typeof c !== "object" || Array.isArray(c)) {
      problems.push(`${at}.Condition must be an object of operators`);
      return;
    }
    for (const [op, keys] of Object.entries(c as Record<string, unknown>)) {
      const base = op.endsWith("IfExists") ? op.slice(0, -"IfExists".length) : op;
      if (!RGW_CONDITION_OPERATORS.includes(base)) {
        problems.push(`${at}.Condition: unknown operator "${op}" (e.g. StringLike, StringNotLikeIfExists, IpAddress)`);
        continue;
      }
      if (keys === null || typeof keys !== "object" || Array.isArray(keys)) {
        problems.push(`${at}.Condition.${op} must be an object of condition keys`);
        continue;
      }
      for (const [k, v] of Object.entries(keys as Record<string, unknown>)) {
        const vals = Array.isArray(v) ? v : [v];
        if (!vals.every((x) => typeof x === "string" || typeof x === "number"))
          problems.push(`${at}.Condition.${op}.${k} must be a string, number or a list of them`);
        for (const x of vals)
          if (typeof x === "string" && x.startsWith("$") && !/^\$\{.*\}$/s.test(x))
            problems.push(`${at}.Condition.${op}.${k}: "${x}" starts with $ but is not a \${variable}`);
      }
    }
  }
}

/** Duplicate keys within one JSON object (JSON.parse keeps the last silently; RGW refuses the document). */
function duplicateKeys(json: string): string[] {
  const found: string[] = [];
  const stack: Set<string>[] = [];
  const tokens = /"(?:[^"\\]|\\.)*"\s*:?|[{}[\]]/g;
  let m: RegExpExecArray | null;
  while ((m = tokens.exec(json)) !== null) {
    const t = m[0];
    if (t === "{") stack.push(new Set());
    else if (t === "}") stack.pop();
    else if (t.endsWith(":") && stack.length) {
      const key = JSON.parse(t.slice(0, -1).trim());
      if (stack[stack.length - 1].has(key)) found.push(key);
      stack[stack.length - 1].add(key);
    }
  }
  return found;
}

/**
 * Every reason Ceph RGW 16 (or, for an empty Statement list, an AWS-compatible server) would refuse this bucket
 * policy; empty when it may be applied. Pure.
 */
export function policyGrammarProblems(json: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    return [`the policy is not valid JSON: ${(e as Error).message}`];
  }
  const problems: string[] = duplicateKeys(json).map((k) => `key "${k}" appears twice in one object: each key may appear once`);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return [...problems, "the policy must be a JSON object"];
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d))
    if (!TOP_KEYS.includes(k)) problems.push(`unknown top-level key "${k}" (allowed: ${TOP_KEYS.join(", ")}; names are case-sensitive)`);
  if ("Version" in d && !VERSIONS.includes(d.Version as string))
    problems.push(`Version must be "2012-10-17" (or "2008-10-17"), not ${JSON.stringify(d.Version)}`);
  if ("Id" in d && typeof d.Id !== "string") problems.push("Id must be a string");
  const statements = Array.isArray(d.Statement) ? d.Statement : d.Statement === undefined ? [] : [d.Statement];
  if (statements.length === 0)
    problems.push("the policy has no statements: S3 servers that follow AWS refuse an empty Statement list; leave the policy out instead");
  statements.forEach((s, i) => checkStatement(s, `Statement[${i}]`, problems));
  return problems;
}
