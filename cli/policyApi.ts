// Asks the storage guard's reference evaluator (model/bucketPolicy.ts) what the live bucket policy
// allows: `access` uses it per reader and table for s3:GetObject on the table's files.
import { evaluatePolicy, PolicyDocument } from "../model/bucketPolicy";

/** true when the key may GetObject `key` (bucket-relative) under `document`. */
export type PolicyEvaluator = (document: unknown, principalArn: string, key: string, ownerKey: boolean) => boolean;

export function policyEvaluator(bucket: string): PolicyEvaluator {
  return (document, principalArn, key, ownerKey) => {
    const doc = document as Partial<PolicyDocument>;
    if (!doc || !Array.isArray(doc.Statement)) return ownerKey; // no policy: only the owner's keys read
    return evaluatePolicy(doc as PolicyDocument, principalArn, "s3:GetObject", key, { bucket, owner: ownerKey });
  };
}
