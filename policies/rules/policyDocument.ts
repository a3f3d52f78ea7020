// Reading an S3 bucket policy as the rules see it: statements with principals and actions as lists.

export const BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy";

export interface PolicyStatement {
  sid?: string;
  effect: string;
  /** "*" for anyone; otherwise the AWS principal strings. */
  principals: string[];
  actions: string[];
  resources: string[];
}

const asList = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** Parses a bucket policy (JSON string or object); undefined when unknown at preview or unparseable. */
export function policyStatements(policy: unknown): PolicyStatement[] | undefined {
  let doc: unknown = policy;
  if (typeof policy === "string") {
    try {
      doc = JSON.parse(policy);
    } catch {
      return undefined;
    }
  }
  if (typeof doc !== "object" || doc === null) return undefined;
  const raw = (doc as { Statement?: unknown }).Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map((s: any) => {
    const p = s?.Principal;
    const principals = p === "*" ? ["*"] : typeof p === "object" && p !== null ? asList(p.AWS) : asList(p);
    return { sid: s?.Sid, effect: String(s?.Effect ?? ""), principals, actions: asList(s?.Action), resources: asList(s?.Resource) };
  });
}

/** `arn:aws:iam:::user/p<project>:<key>` → { project, key }; key is "*" or missing for whole-project principals. */
export function parsePrincipal(arn: string): { project: string; key?: string } | undefined {
  const m = /^arn:aws:iam:::user\/p([0-9]+)(?::(.+))?$/.exec(arn);
  return m ? { project: m[1], key: m[2] } : undefined;
}

/** Byte length of the policy as stored (minified JSON). */
export function policyBytes(policy: unknown): number | undefined {
  if (typeof policy === "string") return Buffer.byteLength(policy, "utf8");
  if (typeof policy === "object" && policy !== null) return Buffer.byteLength(JSON.stringify(policy), "utf8");
  return undefined;
}
