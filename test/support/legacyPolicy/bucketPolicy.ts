// ORACLE ONLY — NOT PRODUCT CODE. buildBucketPolicy from model/bucketPolicy.ts as of commit 77189b7 (before
// issue 15), frozen: readerFolders resolves every table of the layout per reader (682 s for 200 readers x
// 100 grants over 20,000 tables). Tests and bench/policy-build.ts compare the program's output to this one.
// If a later change to the statements themselves is intended, port it here too. Do not import from the program.
import { NormalizedGrant, ReaderSpec } from "../../../model/accessSpec";
import { DEFAULT_BACKUPS_PREFIX, LakeLayout, grantPrefixes, minimalPrefixes, prefixesOverlap, tablePrefix } from "./lakePaths";
import { principalArn, principalProblem } from "../../../model/principal";

/** Hetzner's documented bucket-policy limit ("1 MB"), read conservatively as 10^6 bytes of minified JSON. */
export const HETZNER_POLICY_LIMIT_BYTES = 1_000_000;

export type Condition = Record<string, Record<string, string[]>>;
export interface PolicyStatement {
  Effect: "Allow" | "Deny";
  Principal: { AWS: string | string[] };
  Action: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Condition;
}
export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export interface BucketPolicyInput {
  bucket: string;
  /** Hetzner project owning the bucket; its keys cannot be narrowed by an Allow. */
  ownerProjectId: string;
  readers: ReaderSpec[];
  grants: NormalizedGrant[];
  layout: LakeLayout;
  /** Also allow ListBucket inside granted folders (for people browsing; DuckDB does not need it). Default false. */
  allowListing?: boolean;
  /** Never-grantable prefix holding backups. Default "backups/". */
  backupsPrefix?: string;
  /** Default HETZNER_POLICY_LIMIT_BYTES. */
  limitBytes?: number;
  /**
   * Reader keys from the owner's project: "refuse" (default) reports a problem; "deny" confines them with
   * explicit Deny statements on this bucket (they keep full access to the project's other buckets).
   */
  ownerProjectKeys?: "refuse" | "deny";
}

export interface BucketPolicy {
  document: PolicyDocument;
  /** Minified, deterministic JSON: what is applied. */
  json: string;
  bytes: number;
  limitBytes: number;
  /** limitBytes - bytes (negative when too large). */
  headroomBytes: number;
  /** Bucket-relative folders each reader may read, sorted. */
  readerPrefixes: Record<string, string[]>;
  /** Must be empty before the policy may be applied. */
  problems: string[];
  warnings: string[];
}

const objectArn = (bucket: string, prefix: string) => `arn:aws:s3:::${bucket}/${prefix}*`;
const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;
const one = (xs: string[]): string | string[] => (xs.length === 1 ? xs[0] : xs);
/** JSON bytes of a string inside an array (quotes + comma). */
const itemBytes = (s: string) => Buffer.byteLength(JSON.stringify(s)) + 1;

/** The Allow statements for one action, bundled. `cell(prefix)` is what the statement lists for a folder. */
function bundledAllows(
  groups: { principals: string[]; prefixes: string[] }[],
  action: string,
  cell: (prefixes: string[]) => Pick<PolicyStatement, "Resource" | "Condition">,
  prefixBytes: (p: string) => number,
): PolicyStatement[] {
  // Column classes: folders read by exactly the same set of groups share one statement.
  const byPrefix = new Map<string, number[]>();
  groups.forEach((g, i) => g.prefixes.forEach((p) => byPrefix.set(p, [...(byPrefix.get(p) ?? []), i])));
  const classes = new Map<string, { groups: number[]; prefixes: string[] }>();
  for (const [p, gs] of byPrefix) {
    const key = gs.join(",");
    const c = classes.get(key) ?? { groups: gs, prefixes: [] };
    c.prefixes.push(p);
    classes.set(key, c);
  }
  // A shared class that costs more than repeating its folders in each group's own statement is split up
  // (e.g. one folder read by two single-key groups: two ARNs of ~48 bytes vs one folder stated twice).
  const overhead = 90;
  const principalBytes = (g: number) => groups[g].principals.reduce((n, p) => n + itemBytes(p), 0);
  const own = new Map<number, string[]>();
  for (const c of classes.values()) if (c.groups.length === 1) own.set(c.groups[0], c.prefixes);
  for (const key of [...classes.keys()].sort()) {
    const c = classes.get(key)!;
    if (c.groups.length === 1) continue;
    const folders = c.prefixes.reduce((n, p) => n + prefixBytes(p), 0);
    const shared = overhead + c.groups.reduce((n, g) => n + principalBytes(g), 0) + folders;
    const split = c.groups.reduce((n, g) => n + folders + (own.has(g) ? 0 : overhead + principalBytes(g)), 0);
    if (split >= shared) continue;
    for (const g of c.groups) own.set(g, [...(own.get(g) ?? []), ...c.prefixes]);
    classes.delete(key);
  }
  const bundles = [
    ...[...own.entries()].map(([g, prefixes]) => ({ groups: [g], prefixes })),
    ...[...classes.values()].filter((c) => c.groups.length > 1),
  ];
  return bundles.map((b) => ({
    Effect: "Allow" as const,
    Principal: { AWS: one(b.groups.flatMap((g) => groups[g].principals).sort()) },
    Action: action,
    ...cell([...b.prefixes].sort()),
  }));
}

/** Actions an owner-project key could use to write or reconfigure the bucket (NotAction is ignored by Ceph 16). */
export const OWNER_KEY_DENIED_ACTIONS = ["s3:Put*", "s3:Delete*", "s3:Abort*", "s3:Restore*", "s3:Bypass*", "s3:Create*"];

/**
 * Deny-based confinement of a key from the bucket owner's project (which has full access by ownership):
 * no writes or configuration changes, no GET-family action outside its folders, no listing outside them.
 */
export function ownerKeyDenyStatements(bucket: string, arn: string, prefixes: string[], allowListing: boolean): PolicyStatement[] {
  const all = [bucketArn(bucket), `${bucketArn(bucket)}/*`];
  const gets: PolicyStatement =
    prefixes.length === 0
      ? { Effect: "Deny", Principal: { AWS: arn }, Action: "s3:Get*", Resource: all }
      : { Effect: "Deny", Principal: { AWS: arn }, Action: "s3:Get*", NotResource: one(prefixes.map((p) => objectArn(bucket, p))) };
  const lists: PolicyStatement =
    allowListing && prefixes.length > 0
      ? // Ceph 16 omits s3:prefix on a list without prefix: IfExists makes that case match (and be denied).
        {
          Effect: "Deny",
          Principal: { AWS: arn },
          Action: "s3:List*",
          Resource: bucketArn(bucket),
          Condition: { StringNotLikeIfExists: { "s3:prefix": prefixes.map((p) => `${p}*`) } },
        }
      : { Effect: "Deny", Principal: { AWS: arn }, Action: "s3:List*", Resource: bucketArn(bucket) };
  return [{ Effect: "Deny", Principal: { AWS: arn }, Action: OWNER_KEY_DENIED_ACTIONS, Resource: all }, gets, lists];
}

/** Folders of one reader from its grants, plus problems (unsafe folders, tables exposed without a grant). */
function readerFolders(input: BucketPolicyInput, reader: string, grants: NormalizedGrant[], backups: string) {
  const problems: string[] = [];
  const warnings: string[] = [];
  const found: string[] = [];
  for (const g of grants) {
    const r = grantPrefixes(input.layout, g, { backupsPrefix: backups });
    found.push(...r.prefixes);
    problems.push(...r.problems.map((p) => `reader "${reader}": ${p}`));
    warnings.push(...r.warnings.map((w) => `reader "${reader}": ${w}`));
  }
  const prefixes = minimalPrefixes(found);
  const granted = (schema: string, table: string) =>
    grants.some(
      (g) => g.schema.toLowerCase() === schema.toLowerCase() && (g.table === null || g.table.toLowerCase() === table.toLowerCase()),
    );
  // A folder that overlaps another table's folder opens that table's files too: refuse rather than leak.
  for (const t of input.layout.tables) {
    if (granted(t.schema, t.name)) continue;
    const p = tablePrefix(input.layout, t.schema, t.name);
    const hit = typeof p === "string" ? prefixes.find((q) => prefixesOverlap(p, q)) : undefined;
    if (hit)
      problems.push(
        `reader "${reader}": folder "${hit}" overlaps folder "${p}" of table "${t.schema}"."${t.name}", ` +
          "which the reader is not granted: its files would become readable; give the tables separate folders or grant both",
      );
  }
  for (const f of input.layout.outsideFiles) {
    if (granted(f.schema, f.table)) continue;
    const key = f.location.startsWith(`s3://${input.bucket}/`) ? f.location.slice(`s3://${input.bucket}/`.length) : undefined;
    const hit = key === undefined ? undefined : prefixes.find((q) => key.startsWith(q));
    if (hit)
      problems.push(
        `reader "${reader}": ${f.kind} file ${f.location} of table "${f.schema}"."${f.table}" (not granted) lies in granted folder "${hit}": move or remove it`,
      );
  }
  return { prefixes, problems, warnings };
}

/** Builds the whole bucket policy from all readers and grants. Pure and deterministic. */
export function legacyBuildBucketPolicy(input: BucketPolicyInput): BucketPolicy {
  const limitBytes = input.limitBytes ?? HETZNER_POLICY_LIMIT_BYTES;
  const backups = input.backupsPrefix ?? DEFAULT_BACKUPS_PREFIX;
  const listing = input.allowListing ?? false;
  const problems: string[] = [];
  const warnings: string[] = [];
  if (input.layout.bucket !== input.bucket)
    problems.push(`the lake's data path ${input.layout.dataPath} is not in bucket ${input.bucket}: this policy cannot guard it`);
  if (backups !== "" && !backups.endsWith("/")) problems.push(`backups prefix "${backups}" must end with "/"`);

  const readers = [...input.readers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const known = new Set(readers.map((r) => r.name));
  for (const g of input.grants)
    if (!known.has(g.reader))
      problems.push(`grant ${g.key} names reader "${g.reader}", which is not declared: add it to readers or remove the grant`);
  const arnOwner = new Map<string, string>();
  for (const r of readers) {
    const arn = principalArn(r.principal);
    if (arnOwner.has(arn))
      problems.push(
        `readers "${arnOwner.get(arn)}" and "${r.name}" use the same access key ${r.principal.accessKey}: give each reader its own key`,
      );
    arnOwner.set(arn, r.name);
  }

  const readerPrefixes: Record<string, string[]> = {};
  const allowGroups = new Map<string, { principals: string[]; prefixes: string[] }>();
  const denies: PolicyStatement[] = [];
  for (const r of readers) {
    const fallback = input.ownerProjectKeys === "deny";
    const bad = principalProblem(r.principal, input.ownerProjectId, { allowOwnerProject: fallback });
    if (bad) {
      problems.push(`reader "${r.name}": ${bad}`);
      continue;
    }
    const folders = readerFolders(
      input,
      r.name,
      input.grants.filter((g) => g.reader === r.name),
      backups,
    );
    problems.push(...folders.problems);
    warnings.push(...folders.warnings);
    readerPrefixes[r.name] = folders.prefixes;
    const arn = principalArn(r.principal);
    if (r.principal.projectId === input.ownerProjectId) {
      denies.push(...ownerKeyDenyStatements(input.bucket, arn, folders.prefixes, listing));
      continue;
    }
    if (folders.prefixes.length === 0) continue;
    const key = folders.prefixes.join("\n");
    const g = allowGroups.get(key) ?? { principals: [], prefixes: folders.prefixes };
    g.principals.push(arn);
    allowGroups.set(key, g);
  }
  const groups = [...allowGroups.keys()].sort().map((k) => allowGroups.get(k)!);
  const statements = [
    ...bundledAllows(
      groups,
      "s3:GetObject",
      (ps) => ({ Resource: one(ps.map((p) => objectArn(input.bucket, p))) }),
      (p) => itemBytes(objectArn(input.bucket, p)),
    ),
    ...(listing
      ? bundledAllows(
          groups,
          "s3:ListBucket",
          // "<folder>/*" also matches "<folder>/" itself; a prefix without the slash stays refused.
          (ps) => ({ Resource: bucketArn(input.bucket), Condition: { StringLike: { "s3:prefix": ps.map((p) => `${p}*`) } } }),
          (p) => itemBytes(`${p}*`),
        )
      : []),
    ...denies,
  ];
  // Ported intended change (issue 11, item 9): no grants → one statement that adds nothing, not an empty list.
  if (statements.length === 0)
    statements.push({
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam:::user/p${input.ownerProjectId}` },
      Action: "s3:GetBucketPolicy",
      Resource: bucketArn(input.bucket),
    });
  const keyed = statements.map((s) => ({ s, k: JSON.stringify(s) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const document: PolicyDocument = { Version: "2012-10-17", Statement: keyed.map((x) => x.s) };
  const json = JSON.stringify(document);
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes > limitBytes) problems.push(policyTooLargeMessage(input.bucket, bytes, limitBytes, readerPrefixes, listing));
  return { document, json, bytes, limitBytes, headroomBytes: limitBytes - bytes, readerPrefixes, problems, warnings };
}

/** Says by how much the policy is too large and what shrinks it. */
export function policyTooLargeMessage(
  bucket: string,
  bytes: number,
  limitBytes: number,
  readerPrefixes: Record<string, string[]>,
  allowListing: boolean,
): string {
  const readers = Object.keys(readerPrefixes).length;
  const folders = Object.values(readerPrefixes).reduce((n, ps) => n + ps.length, 0);
  return (
    `bucket policy for ${bucket} is ${bytes.toLocaleString("en")} bytes, ${(bytes - limitBytes).toLocaleString("en")} over ` +
    `the ${limitBytes.toLocaleString("en")}-byte limit (${readers} readers, ${folders} reader-folder grants). To shrink it: ` +
    "grant whole schemas instead of many tables of one schema; give readers with the same needs exactly the same grants " +
    "(identical sets share one statement); " +
    (allowListing ? "turn off listing (allowListing: false); " : "") +
    "or move some readers' tables to a second lake bucket"
  );
}
