// The storage guard's policy evaluator (model/bucketPolicy.ts), behind a small interface: `access`
// reads the live bucket policy and asks it, per reader and table, whether GetObject is allowed.
import { CliError } from "./errors";

/** true when `principalArn` may perform `action` on object `key` under `document`. */
export type PolicyEvaluator = (document: unknown, principalArn: string, action: string, key: string) => boolean;

export function loadPolicyEvaluator(bucket: string): PolicyEvaluator {
  let mod: { evaluatePolicy?: (...a: unknown[]) => unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require("../model/bucketPolicy");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND")
      throw new CliError("the bucket policy model (model/bucketPolicy.ts) is missing from this checkout");
    throw e;
  }
  const evaluate = mod.evaluatePolicy;
  if (typeof evaluate !== "function") throw new CliError("model/bucketPolicy does not export evaluatePolicy");
  return (document, principalArn, action, key) => decisionIsAllow(evaluate(document, principalArn, action, `${bucket}/${key}`));
}

/** Accepts the evaluator's decision as a boolean, "allow"/"deny"/"implicit-deny", or { decision | allowed }. */
export function decisionIsAllow(d: unknown): boolean {
  if (typeof d === "boolean") return d;
  if (typeof d === "string") return d.toLowerCase() === "allow";
  if (d && typeof d === "object") {
    const o = d as { allowed?: unknown; decision?: unknown; effect?: unknown };
    if (typeof o.allowed === "boolean") return o.allowed;
    return decisionIsAllow(o.decision ?? o.effect ?? false);
  }
  return false;
}
