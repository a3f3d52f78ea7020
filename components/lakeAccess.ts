// Who may read what, as resources: readers (role + key + DuckDB setup), one ACL entry per grant, and the
// bucket policy rebuilt from the same normalised grants, so the two guards can never disagree.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as postgresql from "@pulumi/postgresql";
import { AccessSpec, NormalizedGrant } from "../model/accessSpec";
import { CatalogConnection } from "../model/connection";
import { AccessValidationError, accessMatrix, checkAccess, ReaderAccess, renderAccessReview, ValidatedAccess } from "../model/grants";
import { buildBucketPolicy, HETZNER_POLICY_LIMIT_BYTES } from "../model/bucketPolicy";
import { DEFAULT_BACKUPS_PREFIX, LakeLayout } from "../model/lakePaths";
import { checkPartitionGrants, PartitionSpecSource } from "../model/partitionGrants";
import { connectionBudget, connectionLimitProblem, DEFAULT_READER_CONNECTION_LIMIT } from "../model/connectionBudget";
import { BucketAccessPolicy } from "./bucketAccessPolicy";
import { ReaderAcl, UndeclaredAcl } from "../providers/readerAcl";
import { Grant } from "./grant";
import { LakeReader } from "./reader";

export interface LakeAccessArgs {
  /** The access list (access.ts, principals already overridden per stack). Plain: it decides which resources exist. */
  access: AccessSpec;
  /** Hetzner project owning the bucket; reader keys must come from another project. Plain: validated before registering. */
  ownerProjectId: string;
  /** Bucket key prefix of DuckLake's DATA_PATH ("data/" by default config). Plain, for validation. */
  dataPrefix: string;
  /** Bucket key prefix of catalog backups; never grantable. Default "backups/". */
  backupsPrefix?: string;
  /** Reader keys of the owner's project: "refuse" (default) or "deny" (confined by Deny statements on this bucket only). Plain. */
  ownerProjectKeys?: "refuse" | "deny";
  /** Catalog connection as its owner (the guard's grant functions are owner-only). Kept secret. */
  connection: pulumi.Input<CatalogConnection>;
  /** PostgreSQL schema of the DuckLake catalog tables. Default "public". */
  catalogSchema?: pulumi.Input<string>;
  /** The installed catalog guard (creates the reader base role and the ACL functions): roles and grants wait for it. */
  guard: pulumi.Resource;
  /** postgresql provider connected to the catalog database as its owner (reader roles). */
  postgresqlProvider: postgresql.Provider;
  /** aws provider pointing at the lake's S3 endpoint (bucket policy). */
  awsProvider: aws.Provider;
  /** The lake bucket. */
  bucket: pulumi.Input<string>;
  /** Where each table's files are: readCatalogLayout(...) or emptyLayout(dataPath). A plain value lets size problems surface before registering. */
  layout: pulumi.Input<LakeLayout>;
  /**
   * The current partition specs of the tables partition grants name (postgres/partitionSpec.ts
   * partitionSpecsOrUnavailable). Needed when any grant has `rows`: every ACL entry and the bucket policy wait
   * for the check, so a refused partition grant applies nothing. A plain value is checked before registering.
   */
  partitionSpecs?: pulumi.Input<PartitionSpecSource>;
  /** Let readers list inside their folders (DuckDB does not need it). Default false. */
  allowListing?: boolean;
  /** S3 endpoint URL written into readers' DuckDB setup. */
  s3Endpoint: pulumi.Input<string>;
  /** S3 region written into readers' DuckDB setup. */
  s3Region: pulumi.Input<string>;
  /** Secret half of each reader's S3 key, by reader name (stack config secret `readerSecretKeys`). */
  readerSecretKeys: pulumi.Input<Record<string, string>>;
  /** How many Grant registrations may wait for the engine at once (memory bound, not a result). Default 1000. */
  grantBatch?: number;
  /** CONNECTION LIMIT of readers whose access.ts entry sets none (stack config readerConnectionLimit). Default 4. */
  readerConnectionLimit?: number;
  /** The catalog server the readers share (hetzner): the preview warns when their limits and the reserves exceed its max_connections. */
  catalogServer?: { serverType: string; ramGb: number; postgresVersion: number };
  /** Key of another project the backup job uploads with: the bucket policy lets it PutObject under backupsPrefix only. */
  backupWriter?: { projectId: string; accessKey: string };
}

/**
 * How many Grant registrations may be in flight at once. Pulumi holds ~50 KB of promises and closures per
 * registration until the engine answers; 20,000 at once peaked at 1.25 GB (bench/program-scale.ts).
 */
export const DEFAULT_GRANT_BATCH = 1000;

/**
 * Registers one Grant per declared grant, at most `batch` at a time: the next batch starts when the engine
 * has answered every registration of the previous one. Names and parents do not depend on the batching, so
 * the preview is the same. The keep-alive is insurance for hosts that end a program by draining Pulumi's RPC
 * queue (automation API inline programs): between batches the queue is empty for a moment. Under the CLI a
 * program ends when node's event loop is empty, which pending engine calls prevent.
 */
function registerGrantsInBatches(
  name: string,
  declared: { grant: NormalizedGrant; parent: LakeReader }[],
  batch: number,
): Promise<ReadonlyMap<string, Grant>> {
  const done = pulumi.runtime.rpcKeepAlive();
  const registered = new Map<string, Grant>();
  const run = async () => {
    for (let at = 0; at < declared.length; at += batch) {
      const urns: Promise<string>[] = [];
      // Pulumi stores `new Error().stack` on every promise it tracks, for as long as the promise lives: with
      // no frames, 40-60 MB less at 20k grants. Pulumi's own source positions set their own limit.
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        for (const { grant, parent } of declared.slice(at, at + batch)) {
          const g = new Grant(name, grant, { parent });
          registered.set(grant.key, g);
          urns.push(urnOf(g));
        }
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
      }
      await Promise.all(urns);
    }
    return registered;
  };
  return run().finally(done);
}

/**
 * The registered URN of a resource, rejecting when its registration fails (an apply would never run).
 * `Output.promise()` is internal to @pulumi/pulumi (pinned): if it goes, every test of `grants` fails loudly.
 */
function urnOf(r: pulumi.Resource): Promise<string> {
  return (r.urn as unknown as { promise(): Promise<string> }).promise();
}

/** Validates first, then registers `${name}-reader-<reader>` components, their grants and `${name}-storage` (the bucket policy). */
export class LakeAccess extends pulumi.ComponentResource {
  /** The validated access this component declared. */
  readonly validated: ValidatedAccess;
  readonly readers: Record<string, LakeReader>;
  /**
   * grant key (model/grants grantKey) → its Grant resource, once every Grant is registered. Grants are
   * registered in batches (see registerGrantsInBatches), so this is a promise; it rejects if a registration fails.
   */
  readonly grants: Promise<ReadonlyMap<string, Grant>>;
  /** reader → its catalog ACL entries (one resource per reader, diffed entry by entry). */
  readonly acls: Record<string, ReaderAcl>;
  /** Revokes ACL entries of every role that is not a declared reader (granted by hand); refresh shows them. */
  readonly undeclaredAcl: UndeclaredAcl;
  /** reader → ready-to-paste DuckDB setup (secret). */
  readonly duckdbSetups: pulumi.Output<Record<string, string>>;
  /** reader → { schemas, tables } it may read. */
  readonly accessMatrix: pulumi.Output<Record<string, ReaderAccess>>;
  /** Markdown review of the access (reviewers read it next to the preview). */
  readonly accessReview: pulumi.Output<string>;
  readonly policyBytes: pulumi.Output<number>;
  readonly policyHeadroomBytes: pulumi.Output<number>;

  constructor(name: string, args: LakeAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    const validated = LakeAccess.validate(args);
    if (args.partitionSpecs === undefined && validated.grants.some((g) => g.rows?.length))
      throw new AccessValidationError([
        "the access list has partition grants (rows), but LakeAccess got no partitionSpecs to check them against: pass postgres/partitionSpec partitionSpecsOrUnavailable(...)",
      ]);
    const grantBatch = args.grantBatch ?? DEFAULT_GRANT_BATCH;
    if (!Number.isInteger(grantBatch) || grantBatch < 1) throw new Error(`grantBatch must be a positive integer, got ${grantBatch}`);
    const defaultLimit = args.readerConnectionLimit ?? DEFAULT_READER_CONNECTION_LIMIT;
    const defaultLimitProblem = connectionLimitProblem(defaultLimit);
    if (defaultLimitProblem) throw new Error(`readerConnectionLimit ${defaultLimitProblem}`);
    super("ducklake:access:LakeAccess", name, {}, opts);
    this.validated = validated;
    for (const w of validated.warnings) pulumi.log.warn(w, this);
    const limitOf = (r: { connectionLimit?: number }) => r.connectionLimit ?? defaultLimit;
    if (args.catalogServer) {
      const budget = connectionBudget({
        ...args.catalogServer,
        readers: validated.readers.map((r) => ({ name: r.name, connectionLimit: limitOf(r) })),
      });
      for (const w of budget.warnings) pulumi.log.warn(w, this);
    }

    const connection = pulumi.secret(args.connection);
    this.readers = {};
    for (const reader of validated.readers) {
      const secretKey = pulumi.secret(
        pulumi.output(args.readerSecretKeys).apply((keys) => {
          // The operator may not hold readers' secret keys (readers can keep their own): the setup then says where it goes.
          return (
            keys?.[reader.name] ??
            `<secret key of ${reader.principal.accessKey}: pulumi config set --secret --path 'readerSecretKeys.${reader.name}' ...>`
          );
        }),
      );
      this.readers[reader.name] = new LakeReader(
        `${name}-reader-${reader.name}`,
        {
          reader,
          connectionLimit: limitOf(reader),
          connection,
          catalogSchema: args.catalogSchema,
          bucket: args.bucket,
          s3Endpoint: args.s3Endpoint,
          s3Region: args.s3Region,
          s3SecretKey: secretKey,
          dependsOn: [args.guard],
        },
        { parent: this, providers: { postgresql: args.postgresqlProvider } },
      );
    }
    // Partition grants are checked against the live specs; everything that applies access waits for the check.
    const partitioned = validated.grants.some((g) => g.rows?.length);
    const partitionsChecked: pulumi.Output<boolean> = partitioned
      ? pulumi.output(args.partitionSpecs!).apply((source) => {
          const check = checkPartitionGrants(validated.grants, source);
          if (check.errors.length) throw new AccessValidationError(check.errors);
          for (const w of check.warnings) pulumi.log.warn(w, this);
          return true;
        })
      : pulumi.output(true);
    const afterCheck = <T>(value: T): pulumi.Output<T> => partitionsChecked.apply(() => value);
    this.acls = {};
    const byReader = new Map<string, NormalizedGrant[]>(validated.readers.map((r) => [r.name, []]));
    for (const g of validated.grants) byReader.get(g.reader)!.push(g); // one pass: 200 readers × 20k grants add up
    const declared: { grant: NormalizedGrant; parent: LakeReader }[] = [];
    for (const reader of validated.readers) {
      const mine = byReader.get(reader.name)!;
      const parent = this.readers[reader.name];
      for (const grant of mine) declared.push({ grant, parent });
      this.acls[reader.name] = new ReaderAcl(
        `${name}-acl-${reader.name}`,
        {
          connection,
          reader: reader.name,
          grants: afterCheck(
            mine.map((g) => (g.rows?.length ? { schema: g.schema, table: g.table, rows: g.rows } : { schema: g.schema, table: g.table })),
          ),
        },
        { parent, dependsOn: [parent.role, args.guard] },
      );
    }
    // Access as code: nothing outside the list may read. Never touches a declared reader's entries, so it
    // needs no order with the ReaderAcls; a removed reader's entries go here, before its ReaderAcl's delete.
    this.undeclaredAcl = new UndeclaredAcl(
      `${name}-undeclared-acl`,
      {
        connection,
        declaredReaders: validated.readers.map((r) => r.name),
      },
      { parent: this, dependsOn: [args.guard] },
    );
    this.grants = registerGrantsInBatches(name, declared, grantBatch);
    const policy = new BucketAccessPolicy(
      `${name}-storage`,
      {
        bucket: args.bucket,
        ownerProjectId: args.ownerProjectId,
        readers: validated.readers,
        grants: afterCheck(validated.grants),
        layout: args.layout,
        allowListing: args.allowListing ?? false,
        backupsPrefix: args.backupsPrefix ?? DEFAULT_BACKUPS_PREFIX,
        backupWriter: args.backupWriter,
        ownerProjectKeys: args.ownerProjectKeys,
        // Deliberately not after the ACLs: then one reader's failed ACL would hold back every reader's storage
        // revocation. Each layer revokes as soon as it can, so a partial failure leaves less access, never more.
        provider: args.awsProvider,
      },
      {
        parent: this, // was `${name}-bucket-policy` (its policy `…-bucket-policy-policy`): aliased, existing stacks keep both
        aliases: [{ name: `${name}-bucket-policy` }],
      },
    );

    this.duckdbSetups = pulumi.secret(pulumi.all(Object.fromEntries(Object.entries(this.readers).map(([n, r]) => [n, r.duckdbSetup]))));
    this.accessMatrix = pulumi.output(accessMatrix(validated));
    this.accessReview = pulumi.output(renderAccessReview(validated));
    this.policyBytes = policy.bytes;
    this.policyHeadroomBytes = policy.headroomBytes;
    this.registerOutputs({
      accessMatrix: this.accessMatrix,
      accessReview: this.accessReview,
      duckdbSetups: this.duckdbSetups,
      policyBytes: this.policyBytes,
      policyHeadroomBytes: this.policyHeadroomBytes,
    });
  }

  /**
   * Every problem of the access list, before any resource is registered: the list itself, and, when the
   * layout is a plain value, the bucket policy (too large, grants it cannot express safely).
   */
  static validate(
    args: Pick<
      LakeAccessArgs,
      | "access"
      | "ownerProjectId"
      | "dataPrefix"
      | "backupsPrefix"
      | "ownerProjectKeys"
      | "layout"
      | "allowListing"
      | "bucket"
      | "partitionSpecs"
    >,
  ): ValidatedAccess {
    const backupsPrefix = args.backupsPrefix ?? DEFAULT_BACKUPS_PREFIX;
    const check = checkAccess(args.access, {
      ownerProjectId: args.ownerProjectId,
      dataPrefix: args.dataPrefix,
      backupsPrefix,
      ownerProjectKeys: args.ownerProjectKeys,
    });
    if (!check.access) throw new AccessValidationError(check.errors);
    // Without specs (the program's first check, before the catalog is read) the partition grants wait for them.
    const specs = args.partitionSpecs;
    if (specs !== undefined && check.access.grants.some((g) => g.rows?.length)) {
      if (!pulumi.Output.isInstance(specs) && !(specs instanceof Promise)) {
        const partitions = checkPartitionGrants(check.access.grants, specs as PartitionSpecSource);
        if (partitions.errors.length) throw new AccessValidationError(partitions.errors);
      }
    }
    const layout = args.layout;
    if (!pulumi.Output.isInstance(layout) && !(layout instanceof Promise) && typeof args.bucket === "string") {
      const built = buildBucketPolicy({
        bucket: args.bucket,
        ownerProjectId: args.ownerProjectId,
        readers: check.access.readers,
        grants: check.access.grants,
        layout: layout as LakeLayout,
        allowListing: args.allowListing ?? false,
        backupsPrefix,
        limitBytes: HETZNER_POLICY_LIMIT_BYTES,
        ownerProjectKeys: args.ownerProjectKeys,
      });
      if (built.problems.length) throw new AccessValidationError(built.problems);
    }
    return check.access;
  }
}
