// The stack configuration: every `ducklake:*` key, its default, and the checks that refuse bad values
// before any resource is registered. Pure: takes the raw strings Pulumi stores, returns typed config
// or throws one ConfigError listing every problem (key, what is wrong, how to fix it).
import { DEFAULT_CATALOG_SCHEMA, GUARD_SCHEMA } from "./names";
import { SERVER_TYPES, WITHDRAWN_SERVER_TYPES } from "./cost";
import { connectionLimitProblem, DEFAULT_READER_CONNECTION_LIMIT } from "./connectionBudget";
import { cidrProblem, isWorld } from "./cidr";
import { isAccessKey, isProjectId } from "./principal";
import type { ReaderPrincipalOverrides } from "./grants";
import { adminRoleProblem, ExternalPostgres, externalHostProblem, normalizeCaPem } from "./externalServer";

export type { ExternalPostgres };

export const CONFIG_NAMESPACE = "ducklake";

/**
 * Where the lake runs: `local` = PostgreSQL + RGW on 127.0.0.1 (project scripts); `hetzner` = Hetzner Cloud;
 * `external` = the catalog on an existing PostgreSQL (managed or HA) the program only connects to, no Hetzner Cloud
 * resources, the bucket on Hetzner Object Storage or any S3 endpoint.
 */
export type Target = "local" | "hetzner" | "external";
export const TARGETS: readonly Target[] = ["local", "hetzner", "external"];

/** Keys that only mean something on the hetzner target (the server the program builds). */
export const HETZNER_ONLY_KEYS = [
  "serverType",
  "sshPublicKey",
  "sshKeyName",
  "adminIps",
  "allowWorldAccess",
  "postgresVersion",
  "backupHourUtc",
  "backupPrincipal",
  "backupSecretKey",
] as const;
export const LOCAL_ONLY_KEYS = ["localPgHost", "localPgPort", "localPgUser", "localPgPassword"] as const;
export const EXTERNAL_ONLY_KEYS = [
  "externalPgHost",
  "externalPgPort",
  "externalPgAdminUser",
  "externalPgAdminPassword",
  "externalPgCaCert",
] as const;
/** Defaults Pulumi.yaml declares: Pulumi hands them to every stack, so a key at this value was not set by the operator. */
const DECLARED_DEFAULTS: Record<string, string> = { serverType: "cx23", localPgHost: "127.0.0.1", localPgUser: "postgres" };
/** The catalog roles the program creates (components/catalog.ts); the external admin must not be one of them. */
const PROGRAM_ROLES = ["ducklake_owner", "ducklake_writer"];

/** Hetzner Cloud locations with servers, and the subset with Object Storage. */
export const SERVER_LOCATIONS = ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"] as const;
export const OBJECT_STORAGE_LOCATIONS = ["fsn1", "nbg1", "hel1"] as const;
/** PostgreSQL majors the cloud-init can install on Debian 12 (15 from Debian, others from apt.postgresql.org);
 * 15 is the floor because the setup reads the admin password with psql's \getenv. */
export const POSTGRES_VERSIONS = [15, 16, 17] as const;
export const DEBIAN_POSTGRES_VERSION = 15;

/** Credentials of the local throw-away PostgreSQL (written by scripts/local-pg.sh, set by `npm start`). */
export interface LocalPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** The validated stack configuration. Secret values are plain here; index.ts wraps them in pulumi.secret. */
export interface LakeConfig {
  target: Target;
  location: string;
  serverType: string;
  sshPublicKey?: string;
  /** CIDRs allowed to reach SSH and PostgreSQL (prod). */
  adminIps: string[];
  allowWorldAccess: boolean;
  bucketName: string;
  s3Endpoint: string;
  s3Region: string;
  s3AccessKey: string;
  s3SecretKey: string;
  postgresVersion: number;
  /** Hetzner project id owning the bucket and the admin key (`p<ID>` in policy principals). */
  ownerProjectId: string;
  backupsPrefix: string;
  backupHourUtc: number;
  backupRetentionDays: number;
  dataPrefix: string;
  readerListing: boolean;
  catalogSchema: string;
  catalogDatabase: string;
  /** CONNECTION LIMIT of each reader role unless its access.ts entry sets connectionLimit. */
  readerConnectionLimit: number;
  localPostgres?: LocalPostgres;
  /** The existing PostgreSQL of the external target (sslmode always verify-full). */
  externalPostgres?: ExternalPostgres;
  /** Name of an SSH key already in the Hetzner project, used instead of creating one from sshPublicKey. */
  sshKeyName?: string;
  /** Protect the catalog database, server and primary IP (Pulumi protect + Hetzner protection). */
  protectData: boolean;
  /** Key of another project that may only PutObject under backupsPrefix; the backup job uses it. */
  backupPrincipal?: { projectId: string; accessKey: string };
  backupSecretKey?: string;
  /** Per-stack key ids of access.ts readers, by reader name (values as strings: `--path` stores digits as numbers). */
  readerPrincipals: ReaderPrincipalOverrides;
  /** Secret half of each reader's S3 key, by reader name (secret; empty when the operator holds none). */
  readerSecretKeys: Record<string, string>;
  /** Reader keys of the owner's project: "refuse" (default) or "deny" (last resort; docs/storage-guard.md#reader-keys). */
  ownerProjectKeys: "refuse" | "deny";
}

/** Keys whose values must be stored with `pulumi config set --secret`. */
export const SECRET_KEYS = [
  "s3AccessKey",
  "s3SecretKey",
  "localPgPassword",
  "readerSecretKeys",
  "backupSecretKey",
  "externalPgAdminPassword",
] as const;

/** Every key this program reads, with its meaning (used in messages and docs). */
export const CONFIG_KEYS: Record<string, string> = {
  target: "local | hetzner | external (default: local for the stack named local, else hetzner)",
  location: "Hetzner location of the server and bucket (default fsn1)",
  serverType: "Hetzner server type (default cx23)",
  sshPublicKey: "your SSH public key for root on the server (hetzner)",
  adminIps: "JSON list of CIDRs allowed to reach SSH and PostgreSQL (hetzner)",
  allowWorldAccess: "true to allow 0.0.0.0/0 or ::/0 in adminIps (default false)",
  bucketName: "the lake bucket (S3 naming rules)",
  s3Endpoint: "object storage endpoint URL (default https://<location>.your-objectstorage.com)",
  s3Region: "object storage region (default: the location; us-east-1 locally)",
  s3AccessKey: "admin S3 access key of the owner project (secret)",
  s3SecretKey: "admin S3 secret key of the owner project (secret)",
  postgresVersion: "PostgreSQL major on the server (default 15)",
  ownerProjectId: "numeric Hetzner project id that owns the bucket",
  backupsPrefix: "bucket prefix for nightly pg_dump backups (default backups/)",
  backupHourUtc: "hour (0-23, UTC) of the nightly backup (default 3)",
  backupRetentionDays: "days backups are kept before the bucket expires them (default 30)",
  dataPrefix: "bucket prefix of DuckLake's DATA_PATH (default data/)",
  readerListing: "true to let readers list the bucket under their prefixes (default false)",
  catalogSchema: "PostgreSQL schema holding the DuckLake catalog (default public)",
  catalogDatabase: "catalog database name (default ducklake)",
  readerConnectionLimit: `catalog connections one reader may hold at once, unless access.ts sets connectionLimit (default ${DEFAULT_READER_CONNECTION_LIMIT}: one DuckDB session scanning in parallel)`,
  readerPrincipals: "per-stack { projectId, accessKey } of readers of access.ts, by reader name (optional)",
  readerSecretKeys: "S3 secret key per reader name, for the readers' DuckDB setup output (secret, optional)",
  ownerProjectKeys:
    "refuse | deny: reader keys of the bucket owner's project are refused (default) or confined by Deny statements on this bucket (last resort)",
  localPgHost: "local PostgreSQL host (default 127.0.0.1; set by npm start)",
  localPgPort: "local PostgreSQL port (set by npm start)",
  localPgUser: "local PostgreSQL superuser (default postgres)",
  localPgPassword: "local PostgreSQL superuser password (secret; set by npm start)",
  sshKeyName: "name of an SSH key already in the Hetzner project, used instead of sshPublicKey (hetzner)",
  protectData: "protect the catalog database, server and primary IP from deletion (default true on hetzner, false locally)",
  backupPrincipal: "{ projectId, accessKey } of a key of another project the backup job uploads with (PutObject under backupsPrefix only)",
  backupSecretKey: "secret key of backupPrincipal (secret)",
  externalPgHost: "external target: DNS name or IP address of the existing PostgreSQL (must match its certificate: verify-full)",
  externalPgPort: "external target: its port (default 5432)",
  externalPgAdminUser: "external target: the service's admin login (CREATEROLE and CREATEDB; superuser not needed)",
  externalPgAdminPassword: "external target: that login's password (secret)",
  externalPgCaCert: "external target: PEM of the CA (or bundle) that signed the server certificate (sslmode is always verify-full)",
};

export interface ConfigProblem {
  key: string;
  problem: string;
  fix: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${CONFIG_NAMESPACE}:${p.key}: ${p.problem}. Fix: ${p.fix}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Raw config as Pulumi stores it: `ducklake:<key>` → string (lists/objects as JSON text). */
export type RawConfig = Record<string, string | undefined>;

export interface ValidateOptions {
  /** Stack name (decides the default target). */
  stack: string;
  /** Full keys (`ducklake:x`) stored as secrets; when given, secret keys stored in plain text are refused. */
  secretKeys?: ReadonlySet<string>;
}

/** Validates the whole `ducklake:` config at once; throws ConfigError naming every bad key. */
export function validateConfig(raw: RawConfig, options: ValidateOptions): LakeConfig {
  const problems: ConfigProblem[] = [];
  const bad = (key: string, problem: string, fix: string) => {
    problems.push({ key, problem, fix });
  };
  const get = (key: string): string | undefined => {
    const v = raw[`${CONFIG_NAMESPACE}:${key}`];
    return v === undefined || v === "" ? undefined : v;
  };
  const setCmd = (key: string, value = "<value>", secret = false) =>
    `pulumi config set ${secret ? "--secret " : ""}${CONFIG_NAMESPACE}:${key} ${value}`;

  checkUnknownKeys(raw, bad);

  const targetRaw = get("target") ?? (options.stack === "local" ? "local" : "hetzner");
  if (!(TARGETS as readonly string[]).includes(targetRaw))
    bad("target", `"${targetRaw}" is not a target`, `use local, hetzner or external: ${setCmd("target", "hetzner")}`);
  const target: Target = (TARGETS as readonly string[]).includes(targetRaw) ? (targetRaw as Target) : "hetzner";
  /** The Hetzner server is built here. */
  const prod = target === "hetzner";
  /** Reached over the internet: https storage, protected data, no local services. */
  const remote = target !== "local";
  checkTargetKeys(target, get, bad);

  const location = get("location") ?? "fsn1";
  if (!(SERVER_LOCATIONS as readonly string[]).includes(location))
    bad("location", `"${location}" is not a Hetzner location`, `use one of ${SERVER_LOCATIONS.join(", ")}`);

  const serverType = get("serverType") ?? "cx23";
  if (WITHDRAWN_SERVER_TYPES[serverType])
    bad(
      "serverType",
      `"${serverType}" can no longer be ordered`,
      `use ${WITHDRAWN_SERVER_TYPES[serverType]} (same size): ${setCmd("serverType", WITHDRAWN_SERVER_TYPES[serverType])}`,
    );
  else if (!SERVER_TYPES[serverType])
    bad("serverType", `"${serverType}" is not a known server type`, `use one of ${Object.keys(SERVER_TYPES).join(", ")}`);

  const sshPublicKey = get("sshPublicKey");
  const sshKeyName = get("sshKeyName");
  if (sshKeyName !== undefined && !/^[A-Za-z0-9][A-Za-z0-9 ._@:+-]{0,127}$/.test(sshKeyName))
    bad(
      "sshKeyName",
      `${JSON.stringify(sshKeyName)} is not an SSH key name`,
      "use the name shown under Security → SSH keys in the Cloud Console",
    );
  if (sshKeyName !== undefined && sshPublicKey !== undefined)
    bad(
      "sshKeyName",
      "is set together with sshPublicKey: the server would get one and authorized_keys the other",
      `keep one: pulumi config rm ${CONFIG_NAMESPACE}:sshPublicKey (to use the existing key) or pulumi config rm ${CONFIG_NAMESPACE}:sshKeyName`,
    );
  if (prod && sshPublicKey === undefined && sshKeyName === undefined)
    bad(
      "sshPublicKey",
      "is missing (needed to log in to the server)",
      `${setCmd("sshPublicKey", '"$(cat ~/.ssh/id_ed25519.pub)"')}, or if the key is already in the Hetzner project: ${setCmd("sshKeyName", "<its name>")}`,
    );
  else if (
    sshPublicKey !== undefined &&
    !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/.test(
      sshPublicKey.trim(),
    )
  )
    bad(
      "sshPublicKey",
      'is not an OpenSSH public key (expected e.g. "ssh-ed25519 AAAA... you@host")',
      "paste the one line of your ~/.ssh/*.pub file, not the private key",
    );

  const allowWorldAccess = parseBool(get("allowWorldAccess"), false, "allowWorldAccess", bad);
  const adminIps = parseList(get("adminIps"), "adminIps", bad) ?? [];
  if (prod && get("adminIps") === undefined)
    bad(
      "adminIps",
      "is missing: SSH and PostgreSQL would be reachable from nowhere",
      `${setCmd("adminIps", "'[\"203.0.113.7/32\"]'")} (your public IP)`,
    );
  else if (prod && adminIps.length === 0 && get("adminIps") !== undefined && problems.every((p) => p.key !== "adminIps"))
    bad("adminIps", "is empty: SSH and PostgreSQL would be reachable from nowhere", "add at least your own public IP as a /32 CIDR");
  for (const cidr of adminIps) {
    const why = cidrProblem(cidr);
    if (why) bad("adminIps", why, "write each entry as an address with a prefix length, e.g. 203.0.113.7/32 or 2001:db8::/64");
    else if (isWorld(cidr) && !allowWorldAccess)
      bad(
        "adminIps",
        `"${cidr}" opens SSH and PostgreSQL to the whole internet`,
        `list your own addresses, or if you really mean it: ${setCmd("allowWorldAccess", "true")}`,
      );
  }

  const bucketName = get("bucketName");
  if (bucketName === undefined) bad("bucketName", "is missing", setCmd("bucketName", "my-lake"));
  else {
    const why = bucketNameProblem(bucketName);
    if (why) bad("bucketName", why, "use 3-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit");
  }

  const s3EndpointRaw = get("s3Endpoint");
  let s3Endpoint = s3EndpointRaw ?? "";
  if (s3EndpointRaw === undefined) {
    if (!remote) bad("s3Endpoint", "is missing (the local RGW endpoint)", "run `npm start`, which sets it from the running local RGW");
    else if ((OBJECT_STORAGE_LOCATIONS as readonly string[]).includes(location)) s3Endpoint = `https://${location}.your-objectstorage.com`;
    else
      bad(
        "s3Endpoint",
        `has no default: location "${location}" has no Hetzner Object Storage`,
        `set it, e.g. ${setCmd("s3Endpoint", "https://fsn1.your-objectstorage.com")}`,
      );
  } else {
    const why = endpointProblem(s3EndpointRaw, remote);
    if (why)
      bad(
        "s3Endpoint",
        why,
        prod
          ? "use https://<fsn1|nbg1|hel1>.your-objectstorage.com"
          : remote
            ? "use the https URL of the S3 endpoint, e.g. https://fsn1.your-objectstorage.com"
            : "use the URL printed by scripts/local-rgw.sh, e.g. http://127.0.0.1:47480",
      );
  }

  const s3Region =
    get("s3Region") ?? (remote ? ((OBJECT_STORAGE_LOCATIONS as readonly string[]).includes(location) ? location : "fsn1") : "us-east-1");
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(s3Region))
    bad("s3Region", `"${s3Region}" is not a region name`, "use e.g. fsn1 (Hetzner) or us-east-1 (local RGW)");

  const secret = (key: (typeof SECRET_KEYS)[number], required: boolean, pattern: RegExp, shape: string): string => {
    const value = get(key);
    if (value === undefined) {
      if (required) bad(key, "is missing", setCmd(key, "<value>", true));
      return "";
    }
    if (options.secretKeys && !options.secretKeys.has(`${CONFIG_NAMESPACE}:${key}`))
      bad(key, "is stored in plain text in the stack file", `store it encrypted: ${setCmd(key, "<value>", true)}`);
    if (!pattern.test(value))
      bad(key, `does not look like ${shape}`, `copy it again from where it was created; ${setCmd(key, "<value>", true)}`);
    return value;
  };
  const s3AccessKey = secret("s3AccessKey", true, /^[A-Za-z0-9]{16,128}$/, "an S3 access key (letters and digits)");
  const s3SecretKey = secret("s3SecretKey", true, /^[A-Za-z0-9+/=]{16,128}$/, "an S3 secret key (letters, digits, + / =)");
  if (get("readerSecretKeys") !== undefined && options.secretKeys && !options.secretKeys.has(`${CONFIG_NAMESPACE}:readerSecretKeys`))
    bad(
      "readerSecretKeys",
      "is stored in plain text in the stack file",
      `store each reader's key encrypted: pulumi config set --secret --path '${CONFIG_NAMESPACE}:readerSecretKeys.<reader>' <secret key>`,
    );

  const readerPrincipals = Object.fromEntries(
    Object.entries(
      parseObject(
        get("readerPrincipals"),
        "readerPrincipals",
        bad,
        `pulumi config set --path '${CONFIG_NAMESPACE}:readerPrincipals.<reader>.projectId' <id> (and .accessKey)`,
      ),
    ).map(([reader, p]) => {
      if (p !== null && (typeof p !== "object" || Array.isArray(p)))
        bad(
          "readerPrincipals",
          `.${reader} is not an object`,
          `give { projectId, accessKey }: pulumi config set --path '${CONFIG_NAMESPACE}:readerPrincipals.${reader}.accessKey' <key>`,
        );
      return [reader, Object.fromEntries(Object.entries(p !== null && typeof p === "object" ? p : {}).map(([k, v]) => [k, String(v)]))];
    }),
  );
  const readerSecretKeys = Object.fromEntries(
    Object.entries(
      parseObject(
        get("readerSecretKeys"),
        "readerSecretKeys",
        bad,
        `pulumi config set --secret --path '${CONFIG_NAMESPACE}:readerSecretKeys.<reader>' <secret key>`,
      ),
    ).map(([reader, v]) => [reader, String(v)]),
  );

  const ownerProjectKeys = get("ownerProjectKeys") ?? "refuse";
  if (ownerProjectKeys !== "refuse" && ownerProjectKeys !== "deny")
    bad(
      "ownerProjectKeys",
      `"${ownerProjectKeys}" is not refuse or deny`,
      `create reader keys in a separate project and pulumi config rm ${CONFIG_NAMESPACE}:ownerProjectKeys, or as a last resort: ${setCmd("ownerProjectKeys", "deny")}`,
    );

  const postgresVersion = parseIntKey(get("postgresVersion"), DEBIAN_POSTGRES_VERSION, "postgresVersion", bad);
  if (!(POSTGRES_VERSIONS as readonly number[]).includes(postgresVersion))
    bad("postgresVersion", `${postgresVersion} is not supported`, `use one of ${POSTGRES_VERSIONS.join(", ")}`);

  const ownerProjectId = get("ownerProjectId");
  if (ownerProjectId === undefined)
    bad(
      "ownerProjectId",
      "is missing (the Hetzner project that owns the bucket and the admin key)",
      `${setCmd("ownerProjectId", "1234567")} (Cloud Console URL: /projects/<id>/...)`,
    );
  else if (!isProjectId(ownerProjectId))
    bad(
      "ownerProjectId",
      `"${ownerProjectId}" is not a numeric project id`,
      "use the digits from the Cloud Console URL, without the p prefix",
    );

  const backupsPrefix = get("backupsPrefix") ?? "backups/";
  const dataPrefix = get("dataPrefix") ?? "data/";
  for (const [key, prefix] of [
    ["backupsPrefix", backupsPrefix],
    ["dataPrefix", dataPrefix],
  ] as const) {
    const why = prefixProblem(prefix);
    if (why) bad(key, why, "use path segments of letters, digits, . _ - joined by / and ending with /, e.g. backups/");
  }
  if (
    !prefixProblem(backupsPrefix) &&
    !prefixProblem(dataPrefix) &&
    (backupsPrefix.startsWith(dataPrefix) || dataPrefix.startsWith(backupsPrefix))
  )
    bad(
      "backupsPrefix",
      `"${backupsPrefix}" overlaps dataPrefix "${dataPrefix}": a grant on lake data could expose backups`,
      "use separate top-level prefixes such as backups/ and data/",
    );

  const backupHourUtc = parseIntKey(get("backupHourUtc"), 3, "backupHourUtc", bad);
  if (backupHourUtc < 0 || backupHourUtc > 23) bad("backupHourUtc", `${backupHourUtc} is not an hour`, "use 0-23");
  const backupRetentionDays = parseIntKey(get("backupRetentionDays"), 30, "backupRetentionDays", bad);
  if (backupRetentionDays < 1 || backupRetentionDays > 3650)
    bad("backupRetentionDays", `${backupRetentionDays} is out of range`, "use 1-3650 days");

  const readerListing = parseBool(get("readerListing"), false, "readerListing", bad);

  const catalogSchema = get("catalogSchema") ?? DEFAULT_CATALOG_SCHEMA;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(catalogSchema))
    bad(
      "catalogSchema",
      `"${catalogSchema}" is not a plain PostgreSQL schema name`,
      "use lower-case letters, digits and _, at most 63 characters",
    );
  else if (catalogSchema === GUARD_SCHEMA || catalogSchema.startsWith("pg_") || catalogSchema === "information_schema")
    bad("catalogSchema", `"${catalogSchema}" is reserved`, `choose another schema, e.g. ${DEFAULT_CATALOG_SCHEMA}`);

  const catalogDatabase = get("catalogDatabase") ?? "ducklake";
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(catalogDatabase))
    bad(
      "catalogDatabase",
      `"${catalogDatabase}" is not a plain database name`,
      "use lower-case letters, digits and _, starting with a letter",
    );
  else if (["postgres", "template0", "template1"].includes(catalogDatabase))
    bad("catalogDatabase", `"${catalogDatabase}" is a system database`, "use a database of its own, e.g. ducklake");

  const readerConnectionLimit = parseIntKey(get("readerConnectionLimit"), DEFAULT_READER_CONNECTION_LIMIT, "readerConnectionLimit", bad);
  const limitProblem = connectionLimitProblem(readerConnectionLimit);
  if (limitProblem)
    bad(
      "readerConnectionLimit",
      limitProblem,
      `${setCmd("readerConnectionLimit", String(DEFAULT_READER_CONNECTION_LIMIT))} (one DuckDB session needs up to 4)`,
    );
  const protectData = parseBool(get("protectData"), remote, "protectData", bad);

  let backupPrincipal: { projectId: string; accessKey: string } | undefined;
  const backupPrincipalRaw = get("backupPrincipal");
  if (backupPrincipalRaw !== undefined) {
    const fix = `pulumi config set --path '${CONFIG_NAMESPACE}:backupPrincipal.projectId' <id>; pulumi config set --path '${CONFIG_NAMESPACE}:backupPrincipal.accessKey' <key>`;
    let parsed: any;
    try {
      parsed = JSON.parse(backupPrincipalRaw);
    } catch {
      parsed = undefined;
    }
    const projectId = parsed && typeof parsed === "object" ? String(parsed.projectId ?? "") : "";
    const accessKey = parsed && typeof parsed === "object" ? String(parsed.accessKey ?? "") : "";
    if (!isProjectId(projectId)) bad("backupPrincipal", "needs projectId, the numeric id of the project whose key uploads backups", fix);
    else if (ownerProjectId !== undefined && projectId === ownerProjectId)
      bad(
        "backupPrincipal",
        "is a key of the owner project, which the bucket policy cannot narrow",
        "create the key in another project (as for readers)",
      );
    if (!isAccessKey(accessKey))
      bad("backupPrincipal", "needs accessKey, the S3 access key id of that project (20 upper-case letters or digits)", fix);
    backupPrincipal = { projectId, accessKey };
  }
  const backupSecretKey = secret(
    "backupSecretKey",
    backupPrincipal !== undefined,
    /^[A-Za-z0-9+/=]{16,128}$/,
    "an S3 secret key (letters, digits, + / =)",
  );
  if (backupSecretKey && backupPrincipal === undefined)
    bad("backupSecretKey", "is set without backupPrincipal", "set backupPrincipal too, or pulumi config rm ducklake:backupSecretKey");

  let localPostgres: LocalPostgres | undefined;
  if (target === "local") {
    const host = get("localPgHost") ?? "127.0.0.1";
    if (!/^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|::1)$/.test(host))
      bad(
        "localPgHost",
        `"${host}" is not a loopback address`,
        "the local stack only talks to the PostgreSQL on this machine: use 127.0.0.1",
      );
    const portRaw = get("localPgPort");
    const port = portRaw === undefined ? 0 : Number(portRaw);
    if (portRaw === undefined) bad("localPgPort", "is missing", "run `npm start`, which sets it from the running local PostgreSQL");
    else if (!Number.isInteger(port) || port < 1 || port > 65535)
      bad("localPgPort", `"${portRaw}" is not a TCP port`, "use 1-65535 (npm start sets it)");
    const user = get("localPgUser") ?? "postgres";
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(user))
      bad("localPgUser", `"${user}" is not a role name`, "use postgres (the superuser made by scripts/local-pg.sh)");
    const password = secret("localPgPassword", true, /^[^\s]{1,200}$/, "a password without white space");
    localPostgres = { host, port, user, password };
  }

  let externalPostgres: ExternalPostgres | undefined;
  if (target === "external") {
    const host = get("externalPgHost");
    if (host === undefined)
      bad(
        "externalPgHost",
        "is missing (the existing PostgreSQL to hold the catalog)",
        `${setCmd("externalPgHost", "db.example.com")} (the name in the server certificate)`,
      );
    else {
      const why = externalHostProblem(host);
      if (why)
        bad("externalPgHost", why, "use the host name of the service's endpoint (it must match the server certificate: verify-full)");
    }
    const port = parseIntKey(get("externalPgPort"), 5432, "externalPgPort", bad);
    if (port < 1 || port > 65535) bad("externalPgPort", `${port} is not a TCP port`, `use 1-65535: ${setCmd("externalPgPort", "5432")}`);
    const adminUser = get("externalPgAdminUser");
    if (adminUser === undefined)
      bad("externalPgAdminUser", "is missing (the service's admin login)", setCmd("externalPgAdminUser", "lakeadmin"));
    else {
      const why = adminRoleProblem(adminUser, PROGRAM_ROLES);
      if (why) bad("externalPgAdminUser", why, "use the admin login the service created (CREATEROLE and CREATEDB)");
    }
    const adminPassword = secret("externalPgAdminPassword", true, /^[^\s]{1,1000}$/, "a password without white space");
    const caRaw = get("externalPgCaCert");
    let caCertPem = "";
    const caFix = `store the service's CA file: pulumi config set ${CONFIG_NAMESPACE}:externalPgCaCert -- "$(cat ca.pem)"`;
    if (caRaw === undefined) bad("externalPgCaCert", "is missing (sslmode is always verify-full, which needs the service's CA)", caFix);
    else {
      const ca = normalizeCaPem(caRaw);
      if (ca.problem) bad("externalPgCaCert", ca.problem, caFix);
      caCertPem = ca.pem;
    }
    externalPostgres = { host: host ?? "", port, adminUser: adminUser ?? "", adminPassword, caCertPem };
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    target,
    location,
    serverType,
    sshPublicKey: sshPublicKey?.trim(),
    adminIps,
    allowWorldAccess,
    bucketName: bucketName!,
    s3Endpoint: s3Endpoint.replace(/\/+$/, ""),
    s3Region,
    s3AccessKey,
    s3SecretKey,
    postgresVersion,
    ownerProjectId: ownerProjectId!,
    backupsPrefix,
    backupHourUtc,
    backupRetentionDays,
    dataPrefix,
    readerListing,
    catalogSchema,
    catalogDatabase,
    readerConnectionLimit,
    localPostgres,
    externalPostgres,
    sshKeyName,
    protectData,
    backupPrincipal,
    backupSecretKey: backupSecretKey || undefined,
    readerPrincipals,
    readerSecretKeys,
    ownerProjectKeys: ownerProjectKeys as "refuse" | "deny",
  };
}

type Bad = (key: string, problem: string, fix: string) => void;

// Keys of another target are refused rather than ignored: a stack that sets them expects them to act.
function checkTargetKeys(target: Target, get: (key: string) => string | undefined, bad: Bad): void {
  const owners: [readonly string[], Target, string][] = [
    [HETZNER_ONLY_KEYS, "hetzner", "the server the program builds on Hetzner Cloud"],
    [LOCAL_ONLY_KEYS, "local", "the local PostgreSQL of npm start"],
    [EXTERNAL_ONLY_KEYS, "external", "an existing PostgreSQL"],
  ];
  for (const [keys, owner, what] of owners) {
    if (owner === target) continue;
    for (const key of keys) {
      const v = get(key);
      if (v === undefined || v === DECLARED_DEFAULTS[key]) continue;
      bad(
        key,
        `applies to target ${owner} only (${what}), not to target ${target}` +
          (target === "external" && owner === "hetzner" ? ": the external server is run, sized and backed up by its service" : ""),
        `pulumi config rm ${CONFIG_NAMESPACE}:${key}`,
      );
    }
  }
}

// Keys of other parts of the program (e.g. access lists) may share the namespace, so only keys that
// look like a misspelt known key are refused.
function checkUnknownKeys(raw: RawConfig, bad: Bad): void {
  const known = Object.keys(CONFIG_KEYS);
  for (const full of Object.keys(raw)) {
    if (!full.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
    const key = full.slice(CONFIG_NAMESPACE.length + 1);
    if (known.includes(key)) continue;
    const near = known.find((k) => k.toLowerCase() === key.toLowerCase() || editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
    if (near)
      bad(
        key,
        "is not a known key",
        `did you mean ${CONFIG_NAMESPACE}:${near}? (pulumi config rm ${full}; pulumi config set ${CONFIG_NAMESPACE}:${near} ...)`,
      );
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function parseBool(v: string | undefined, dflt: boolean, key: string, bad: Bad): boolean {
  if (v === undefined) return dflt;
  if (v === "true") return true;
  if (v === "false") return false;
  bad(key, `"${v}" is not true or false`, `pulumi config set ${CONFIG_NAMESPACE}:${key} ${dflt}`);
  return dflt;
}

function parseIntKey(v: string | undefined, dflt: number, key: string, bad: Bad): number {
  if (v === undefined) return dflt;
  if (!/^-?[0-9]+$/.test(v)) {
    bad(key, `"${v}" is not a whole number`, `pulumi config set ${CONFIG_NAMESPACE}:${key} ${dflt}`);
    return dflt;
  }
  return Number(v);
}

/** A JSON object key (written with `pulumi config set --path`); {} when unset. */
function parseObject(v: string | undefined, key: string, bad: Bad, fix: string): Record<string, unknown> {
  if (v === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    bad(key, "is not a JSON object", fix);
    return {};
  }
  return parsed as Record<string, unknown>;
}

function parseList(v: string | undefined, key: string, bad: Bad): string[] | undefined {
  if (v === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    bad(key, `is not a JSON list (got ${JSON.stringify(v)})`, `pulumi config set ${CONFIG_NAMESPACE}:${key} '["203.0.113.7/32"]'`);
    return undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) {
    bad(key, "must be a list of strings", `pulumi config set ${CONFIG_NAMESPACE}:${key} '["203.0.113.7/32"]'`);
    return undefined;
  }
  return parsed as string[];
}

/** S3 bucket naming rules (no dots: they break TLS on virtual-host endpoints). */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `"${name}" has ${name.length} characters (3-63 allowed)`;
  if (/[A-Z]/.test(name)) return `"${name}" has upper-case letters`;
  if (name.includes(".")) return `"${name}" contains dots (they break TLS on virtual-host style endpoints)`;
  if (!/^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(name)) return `"${name}" has characters other than a-z, 0-9 and - or starts/ends with -`;
  if (name.startsWith("xn--") || name.endsWith("-s3alias")) return `"${name}" uses a reserved prefix or suffix`;
  return undefined;
}

function endpointProblem(url: string, prod: boolean): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  if (u.pathname !== "/" || u.search || u.hash || u.username) return `"${url}" must be scheme://host[:port] only`;
  const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(u.hostname);
  if (u.protocol === "https:") return undefined;
  if (u.protocol === "http:" && loopback && !prod) return undefined;
  if (u.protocol === "http:") return `"${url}" is plain http: keys and data would cross the network unencrypted`;
  return `"${url}" must use https`;
}

function prefixProblem(prefix: string): string | undefined {
  if (!/^([A-Za-z0-9._-]+\/)+$/.test(prefix)) return `"${prefix}" is not a relative prefix ending in /`;
  if (prefix.split("/").some((seg) => seg === "." || seg === "..")) return `"${prefix}" contains . or .. segments`;
  return undefined;
}
