// The ducklake-pulumi program: read the stack's `ducklake:*` config once, validate all of it before any
// resource is registered, build the lake for the stack, export what users connect with.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, SECRET_KEYS, validateConfig } from "./model/config";
import { Lake } from "./components/lake";
import { LakeAccess } from "./components/lakeAccess";
import { access } from "./access";
import { applyPrincipalOverrides } from "./model/grants";
import { LakeConnectionInfo } from "./model/lakeConnection";
import { roleCidrsFromReaders } from "./model/cloudInit";
import { emptyLayout, indexLayout } from "./model/lakePaths";
import { SERVER_TYPES } from "./model/cost";
import { catalogLayoutOrDefault } from "./postgres/lakeLayoutSource";
import { partitionSpecsOrUnavailable } from "./postgres/partitionSpec";
import { parseGrantRows } from "./model/rowFilter";

/** Full keys of config values stored encrypted (Pulumi passes them in PULUMI_CONFIG_SECRET_KEYS). */
function secretConfigKeys(): ReadonlySet<string> | undefined {
  // pulumi.runtime.isConfigSecret exists at runtime but is not in the typings; without it, skip the check.
  const isSecret = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  if (!isSecret) return undefined;
  return new Set(SECRET_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`).filter((k) => isSecret(k)));
}

const config = validateConfig(pulumi.runtime.allConfig(), {
  stack: pulumi.getStack(),
  secretKeys: secretConfigKeys(),
});

// Who may read what (access.ts), with this stack's key ids (`readerPrincipals.<reader>`). Everything is
// validated here, before the first resource: a bad list or a too-large bucket policy registers nothing.
const overridden = applyPrincipalOverrides(access, config.readerPrincipals);
if (overridden.problems.length) throw new Error(`access configuration:\n- ${overridden.problems.join("\n- ")}`);
const accessSpec = overridden.spec;
/** The access rules LakeAccess validates now (against the default layout) and registers below. */
const accessRules = {
  access: accessSpec,
  ownerProjectId: config.ownerProjectId,
  dataPrefix: config.dataPrefix,
  backupsPrefix: config.backupsPrefix,
  allowListing: config.readerListing,
  ownerProjectKeys: config.ownerProjectKeys,
};
const defaultLayout = indexLayout(emptyLayout(`s3://${config.bucketName}/${config.dataPrefix}`));
const validatedAccess = LakeAccess.validate({ ...accessRules, layout: defaultLayout, bucket: config.bucketName });

// On an external server the program writes no pg_hba/firewall: readers' allowedIps are the service's network rules.
if (config.target === "external")
  for (const r of accessSpec.readers.filter((x) => x.allowedIps?.length))
    pulumi.log.warn(
      `reader "${r.name}": allowedIps (${r.allowedIps!.join(", ")}) cannot be enforced on target external (no pg_hba or firewall of ours); ` +
        "restrict addresses in the PostgreSQL service's network rules",
    );

const lake = new Lake("ducklake", {
  config,
  roleCidrs: config.target === "hetzner" ? roleCidrsFromReaders(accessSpec.readers) : undefined,
  // where the postgresql provider reads the server CA (verify-full); tests point it at a temp dir
  caFileDir: process.env.DUCKLAKE_CA_DIR,
  readerRoles: accessSpec.readers.map((r) => r.name),
  readerConnectionLimits: accessSpec.readers.map((r) => ({
    name: r.name,
    connectionLimit: r.connectionLimit ?? config.readerConnectionLimit,
  })),
});

// Tables with partition grants: their current specs and their files are read for the checks and the bucket policy.
const partitionTables = validatedAccess.grants.flatMap((g) =>
  g.rows?.length && g.table !== null ? [{ schema: g.schema, table: g.table }] : [],
);

// Table folders come from the live catalog once it exists (renamed tables, UUID folders, custom paths).
// (Read with the owner's secret connection, but folders are not secret: unsecret so the policy size shows.)
// Read once per preview, sealed and indexed by the reader. Pulumi copies plain objects as they pass through
// Outputs (the index does not travel with the copy), so the policy build indexes its copy once more: linear,
// ~40 ms CPU at 20,000 tables next to a ~290 ms build (bench/policy-build.ts).
const layout = pulumi.unsecret(
  pulumi.all([lake.catalog.ownerConnection, lake.bucketName, lake.dataPath]).apply(async ([conn, bucket, dataPath]) => {
    // Partition-granted tables also bring their partition specs and files (which folders their grants may open).
    const found = await catalogLayoutOrDefault(conn, { bucket, dataPath, catalogSchema: config.catalogSchema, partitionTables });
    if (found.source !== "catalog") pulumi.log.info(`bucket policy uses the ${found.source}`);
    for (const f of found.layout.outsideFiles)
      pulumi.log.warn(
        `${f.kind} file of "${f.schema}"."${f.table}" lies outside the table's folder (${f.location}): readers granted the table cannot read it, and it is not guarded by the table's prefix`,
      );
    return found.layout;
  }),
);

// Partition grants are checked against their tables' current partition specs (read only when there are any).
const partitionSpecs = partitionTables.length
  ? pulumi.unsecret(
      lake.catalog.ownerConnection.apply((conn) =>
        partitionSpecsOrUnavailable(conn, { catalogSchema: config.catalogSchema, tables: partitionTables }),
      ),
    )
  : undefined;

const readerSecretKeys = pulumi.secret(config.readerSecretKeys);
const lakeAccess = new LakeAccess(
  "access",
  {
    ...accessRules,
    connection: lake.catalog.ownerConnection,
    catalogSchema: config.catalogSchema,
    guard: lake.catalogGuard,
    postgresqlProvider: lake.postgresProvider,
    awsProvider: lake.awsProvider,
    bucket: lake.bucketName,
    layout,
    partitionSpecs,
    s3Endpoint: config.s3Endpoint,
    s3Region: config.s3Region,
    readerSecretKeys,
    backupWriter: config.backupPrincipal,
    readerConnectionLimit: config.readerConnectionLimit,
    catalogServer:
      config.target === "hetzner"
        ? { serverType: config.serverType, ramGb: SERVER_TYPES[config.serverType].ramGb, postgresVersion: config.postgresVersion }
        : undefined,
  },
  { dependsOn: [lake] },
);

const outputs = lake.stackOutputs();
export const target = outputs.target;
export const bucketName = outputs.bucketName;
export const s3Endpoint = outputs.s3Endpoint;
export const s3Region = outputs.s3Region;
export const ownerProjectId = outputs.ownerProjectId;
export const dataPath = outputs.dataPath;
export const backupsLocation = outputs.backupsLocation;
export const backups = outputs.backups;
export const catalog = outputs.catalog;
export const catalogAdminConnection = outputs.catalogAdminConnection;
export const catalogOwnerConnection = outputs.catalogOwnerConnection;
export const catalogWriterConnection = outputs.catalogWriterConnection;
export const attachAsOwner = outputs.attachAsOwner;
export const attachAsWriter = outputs.attachAsWriter;
export const catalogGuardVersion = outputs.catalogGuardVersion;
export const serverIpv4 = outputs.serverIpv4;
export const serverIpv6 = outputs.serverIpv6;
export const sshCommand = outputs.sshCommand;
export const caCertPem = outputs.caCertPem;
export const monthlyCostEur = outputs.monthlyCostEur;
export const monthlyCostOverBudget = outputs.monthlyCostOverBudget;
export const monthlyCost = outputs.monthlyCost;

export const accessMatrix = lakeAccess.accessMatrix;
export const accessReview = lakeAccess.accessReview;
export const readerDuckdbSetups = lakeAccess.duckdbSetups;
export const bucketPolicyBytes = lakeAccess.policyBytes;
export const bucketPolicyHeadroomBytes = lakeAccess.policyHeadroomBytes;
/** Everything `npm run status|access|verify|shell` need (model/lakeConnection.ts LakeConnectionInfo); secret. */
export const lakeConnection = pulumi.secret(
  pulumi
    .all([
      lake.catalog.ownerConnection,
      lake.bucketName,
      readerSecretKeys,
      pulumi.all(Object.fromEntries(Object.entries(lakeAccess.readers).map(([n, r]) => [n, r.password]))),
    ])
    .apply(
      ([catalog, bucket, secretKeys, passwords]) =>
        ({
          stack: pulumi.getStack(),
          catalog: { ...catalog, schema: config.catalogSchema },
          storage: {
            bucket,
            dataPrefix: config.dataPrefix,
            endpoint: config.s3Endpoint,
            region: config.s3Region,
            adminProjectId: config.ownerProjectId,
            admin: { accessKey: config.s3AccessKey, secretKey: config.s3SecretKey },
          },
          readers: accessSpec.readers.map((r) => ({
            name: r.name,
            password: passwords[r.name],
            s3: { ...r.principal, secretKey: secretKeys[r.name] ?? "" },
            grants: accessSpec.grants
              .filter((g) => g.reader === r.name)
              .map((g) =>
                !g.table
                  ? { schema: g.schema }
                  : g.rows
                    ? { schema: g.schema, table: g.table, rows: parseGrantRows(g.rows).rows }
                    : { schema: g.schema, table: g.table },
              ),
          })),
        }) satisfies LakeConnectionInfo,
    ),
);
