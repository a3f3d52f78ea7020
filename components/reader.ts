// One reader of the lake: a PostgreSQL login role with a generated password, member of the reader
// base role, its S3 principal, and a secret, ready-to-paste DuckDB setup.
import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import * as random from "@pulumi/random";
import { ReaderSpec } from "../model/accessSpec";
import { CatalogConnection } from "../model/connection";
import { renderReaderSetup } from "../model/grants";
import { principalArn } from "../model/principal";
import { connectionLimitProblem } from "../model/connectionBudget";
import { DEFAULT_CATALOG_SCHEMA, READER_BASE_ROLE, readerNameProblem } from "../model/names";

export interface LakeReaderArgs {
  /** The validated reader (plain: its name is the role name and part of every child's name). */
  reader: ReaderSpec;
  /** The role's CONNECTION LIMIT (validated: 1..500): the reader's own sessions beyond it are refused, nobody else's. */
  connectionLimit: number;
  /** Catalog connection; host, port, database and sslmode go into the reader's setup (the admin password never does). */
  connection: pulumi.Input<CatalogConnection>;
  /** PostgreSQL schema of the DuckLake catalog tables. Default "public". */
  catalogSchema?: pulumi.Input<string>;
  /** Bucket holding the lake's data files (scopes the reader's S3 secret). */
  bucket: pulumi.Input<string>;
  /** S3 endpoint URL readers use, e.g. "https://fsn1.your-objectstorage.com". */
  s3Endpoint: pulumi.Input<string>;
  /** S3 region, e.g. "fsn1" (the local RGW uses "us-east-1"). */
  s3Region: pulumi.Input<string>;
  /** The reader's S3 secret key (stack config secret `readerSecretKeys.<name>`); kept secret. */
  s3SecretKey: pulumi.Input<string>;
  /** Resources the role must wait for (the catalog guard, which creates the reader base role). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** A reader: `${name}-password` (RandomPassword) and `${name}-role` (postgresql.Role). */
export class LakeReader extends pulumi.ComponentResource {
  /** The login role (grants depend on it; depending on this component would include the grants themselves). */
  readonly role: postgresql.Role;
  /** PostgreSQL login role name (= reader name). */
  readonly roleName: pulumi.Output<string>;
  /** The generated login password (secret). */
  readonly password: pulumi.Output<string>;
  /** `arn:aws:iam:::user/p<project>:<key>`, as the bucket policy names it. */
  readonly principalArn: pulumi.Output<string>;
  /** DuckDB statements to paste: S3 and catalog secrets + read-only DuckLake attach (secret). */
  readonly duckdbSetup: pulumi.Output<string>;

  constructor(name: string, args: LakeReaderArgs, opts?: pulumi.ComponentResourceOptions) {
    const problem = readerNameProblem(args.reader.name);
    if (problem) throw new pulumi.InputPropertyError({ propertyPath: "reader.name", reason: `reader name ${problem}` });
    const limitProblem = connectionLimitProblem(args.connectionLimit);
    if (limitProblem)
      throw new pulumi.InputPropertyError({
        propertyPath: "connectionLimit",
        reason: `connection limit of reader ${args.reader.name}: ${limitProblem}`,
      });
    // Registered as ducklake:access:Reader until the type token was made to match the class: the alias keeps
    // existing stacks (and every child's URN) in place instead of replacing each reader.
    super("ducklake:access:LakeReader", name, {}, { ...opts, aliases: [{ type: "ducklake:access:Reader" }, ...(opts?.aliases ?? [])] });
    const reader = args.reader;

    // Alphanumeric only (pasted into a DuckDB secret, typed into psql); 32 chars ≈ 190 bits.
    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
    const role = (this.role = new postgresql.Role(
      `${name}-role`,
      {
        name: reader.name,
        login: true,
        password: password.result,
        roles: [READER_BASE_ROLE],
        inherit: true,
        // Changed in place (ALTER ROLE … CONNECTION LIMIT); sessions already open stay until they end.
        connectionLimit: args.connectionLimit,
        // Readers never own objects: nothing to reassign when the role is dropped.
        skipReassignOwned: true,
      },
      { parent: this, dependsOn: args.dependsOn },
    ));

    this.roleName = role.name;
    this.password = pulumi.secret(password.result);
    this.principalArn = pulumi.output(principalArn(reader.principal));
    this.duckdbSetup = pulumi.secret(
      pulumi
        .all([
          args.connection,
          args.catalogSchema ?? DEFAULT_CATALOG_SCHEMA,
          args.bucket,
          args.s3Endpoint,
          args.s3Region,
          args.s3SecretKey,
          password.result,
          role.name,
        ])
        .apply(([c, catalogSchema, bucket, s3Endpoint, s3Region, secretKey, pw, roleName]) =>
          renderReaderSetup({
            reader: roleName,
            password: pw,
            host: c.host,
            port: c.port,
            database: c.database,
            sslmode: c.sslmode,
            catalogSchema,
            s3Endpoint,
            s3Region,
            accessKey: reader.principal.accessKey,
            secretKey,
            bucket,
          }),
        ),
    );
    this.registerOutputs({
      roleName: this.roleName,
      password: this.password,
      principalArn: this.principalArn,
      duckdbSetup: this.duckdbSetup,
    });
  }
}
