// A miniature of what `pulumi up` / `pulumi refresh` do with the access part of the program, for
// integration tests on real PostgreSQL + RGW without the Pulumi CLI: the same validation (checkAccess),
// the same ReaderAcl dynamic provider called in the engine's order (check → create, or check → diff →
// update / delete-before-replace, delete for readers no longer declared; read on refresh), the same
// UndeclaredAcl provider (entries of roles that are not declared readers; its update runs with the other
// updates, before the deletes), and the same bucket policy builder whose JSON an aws.s3.BucketPolicy
// would put (and, on refresh, read back).
import type { Client } from "pg";
import { GetBucketPolicyCommand, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { s3Client } from "./s3";
import { PgConnection, rgw } from "./services";
import { AccessSpec } from "../../model/accessSpec";
import { CatalogConnection } from "../../model/connection";
import { checkAccess, ValidatedAccess } from "../../model/grants";
import { buildBucketPolicy, BucketPolicy } from "../../model/bucketPolicy";
import { readCatalogLayout } from "../../postgres/catalogLayout";
import { canonicalGrants, readerAclProvider, UndeclaredEntry, undeclaredAclProvider } from "../../providers/readerAcl";
import { checkPartitionGrants } from "../../model/partitionGrants";
import { readPartitionSpecs } from "../../postgres/partitionSpec";

export interface AccessTarget {
  /** The catalog as its owner: what LakeAccess passes to every ReaderAcl. */
  connection: CatalogConnection;
  catalogSchema: string;
  /** Owner-side client used to read the catalog layout (as the program's layout source does). */
  owner: Client;
  bucket: string;
  ownerProjectId: string;
  dataPrefix: string;
  backupsPrefix: string;
  /** S3 client with a key of the bucket owner's project (the aws provider's credentials). */
  adminS3: S3Client;
}

/** The AccessTarget of a test lake on the test RGW: the catalog as `conn` (no TLS), the owner project's admin key. */
export function testAccessTarget(conn: PgConnection, catalogSchema: string, owner: Client, bucket: string): AccessTarget {
  const svc = rgw();
  return {
    connection: { host: conn.host, port: conn.port, database: conn.database, user: conn.user, password: conn.password, sslmode: "disable" },
    catalogSchema,
    owner,
    bucket,
    ownerProjectId: svc.adminProject,
    dataPrefix: "data/",
    backupsPrefix: "backups/",
    adminS3: s3Client(svc.admin),
  };
}

/** What happened to each reader's ReaderAcl in one `up`. */
export type AclOp = "create" | "update" | "replace" | "same" | "delete";

export interface UpResult {
  access: ValidatedAccess;
  acl: Record<string, AclOp>;
  /** What happened to the UndeclaredAcl (the sweep of entries of roles that are not declared readers). */
  undeclared: "create" | "update" | "same";
  /** Whether the bucket policy was (re)applied. */
  policyApplied: boolean;
  policy: BucketPolicy;
}

/** ReaderAcl inputs exactly as LakeAccess builds them for one reader (before the provider's check). */
export function readerAclInputs(target: AccessTarget, access: ValidatedAccess, reader: string) {
  const mine = access.grants.filter((g) => g.reader === reader);
  return {
    connection: target.connection,
    reader,
    grants: canonicalGrants(mine.map((g) => ({ schema: g.schema, table: g.table, rows: g.rows }))),
  };
}

/** The validated list, or an Error listing every problem (what LakeAccess.validate throws at preview). */
export function validate(target: AccessTarget, spec: AccessSpec): ValidatedAccess {
  const check = checkAccess(spec, {
    ownerProjectId: target.ownerProjectId,
    dataPrefix: target.dataPrefix,
    backupsPrefix: target.backupsPrefix,
  });
  if (!check.access) throw new Error(`access list refused:\n${check.errors.join("\n")}`);
  return check.access;
}

/** Refuses partition grants the tables' current specs cannot honour (what LakeAccess's check does at preview). */
export async function checkPartitions(target: AccessTarget, access: ValidatedAccess): Promise<void> {
  const tables = access.grants.flatMap((g) => (g.rows?.length && g.table !== null ? [{ schema: g.schema, table: g.table }] : []));
  if (!tables.length) return;
  const specs = await readPartitionSpecs(target.owner, { catalogSchema: target.catalogSchema, tables });
  const check = checkPartitionGrants(access.grants, { tables: specs });
  if (check.errors.length) throw new Error(`partition grants refused:\n${check.errors.join("\n")}`);
}

/** The bucket policy BucketAccessPolicy would apply for this list on the live catalog layout. */
export async function desiredPolicy(target: AccessTarget, access: ValidatedAccess): Promise<BucketPolicy> {
  // The partition-granted tables' file facts travel with the layout, as the program reads them (index.ts).
  const partitionTables = access.grants.flatMap((g) => (g.rows?.length && g.table !== null ? [{ schema: g.schema, table: g.table }] : []));
  const layout = await readCatalogLayout(target.owner, { catalogSchema: target.catalogSchema, bucket: target.bucket, partitionTables });
  const policy = buildBucketPolicy({
    bucket: target.bucket,
    ownerProjectId: target.ownerProjectId,
    readers: access.readers,
    grants: access.grants,
    layout,
    allowListing: false,
    backupsPrefix: target.backupsPrefix,
  });
  if (policy.problems.length) throw new Error(`bucket policy refused:\n${policy.problems.join("\n")}`);
  return policy;
}

/** The live bucket policy text, or undefined when the bucket has none. */
export async function livePolicy(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    return (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? undefined;
  } catch (e) {
    const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (err.name === "NoSuchBucketPolicy" || err.$metadata?.httpStatusCode === 404) return undefined;
    throw e;
  }
}

/** Policies are compared as documents (what the aws provider's refresh does), not as bytes. */
export function samePolicy(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
}

interface AclState {
  id: string;
  inputs: Record<string, unknown>;
  outs: any;
}

/** Holds the "stack state" between steps, like Pulumi's state file. */
export class AccessStack {
  /** reader → its ReaderAcl state. */
  readonly acls = new Map<string, AclState>();
  /** The UndeclaredAcl's state (one per LakeAccess). */
  undeclared: AclState | undefined;
  /** The policy JSON recorded in state (what the last apply put, or what the last refresh read). */
  policyJson: string | undefined;

  constructor(readonly target: AccessTarget) {}

  /** `pulumi up` for the access part: validate, converge each reader's ACL, rebuild and apply the policy. */
  async up(spec: AccessSpec): Promise<UpResult> {
    const access = validate(this.target, spec);
    await checkPartitions(this.target, access); // refused before anything is applied
    const policy = await desiredPolicy(this.target, access); // refused before anything is applied
    const acl: Record<string, AclOp> = {};
    const checked = new Map<string, Record<string, unknown>>();
    for (const r of access.readers) {
      const prev = this.acls.get(r.name);
      const res = await readerAclProvider.check!(prev?.inputs ?? {}, readerAclInputs(this.target, access, r.name));
      if (res.failures?.length)
        throw new Error(`ReaderAcl ${r.name} refused at check: ${res.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
      checked.set(r.name, res.inputs);
    }
    const sweepChecked = await undeclaredAclProvider.check!(this.undeclared?.inputs ?? {}, {
      connection: this.target.connection,
      declaredReaders: access.readers.map((r) => r.name),
      entries: [],
    });
    if (sweepChecked.failures?.length)
      throw new Error(`UndeclaredAcl refused at check: ${sweepChecked.failures.map((f) => f.reason).join("; ")}`);
    for (const r of access.readers) {
      const inputs = checked.get(r.name)!;
      const prev = this.acls.get(r.name);
      if (!prev) {
        const c = await readerAclProvider.create(inputs);
        this.acls.set(r.name, { id: c.id, inputs, outs: c.outs });
        acl[r.name] = "create";
        continue;
      }
      const d = await readerAclProvider.diff!(prev.id, prev.outs, inputs);
      if (!d.changes) {
        this.acls.set(r.name, { ...prev, inputs });
        acl[r.name] = "same";
        continue;
      }
      if (d.replaces?.length) {
        await readerAclProvider.delete!(prev.id, prev.outs);
        const c = await readerAclProvider.create(inputs);
        this.acls.set(r.name, { id: c.id, inputs, outs: c.outs });
        acl[r.name] = "replace";
        continue;
      }
      const u = await readerAclProvider.update!(prev.id, prev.outs, inputs);
      this.acls.set(r.name, { id: prev.id, inputs, outs: u.outs });
      acl[r.name] = "update";
    }
    // The sweep: registered after the ReaderAcls, depends only on the guard; an update like theirs.
    let undeclared: UpResult["undeclared"] = "same";
    const sweepInputs = sweepChecked.inputs;
    if (!this.undeclared) {
      const c = await undeclaredAclProvider.create(sweepInputs);
      this.undeclared = { id: c.id, inputs: sweepInputs, outs: c.outs };
      undeclared = "create";
    } else if ((await undeclaredAclProvider.diff!(this.undeclared.id, this.undeclared.outs, sweepInputs)).changes) {
      const u = await undeclaredAclProvider.update!(this.undeclared.id, this.undeclared.outs, sweepInputs);
      this.undeclared = { id: this.undeclared.id, inputs: sweepInputs, outs: u.outs };
      undeclared = "update";
    } else {
      this.undeclared = { ...this.undeclared, inputs: sweepInputs };
    }
    // Deletes come last, as in the engine.
    for (const [name, st] of [...this.acls]) {
      if (access.readers.some((r) => r.name === name)) continue;
      await readerAclProvider.delete!(st.id, st.outs);
      this.acls.delete(name);
      acl[name] = "delete";
    }
    let policyApplied = false;
    if (this.policyJson === undefined || !samePolicy(this.policyJson, policy.json)) {
      await this.target.adminS3.send(new PutBucketPolicyCommand({ Bucket: this.target.bucket, Policy: policy.json }));
      this.policyJson = policy.json;
      policyApplied = true;
    }
    return { access, acl, undeclared, policyApplied, policy };
  }

  /**
   * `pulumi refresh`: reads every ReaderAcl, the UndeclaredAcl and the bucket policy back into state.
   * Returns the readers whose ACL state changed, the entries of roles that are not declared readers, and
   * whether the policy changed.
   */
  async refresh(): Promise<{ aclChanged: string[]; undeclared: UndeclaredEntry[]; policyChanged: boolean }> {
    const aclChanged: string[] = [];
    for (const [name, st] of this.acls) {
      const r = await readerAclProvider.read!(st.id, st.outs);
      if (JSON.stringify(r.props) !== JSON.stringify(st.outs)) aclChanged.push(name);
      this.acls.set(name, { ...st, id: r.id ?? st.id, outs: r.props });
    }
    let undeclared: UndeclaredEntry[] = [];
    if (this.undeclared) {
      const r = await undeclaredAclProvider.read!(this.undeclared.id, this.undeclared.outs);
      this.undeclared = { ...this.undeclared, outs: r.props };
      undeclared = r.props!.entries;
    }
    const live = await livePolicy(this.target.adminS3, this.target.bucket);
    const policyChanged = !samePolicy(live, this.policyJson);
    if (policyChanged) this.policyJson = live;
    return { aclChanged, undeclared, policyChanged };
  }
}
