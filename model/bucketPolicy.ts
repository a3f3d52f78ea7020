// The bucket policy that makes object storage agree with the grants: each reader key may GET objects
// under the folders of its granted tables (and optionally list inside them), nothing else.
// Size matters (Hetzner refuses policies over 1 MB), so the document is bundled: readers with identical
// folder sets form one group, and every folder is stated once for the exact set of groups that read it.
import { NormalizedGrant, ReaderSpec } from "./accessSpec";
import {
  DEFAULT_BACKUPS_PREFIX,
  LakeLayout,
  LayoutIndex,
  grantPrefixes,
  layoutIndex,
  minimalPrefixes,
  prefixesOverlap,
  prefixProblem,
  schemaPrefix,
} from "./lakePaths";
import { partitionGrantResources, isFolderPattern, resourcePattern, staticPrefix } from "./partitionFolders";
import { principalArn, principalProblem } from "./principal";
import { sizeAdvice } from "./policySizeAdvice";

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
  /** Key of another project the backup job uploads with: PutObject under backupsPrefix, nothing else. */
  backupWriter?: { projectId: string; accessKey: string };
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

/** A folder (ending in "/") opens `<folder>*`; a partition grant's delete-file pattern names keys exactly. */
const objectArn = (bucket: string, prefix: string) => `arn:aws:s3:::${bucket}/${resourcePattern(prefix)}`;
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
  groups.forEach((g, i) =>
    g.prefixes.forEach((p) => {
      const l = byPrefix.get(p);
      if (l) l.push(i);
      else byPrefix.set(p, [i]);
    }),
  );
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
          Condition: { StringNotLikeIfExists: { "s3:prefix": prefixes.map(resourcePattern) } },
        }
      : { Effect: "Deny", Principal: { AWS: arn }, Action: "s3:List*", Resource: bucketArn(bucket) };
  return [{ Effect: "Deny", Principal: { AWS: arn }, Action: OWNER_KEY_DENIED_ACTIONS, Resource: all }, gets, lists];
}

/**
 * The one statement of a policy without grants: the bucket owner's project may read the policy, which it may do
 * anyway as owner. Keeps the document valid everywhere (an empty Statement list is not) and grants no one anything.
 */
export function noGrantsStatement(bucket: string, ownerProjectId: string): PolicyStatement {
  return {
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam:::user/p${ownerProjectId}` },
    Action: "s3:GetBucketPolicy",
    Resource: bucketArn(bucket),
  };
}

/** First index of `sorted` whose value is >= `key` (binary search). */
function lowerBound<T>(sorted: T[], key: string, of: (x: T) => string): number {
  let lo = 0,
    hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (of(sorted[mid]) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Every table folder and every stray file key of the layout, indexed once per build, so each reader's
 * overlap check visits only the tables and files its folders reach instead of the whole layout.
 */
interface OverlapIndex {
  layout: LayoutIndex;
  /** Layout positions of the tables in each folder. */
  tablesAt: Map<string, number[]>;
  /** Layout positions of the tables inside each folder ("/"-cut of a table folder), the folder itself included. */
  tablesUnder: Map<string, number[]>;
  /** Outside files with a key in the policy's bucket, sorted by key. */
  fileKeys: { key: string; at: number }[];
  /** Partition grant resources by table and filter: readers with the same partition grant share the work. */
  partitionMemo: Map<string, ReturnType<typeof partitionGrantResources>>;
}

/** "a/b/c/" → "", "a/", "a/b/", "a/b/c/": every folder containing `p` and itself. */
function folderCuts(p: string): string[] {
  const cuts = [""];
  for (let i = p.indexOf("/"); i !== -1; i = p.indexOf("/", i + 1)) cuts.push(p.slice(0, i + 1));
  return cuts;
}

function overlapIndex(layout: LayoutIndex, bucket: string): OverlapIndex {
  const tablesAt = new Map<string, number[]>();
  const tablesUnder = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, at: number) => {
    const l = m.get(k);
    if (l) l.push(at);
    else m.set(k, [at]);
  };
  layout.layout.tables.forEach((t, at) => {
    const p = layout.prefixOfTable(t);
    if (typeof p !== "string") return;
    push(tablesAt, p, at);
    // Table folders end in "/" (or are the bucket root ""), so "p starts with q" means q is one of p's cuts.
    for (const c of folderCuts(p)) if (c !== "") push(tablesUnder, c, at);
  });
  const inBucket = `s3://${bucket}/`;
  const fileKeys = layout.layout.outsideFiles
    .flatMap((f, at) => (f.location.startsWith(inBucket) ? [{ key: f.location.slice(inBucket.length), at }] : []))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.at - b.at));
  return { layout, tablesAt, tablesUnder, fileKeys, partitionMemo: new Map() };
}

/** Layout positions of the tables whose folder overlaps one of `prefixes` (granted folders, each ending in "/"), ascending. */
function tablesOverlapping(ix: OverlapIndex, prefixes: string[]): number[] {
  const found = new Set<number>();
  for (const q of prefixes) {
    // Folders inside q (q itself included). Granted folders end in "/"; any other string is scanned in full.
    if (q.endsWith("/")) for (const at of ix.tablesUnder.get(q) ?? []) found.add(at);
    else for (const [p, ats] of ix.tablesAt) if (p.startsWith(q)) for (const at of ats) found.add(at);
    for (const c of folderCuts(q)) for (const at of ix.tablesAt.get(c) ?? []) found.add(at); // folders containing q
  }
  return [...found].sort((a, b) => a - b);
}

/** Layout positions of the outside files whose key lies under one of `prefixes`, ascending. */
function filesUnder(ix: OverlapIndex, prefixes: string[]): number[] {
  const found = new Set<number>();
  for (const q of prefixes)
    for (let i = lowerBound(ix.fileKeys, q, (f) => f.key); i < ix.fileKeys.length && ix.fileKeys[i].key.startsWith(q); i++)
      found.add(ix.fileKeys[i].at);
  return [...found].sort((a, b) => a - b);
}

/** A grant of part of a table's rows (NormalizedGrant.rows); the rest are whole tables or schemas. */
const isPartitionGrant = (g: NormalizedGrant): g is NormalizedGrant & { table: string } =>
  g.table !== null && g.rows !== undefined && g.rows.length > 0;

/** Folders of one reader from its grants, plus problems (unsafe folders, tables exposed without a grant). */
function readerFolders(input: BucketPolicyInput, ix: OverlapIndex, reader: string, grants: NormalizedGrant[], backups: string) {
  const problems: string[] = [];
  const warnings: string[] = [];
  const found: string[] = [];
  const whole = grants.filter((g) => !isPartitionGrant(g));
  for (const g of whole) {
    const r = grantPrefixes(ix.layout, g, { backupsPrefix: backups });
    found.push(...r.prefixes);
    problems.push(...r.problems.map((p) => `reader "${reader}": ${p}`));
    warnings.push(...r.warnings.map((w) => `reader "${reader}": ${w}`));
  }
  const wholePrefixes = minimalPrefixes(found);
  // Partition grants: object-key patterns inside the table's folder (model/partitionFolders.ts).
  const partial: { schema: string; table: string; patterns: string[] }[] = [];
  for (const g of grants.filter(isPartitionGrant)) {
    const folder = ix.layout.tablePrefix(g.schema, g.table);
    const label = `table "${g.schema}"."${g.table}"`;
    const bad = typeof folder === "string" ? prefixProblem(ix.layout.layout, folder, label, backups) : folder.problem;
    if (bad || typeof folder !== "string") {
      problems.push(`reader "${reader}": ${bad}`);
      continue;
    }
    const memoKey = JSON.stringify([folder, g.schema, g.table, g.rows]);
    let r = ix.partitionMemo.get(memoKey);
    if (!r) {
      const target = { schema: g.schema, table: g.table, rows: g.rows! };
      ix.partitionMemo.set(memoKey, (r = partitionGrantResources(folder, ix.layout.partitionFactsOf(g.schema, g.table), target)));
    }
    const t = ix.layout.findTable(g.schema, g.table);
    partial.push({ schema: t?.schema ?? g.schema, table: t?.name ?? g.table, patterns: r.patterns });
    found.push(...r.patterns);
    problems.push(...r.problems.map((p) => `reader "${reader}": ${p}`));
    warnings.push(...r.warnings.map((w) => `reader "${reader}": ${w}`));
  }
  const prefixes = minimalPrefixes(found);
  // Granted (schema, table) pairs as DuckDB compares names: case-insensitively; a null table = whole schema.
  // Only whole grants count: a folder that reaches a partition-granted table's files would open all its rows.
  const grantedIn = new Map<string, Set<string> | null>();
  for (const g of whole) {
    const s = g.schema.toLowerCase(),
      had = grantedIn.get(s);
    if (g.table === null) grantedIn.set(s, null);
    else if (had === undefined) grantedIn.set(s, new Set([g.table.toLowerCase()]));
    else if (had !== null) had.add(g.table.toLowerCase());
  }
  const granted = (schema: string, table: string) => {
    const ts = grantedIn.get(schema.toLowerCase());
    return ts === null || (ts !== undefined && ts.has(table.toLowerCase()));
  };
  // A folder that overlaps another table's folder opens that table's files too: refuse rather than leak.
  for (const at of tablesOverlapping(ix, wholePrefixes)) {
    const t = ix.layout.layout.tables[at];
    if (granted(t.schema, t.name)) continue;
    const p = ix.layout.prefixOfTable(t) as string;
    const hit = wholePrefixes.find((q) => prefixesOverlap(p, q))!;
    problems.push(
      `reader "${reader}": folder "${hit}" overlaps folder "${p}" of table "${t.schema}"."${t.name}", ` +
        "which the reader is not granted: its files would become readable; give the tables separate folders or grant both",
    );
  }
  for (const at of filesUnder(ix, wholePrefixes)) {
    const f = ix.layout.layout.outsideFiles[at];
    if (granted(f.schema, f.table)) continue;
    const key = f.location.slice(`s3://${input.bucket}/`.length);
    const hit = wholePrefixes.find((q) => key.startsWith(q))!;
    problems.push(
      `reader "${reader}": ${f.kind} file ${f.location} of table "${f.schema}"."${f.table}" (not granted) lies in granted folder "${hit}": move or remove it`,
    );
  }
  // A partition grant's patterns may open keys anywhere below their literal start: other tables nested there, or
  // their files, must not be (its own table's files are checked against the grant by partitionGrantResources).
  for (const p of partial) {
    const own = (schema: string, table: string) => schema === p.schema && table === p.table;
    const starts = minimalPrefixes(p.patterns.map(staticPrefix));
    for (const at of tablesOverlapping(ix, starts)) {
      const t = ix.layout.layout.tables[at];
      if (granted(t.schema, t.name) || own(t.schema, t.name)) continue;
      problems.push(
        `reader "${reader}": partition folders of table "${p.schema}"."${p.table}" (under "${starts[0]}") overlap folder ` +
          `"${ix.layout.prefixOfTable(t) as string}" of table "${t.schema}"."${t.name}", which the reader is not granted whole: its files would become readable; give the tables separate folders`,
      );
    }
    for (const at of filesUnder(ix, starts)) {
      const f = ix.layout.layout.outsideFiles[at];
      if (granted(f.schema, f.table) || own(f.schema, f.table)) continue;
      problems.push(
        `reader "${reader}": ${f.kind} file ${f.location} of table "${f.schema}"."${f.table}" (not granted whole) lies under the partition folders of table "${p.schema}"."${p.table}": move or remove it`,
      );
    }
  }
  return { prefixes, problems, warnings };
}

/** Builds the whole bucket policy from all readers and grants. Pure and deterministic. */
export function buildBucketPolicy(input: BucketPolicyInput): BucketPolicy {
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

  // Indexed once per build (or reused from indexLayout): every lookup below is O(1) or a sorted-range scan.
  const overlaps = overlapIndex(layoutIndex(input.layout), input.bucket);
  const grantsOf = new Map<string, NormalizedGrant[]>();
  for (const g of input.grants) {
    const l = grantsOf.get(g.reader);
    if (l) l.push(g);
    else grantsOf.set(g.reader, [g]);
  }
  const readerPrefixes: Record<string, string[]> = {};
  const allowGroups = new Map<string, { principals: string[]; prefixes: string[] }>();
  const denies: PolicyStatement[] = [];
  const allowReaders: { name: string; arn: string; prefixes: string[] }[] = [];
  for (const r of readers) {
    const fallback = input.ownerProjectKeys === "deny";
    const bad = principalProblem(r.principal, input.ownerProjectId, { allowOwnerProject: fallback });
    if (bad) {
      problems.push(`reader "${r.name}": ${bad}`);
      continue;
    }
    const folders = readerFolders(input, overlaps, r.name, grantsOf.get(r.name) ?? [], backups);
    problems.push(...folders.problems);
    warnings.push(...folders.warnings);
    readerPrefixes[r.name] = folders.prefixes;
    const arn = principalArn(r.principal);
    if (r.principal.projectId === input.ownerProjectId) {
      denies.push(...ownerKeyDenyStatements(input.bucket, arn, folders.prefixes, listing));
      continue;
    }
    if (folders.prefixes.length === 0) continue;
    allowReaders.push({ name: r.name, arn, prefixes: folders.prefixes });
    const key = folders.prefixes.join("\n");
    const g = allowGroups.get(key) ?? { principals: [], prefixes: folders.prefixes };
    g.principals.push(arn);
    allowGroups.set(key, g);
  }
  const groups = [...allowGroups.keys()].sort().map((k) => allowGroups.get(k)!);
  // The backup job's key (config backupPrincipal): write-only under the backups prefix, so a compromised
  // catalog server can neither read nor delete the lake.
  const backupWrite: PolicyStatement[] = [];
  if (input.backupWriter) {
    const bad = principalProblem(input.backupWriter, input.ownerProjectId);
    const arn = principalArn(input.backupWriter);
    if (bad) problems.push(`backup writer: ${bad}`);
    else if (arnOwner.has(arn))
      problems.push(
        `backup writer key ${input.backupWriter.accessKey} is also reader "${arnOwner.get(arn)}"'s key: give the backup job its own key`,
      );
    else if (backups === "") problems.push("backup writer needs a backups prefix");
    else backupWrite.push({ Effect: "Allow", Principal: { AWS: arn }, Action: "s3:PutObject", Resource: objectArn(input.bucket, backups) });
  }
  const statements = [
    ...backupWrite,
    ...bundledAllows(
      groups,
      "s3:GetObject",
      (ps) => ({ Resource: one(ps.map((p) => objectArn(input.bucket, p))) }),
      (p) => itemBytes(objectArn(input.bucket, p)),
    ),
    ...(listing
      ? bundledAllows(
          // Listing only inside folders: a partition grant's delete-file pattern names objects, not a folder.
          groups.map((g) => ({ ...g, prefixes: g.prefixes.filter(isFolderPattern) })).filter((g) => g.prefixes.length > 0),
          "s3:ListBucket",
          // "<folder>/*" also matches "<folder>/" itself; a prefix without the slash stays refused.
          (ps) => ({ Resource: bucketArn(input.bucket), Condition: { StringLike: { "s3:prefix": ps.map((p) => `${p}*`) } } }),
          (p) => itemBytes(`${p}*`),
        )
      : []),
    ...denies,
  ];
  // No grants yet: an empty Statement list is refused by S3 servers that follow AWS; one statement that adds nothing.
  if (statements.length === 0) statements.push(noGrantsStatement(input.bucket, input.ownerProjectId));
  const keyed = statements.map((s) => ({ s, k: JSON.stringify(s) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const document: PolicyDocument = { Version: "2012-10-17", Statement: keyed.map((x) => x.s) };
  const json = JSON.stringify(document);
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes > limitBytes) {
    const folder = (p: string | { problem: string }) => (typeof p === "string" ? p : undefined);
    problems.push(
      policyTooLargeMessage(
        input.bucket,
        bytes,
        limitBytes,
        readerPrefixes,
        listing,
        sizeAdvice({
          bucket: input.bucket,
          bytes,
          limitBytes,
          allowListing: listing,
          readers: allowReaders,
          // Advice replaces table grants by schema grants: never suggested for partition grants (kept as they are).
          grants: input.grants.filter((g) => !isPartitionGrant(g)),
          tableFolder: (schema, table) => folder(overlaps.layout.tablePrefix(schema, table)),
          schemaFolder: (schema) => folder(schemaPrefix(overlaps.layout, schema)),
          listingBytes: keyed.filter((x) => x.s.Action === "s3:ListBucket").reduce((n, x) => n + Buffer.byteLength(x.k) + 1, 0),
          bytesWith: (grants) =>
            buildBucketPolicy({ ...input, grants: [...grants, ...input.grants.filter(isPartitionGrant)], limitBytes: Infinity }).bytes,
        }),
      ),
    );
  }
  return { document, json, bytes, limitBytes, headroomBytes: limitBytes - bytes, readerPrefixes, problems, warnings };
}

/** Says by how much the policy is too large and what shrinks it. */
export function policyTooLargeMessage(
  bucket: string,
  bytes: number,
  limitBytes: number,
  readerPrefixes: Record<string, string[]>,
  allowListing: boolean,
  advice: string[] = [],
): string {
  const readers = Object.keys(readerPrefixes).length;
  const folders = Object.values(readerPrefixes).reduce((n, ps) => n + ps.length, 0);
  const head =
    `bucket policy for ${bucket} is ${bytes.toLocaleString("en")} bytes, ${(bytes - limitBytes).toLocaleString("en")} over ` +
    `the ${limitBytes.toLocaleString("en")}-byte limit (${readers} readers, ${folders} reader-folder grants)`;
  // With the numbers of this policy (policySizeAdvice.ts) when known, else the general rules.
  if (advice.length > 0) return `${head}. To shrink it:\n    - ${advice.join("\n    - ")}`;
  return (
    `${head}. To shrink it: ` +
    "grant whole schemas instead of many tables of one schema; give readers with the same needs exactly the same grants " +
    "(identical sets share one statement); " +
    (allowListing ? "turn off listing (allowListing: false); " : "") +
    "or move some readers' tables to a second lake bucket"
  );
}

export class BucketPolicyError extends Error {
  constructor(readonly problems: string[]) {
    super(`bucket policy refused:\n  - ${problems.join("\n  - ")}`);
    this.name = "BucketPolicyError";
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reference evaluator: what Ceph RGW decides for one request under a document (used by randomized tests).

export type S3Action =
  | "s3:GetObject"
  | "s3:ListBucket"
  | "s3:PutObject"
  | "s3:DeleteObject"
  | "s3:GetBucketPolicy"
  | "s3:PutBucketPolicy"
  | "s3:DeleteBucketPolicy";

/** `*` any run, `?` one character; everything else literal. */
export function globMatch(pattern: string, value: string): boolean {
  const rx = new RegExp(
    "^" +
      pattern
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("") +
      "$",
    "s",
  );
  return rx.test(value);
}

function principalMatches(p: string, arn: string): boolean {
  if (p === "*" || p === arn) return true;
  // RGW: `user/p<ID>` and `user/p<ID>:*` match every key (subuser) of that user.
  const user = /^arn:aws:iam:::user\/([^:]+)(:\*)?$/.exec(p);
  return user !== null && arn.startsWith(`arn:aws:iam:::user/${user[1]}:`);
}

const list = (x: string | string[] | undefined) => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

function conditionHolds(cond: Condition | undefined, prefix: string | undefined): boolean {
  for (const [op, keys] of Object.entries(cond ?? {})) {
    for (const [k, values] of Object.entries(keys)) {
      if (k !== "s3:prefix") return false; // unknown keys never hold in this model
      const present = prefix !== undefined && prefix !== "";
      const like = present && values.some((v) => globMatch(v, prefix!));
      const holds =
        op === "StringLike"
          ? like
          : op === "StringNotLike"
            ? present && !like
            : op === "StringLikeIfExists"
              ? !present || like
              : op === "StringNotLikeIfExists"
                ? !present || !like
                : false;
      if (!holds) return false;
    }
  }
  return true;
}

/**
 * Whether `principal` may do `action`; `target` is the object key, or for ListBucket the prefix (undefined
 * or "" = none). `owner` keys are allowed unless explicitly denied (RGW ownership), others need an Allow.
 */
export function evaluatePolicy(
  document: PolicyDocument,
  principal: string,
  action: S3Action,
  target: string | undefined,
  opts: { bucket: string; owner?: boolean },
): boolean {
  const bucketLevel = action === "s3:ListBucket" || action.endsWith("BucketPolicy");
  const resource = bucketLevel ? bucketArn(opts.bucket) : `${bucketArn(opts.bucket)}/${target ?? ""}`;
  let allowed = false;
  for (const s of document.Statement) {
    if (!list(s.Principal.AWS).some((p) => principalMatches(p, principal))) continue;
    if (!list(s.Action).some((a) => globMatch(a, action))) continue;
    const inResources =
      s.Resource !== undefined
        ? list(s.Resource).some((r) => globMatch(r, resource))
        : !list(s.NotResource).some((r) => globMatch(r, resource));
    if (!inResources) continue;
    if (!conditionHolds(s.Condition, action === "s3:ListBucket" ? target : undefined)) continue;
    if (s.Effect === "Deny") return false;
    allowed = true;
  }
  return allowed || (opts.owner ?? false);
}
