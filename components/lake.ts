import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as postgresql from "@pulumi/postgresql";
import { LakeConfig } from "../model/config";
import { CatalogConnection } from "../model/connection";
import { ADMIN_ROLE } from "../model/cloudInit";
import { CostEstimate, SERVER_TYPES, estimateMonthlyCost } from "../model/cost";
import { LakeBucket } from "./lakeBucket";
import { LakeServer } from "./lakeServer";
import { Catalog } from "./catalog";
import { CatalogGuard } from "../providers/catalogGuard";
import { CATALOG_OWNER_ROLE, CATALOG_WRITER_ROLE } from "./catalog";
import { externalCheckVerdict, externalServerChecks } from "../model/externalServer";
import { READER_BASE_ROLE } from "../model/names";
import { readExternalServerFacts } from "../postgres/externalServerChecks";

export interface LakeArgs {
  /** Validated stack configuration (model/config validateConfig); decides which children exist. */
  config: LakeConfig;
  /**
   * PostgreSQL-only CIDRs per reader role (prod pg_hba + firewalls). Build it with
   * model/cloudInit roleCidrsFromReaders(spec.readers), which validates before anything is registered.
   */
  roleCidrs?: pulumi.Input<{ role: string; cidrs: string[] }[]>;
  /**
   * Directory (absolute) where the server CA is written for the postgresql provider's verify-full
   * (default <working directory>/.ducklake). The file is <dir>/<stack>-ca.pem.
   */
  caFileDir?: string;
  /**
   * Reader role names of access.ts: on the external target the preview refuses an existing one with SUPERUSER or
   * BYPASSRLS (it would see every catalog row past the guard).
   */
  readerRoles?: string[];
  /** Each reader's CONNECTION LIMIT (resolved): the external preview compares their sum with the server's max_connections. */
  readerConnectionLimits?: { name: string; connectionLimit: number }[];
}

/** What the stack outputs say about catalog backups, per target. */
export const BACKUPS_BY_TARGET: Record<LakeConfig["target"], string> = {
  hetzner: "nightly pg_dump of the catalog into the bucket (backupsLocation), by a timer on the server",
  local: "none (the local stack is throw-away)",
  external: "done by the PostgreSQL service (its backups and point-in-time recovery); this program runs no backup job",
};

/**
 * One DuckLake for a stack: bucket + catalog everywhere, and on `hetzner` the catalog server.
 * `local` creates no Hetzner resources: PostgreSQL and RGW on 127.0.0.1 come from scripts/.
 * `external` creates no Hetzner Cloud resources either: the catalog goes onto an existing PostgreSQL, reached
 * as its (non-superuser) admin login with verify-full TLS, after the preview-time checks of that server passed.
 * The access layer (readers, grants, bucket policy) plugs in through the public properties.
 */
export class Lake extends pulumi.ComponentResource {
  readonly target: LakeConfig["target"];
  readonly bucket: LakeBucket;
  readonly catalog: Catalog;
  readonly server?: LakeServer;
  /** Superuser connection to the catalog database (secret). */
  readonly catalogConnection: pulumi.Output<CatalogConnection>;
  readonly postgresProvider: postgresql.Provider;
  /** The catalog guard resource (readers' ACL entries depend on it). */
  readonly catalogGuard: CatalogGuard;
  /** The explicit S3 provider (Hetzner / local RGW endpoint); never the default AWS provider. */
  readonly awsProvider: aws.Provider;
  readonly bucketName: pulumi.Output<string>;
  readonly s3Endpoint: string;
  readonly s3Region: string;
  readonly ownerProjectId: string;
  readonly dataPrefix: string;
  readonly backupsPrefix: string;
  readonly readerListing: boolean;
  readonly catalogSchema: string;
  /** DuckLake DATA_PATH: s3://<bucket>/<dataPrefix>. */
  readonly dataPath: pulumi.Output<string>;
  readonly cost: CostEstimate;

  constructor(name: string, args: LakeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ducklake:lake:Lake", name, {}, opts);
    const c = args.config;
    this.target = c.target;
    this.s3Endpoint = c.s3Endpoint;
    this.s3Region = c.s3Region;
    this.ownerProjectId = c.ownerProjectId;
    this.dataPrefix = c.dataPrefix;
    this.backupsPrefix = c.backupsPrefix;
    this.readerListing = c.readerListing;
    this.catalogSchema = c.catalogSchema;
    this.cost = estimateMonthlyCost({ target: c.target, serverType: c.serverType, s3Endpoint: c.s3Endpoint });
    if (this.cost.overBudget) pulumi.log.warn(`monthly cost estimate: ${this.cost.summary}`, this);

    const accessKey = pulumi.secret(c.s3AccessKey);
    const secretKey = pulumi.secret(c.s3SecretKey);
    // The backup job's key: another project's key the bucket policy lets PutObject under backups/ only,
    // or (without backupPrincipal) the owner's key. Either way it reaches the server over SSH only.
    const backupKey = c.backupPrincipal
      ? { accessKey: pulumi.output(c.backupPrincipal.accessKey), secretKey: pulumi.secret(c.backupSecretKey!) }
      : { accessKey, secretKey };

    this.bucket = new LakeBucket(
      `${name}-storage`,
      {
        bucketName: c.bucketName,
        endpoint: c.s3Endpoint,
        region: c.s3Region,
        accessKey,
        secretKey,
        backupsPrefix: c.backupsPrefix,
        backupRetentionDays: c.backupRetentionDays,
        protect: c.protectData,
      },
      { parent: this },
    );
    this.awsProvider = this.bucket.provider;
    this.bucketName = this.bucket.bucketName;
    this.dataPath = pulumi.interpolate`s3://${this.bucketName}/${c.dataPrefix}`;

    let admin: pulumi.Output<CatalogConnection>;
    if (c.target === "hetzner") {
      this.server = new LakeServer(
        `${name}-server`,
        {
          location: c.location,
          serverType: c.serverType,
          ramGb: SERVER_TYPES[c.serverType].ramGb,
          sshPublicKey: c.sshKeyName === undefined ? c.sshPublicKey : undefined,
          existingSshKeyName: c.sshKeyName,
          protect: c.protectData,
          adminCidrs: c.adminIps,
          roleCidrs: args.roleCidrs,
          postgresVersion: c.postgresVersion,
          catalogDatabase: c.catalogDatabase,
          backup: pulumi.all([this.bucketName, backupKey.accessKey, backupKey.secretKey]).apply(([bucket, ak, sk]) => ({
            bucket,
            prefix: c.backupsPrefix,
            endpoint: c.s3Endpoint,
            region: c.s3Region,
            accessKey: ak,
            secretKey: sk,
            hourUtc: c.backupHourUtc,
          })),
        },
        { parent: this },
      );
      const server = this.server;
      // The host becomes known only after the ready command succeeded, so nothing connects earlier.
      const readyHost = pulumi.all([server.ipv4, server.ready.stdout]).apply(([ip]) => ip);
      admin = pulumi.secret(
        pulumi.all([readyHost, server.adminPassword, server.caCertPem]).apply(([host, password, ca]): CatalogConnection => ({
          host,
          port: 5432,
          database: "postgres",
          user: ADMIN_ROLE,
          password,
          sslmode: "verify-full",
          sslRootCert: ca,
        })),
      );
    } else if (c.target === "external") {
      const ext = c.externalPostgres!;
      const conn: CatalogConnection = {
        host: ext.host,
        port: ext.port,
        database: "postgres",
        user: ext.adminUser,
        password: ext.adminPassword,
        sslmode: "verify-full",
        sslRootCert: ext.caCertPem,
      };
      // Preview-time checks of the live server (version, the admin's rights, jit, TLS, an existing database or
      // roles the program cannot use): any error stops the program before the catalog's provider connects.
      const checked = pulumi.output(
        readExternalServerFacts(conn, {
          catalogDatabase: c.catalogDatabase,
          roles: [CATALOG_OWNER_ROLE, CATALOG_WRITER_ROLE, READER_BASE_ROLE, ...(args.readerRoles ?? [])],
        }).then((facts) => {
          for (const w of externalCheckVerdict(
            externalServerChecks(facts, {
              catalogDatabase: c.catalogDatabase,
              adminUser: ext.adminUser,
              readers: args.readerConnectionLimits,
            }),
            `${ext.host}:${ext.port}`,
          ))
            pulumi.log.warn(`external PostgreSQL: ${w}`, this);
          return true;
        }),
      );
      admin = pulumi.secret(checked.apply(() => conn));
    } else {
      const pg = c.localPostgres!;
      admin = pulumi.secret(
        pulumi.output({
          host: pg.host,
          port: pg.port,
          database: "postgres",
          user: pg.user,
          password: pg.password,
          sslmode: "disable" as const,
        }),
      );
    }

    this.catalog = new Catalog(
      `${name}-catalog`,
      {
        admin,
        database: c.catalogDatabase,
        catalogSchema: c.catalogSchema,
        dataPath: this.dataPath,
        protect: c.protectData,
        postgresVersion: c.target === "hetzner" ? c.postgresVersion : undefined,
        adminIsSuperuser: c.target !== "external",
        providerCaFile: path.join(args.caFileDir ?? path.resolve(".ducklake"), `${pulumi.getStack()}-ca.pem`),
      },
      { parent: this },
    );
    this.postgresProvider = this.catalog.provider;
    this.catalogConnection = this.catalog.adminConnection;
    this.catalogGuard = this.catalog.guard;

    this.registerOutputs({ bucketName: this.bucketName, dataPath: this.dataPath, catalogConnection: this.catalogConnection });
  }

  /** What `pulumi stack output` shows. Connections with passwords are secrets. */
  stackOutputs(): Record<string, pulumi.Input<unknown>> {
    const summary = this.catalogConnection.apply((a) => ({ host: a.host, port: a.port, database: a.database, sslmode: a.sslmode }));
    return {
      target: this.target,
      bucketName: this.bucketName,
      s3Endpoint: this.s3Endpoint,
      s3Region: this.s3Region,
      ownerProjectId: this.ownerProjectId,
      dataPath: this.dataPath,
      backups: BACKUPS_BY_TARGET[this.target],
      ...(this.target !== "external" ? { backupsLocation: pulumi.interpolate`s3://${this.bucketName}/${this.backupsPrefix}` } : {}),
      catalog: pulumi.unsecret(summary),
      catalogAdminConnection: this.catalogConnection,
      catalogOwnerConnection: this.catalog.ownerConnection,
      catalogWriterConnection: this.catalog.writerConnection,
      attachAsOwner: this.catalog.attachSql.owner,
      attachAsWriter: this.catalog.attachSql.writer,
      catalogGuardVersion: this.catalogGuard.version,
      ...(this.server
        ? {
            serverIpv4: this.server.ipv4,
            serverIpv6: this.server.ipv6,
            sshCommand: pulumi.interpolate`ssh root@${this.server.ipv4}`,
            caCertPem: this.server.caCertPem,
          }
        : {}),
      monthlyCostEur: this.cost.totalEurPerMonth,
      monthlyCostOverBudget: this.cost.overBudget,
      monthlyCost: this.cost.summary,
    };
  }
}
