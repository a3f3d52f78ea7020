// One grant = one resource in the preview: `ducklake:access:Grant`, named by what it grants. Adding a grant
// to the list shows one `+ create`, removing it one `- delete`, next to the two updates that carry it out:
// the reader's catalog ACL (providers/readerAcl.ts) and the bucket policy, both rebuilt from the same
// normalised grants. The Grant itself is deliberately empty: every registered resource costs a preview
// time and memory, and at 20,000 grants (200 readers × 100) anything more per grant breaks the budget.
import * as pulumi from "@pulumi/pulumi";
import { NormalizedGrant } from "../model/accessSpec";

/**
 * `${accessName}-grant-${key}`, key = reader/schema[/table] with odd characters %-escaped
 * (model/grants grantKey): the same grant gets the same name wherever it sits in the list.
 */
export function grantResourceName(accessName: string, grant: Pick<NormalizedGrant, "key">): string {
  return `${accessName}-grant-${grant.key}`;
}

/** A declared grant; parent it to its reader so the preview groups a reader's access. */
export class Grant extends pulumi.ComponentResource {
  constructor(
    accessName: string,
    readonly grant: NormalizedGrant,
    opts: pulumi.ComponentResourceOptions,
  ) {
    super("ducklake:access:Grant", grantResourceName(accessName, grant), {}, opts);
  }
}
