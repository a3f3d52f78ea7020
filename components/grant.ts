// One grant = one resource: the catalog guard's ACL entry, named by what it grants. Lean on purpose:
// at 20,000 grants every extra resource or property per grant costs seconds and hundreds of MB in a
// preview, so a grant has no component wrapper; it is parented to its reader, which groups it in the tree.
import * as pulumi from "@pulumi/pulumi";
import { NormalizedGrant } from "../model/access";
import { CatalogConnection } from "../model/connection";
import { AclEntry } from "../providers/aclEntry";

/**
 * `${accessName}-grant-${key}`, key = reader/schema[/table] with odd characters %-escaped
 * (model/grants grantKey): the same grant gets the same name wherever it sits in the list.
 */
export function grantResourceName(accessName: string, grant: Pick<NormalizedGrant, "key">): string {
  return `${accessName}-grant-${grant.key}`;
}

/**
 * Declares one grant. The bucket policy half of the grant is rebuilt from the same normalised grants
 * by the BucketAccessPolicy, so removing this grant revokes both layers in one `pulumi up`.
 */
export function declareGrant(accessName: string, grant: NormalizedGrant, connection: pulumi.Input<CatalogConnection>,
  opts: pulumi.CustomResourceOptions): AclEntry {
  return new AclEntry(grantResourceName(accessName, grant),
    { connection, reader: grant.reader, schema: grant.schema, table: grant.table }, opts);
}
