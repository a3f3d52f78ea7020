// DuckDB SQL for lake sessions: extension loading, secrets, ATTACH, and the TPC-H sample load.
// Every value reaches SQL through duckString (quoted literal) or a prepared-statement parameter;
// every name through duckIdent. Pure functions (tested without DuckDB extensions).
import { LakeConnectionInfo, ReaderConnection } from "./connectionInfo";
import { CliError } from "./errors";
import { DuckLakeAttachOption, duckdbIdent, duckdbLiteral, duckLakeAttachSql } from "../model/attach";
import { libpqConninfo } from "../model/libpq";

/** The extensions a lake session needs, in load order. */
export const LAKE_EXTENSIONS = ["ducklake", "postgres", "httpfs"] as const;
/** The eight TPC-H tables, smallest first (progress feels right, lineitem comes last). */
export const TPCH_TABLES = ["region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"] as const;
/** Catalog alias of the lake in every session. */
export const LAKE_ALIAS = "lake";
/** Schema of the lake holding the TPC-H sample. */
export const SAMPLE_SCHEMA = "tpch";

function noNul(v: string, what: string): string {
  if (v.includes("\u0000")) throw new CliError(`${what} contains a NUL character`);
  return v;
}

/** A DuckDB string literal. */
export function duckString(v: string): string {
  return duckdbLiteral(noNul(v, "string"));
}

/** A DuckDB identifier. */
export function duckIdent(v: string): string {
  return duckdbIdent(noNul(v, "identifier"));
}

/** A statement plus the same text with secrets masked, for progress output and logs. */
export interface SessionStatement {
  sql: string;
  display: string;
}

const MASK = "'***'";

/** INSTALL is only attempted when LOAD fails (offline machines with pre-installed extensions stay offline). */
export function extensionStatements(name: string): { load: string; install: string } {
  if (!/^[a-z_]+$/.test(name)) throw new CliError(`not an extension name: ${JSON.stringify(name)}`);
  return { load: `LOAD ${name}`, install: `INSTALL ${name}` };
}

/** DuckDB's S3 ENDPOINT is host[:port] without scheme; USE_SSL follows the scheme. */
export function s3EndpointParts(endpoint: string): { host: string; useSsl: boolean } {
  const m = /^(https?):\/\/([^/\s]+)\/?$/.exec(endpoint);
  if (!m) throw new CliError(`storage.endpoint: expected http(s)://host[:port], got ${JSON.stringify(endpoint)}`);
  return { host: m[2], useSsl: m[1] === "https" };
}

/** A libpq key=value connection string (values single-quoted with backslash escapes when needed). */
export function libpqConnString(params: Record<string, string | number | undefined>): string {
  for (const [k, v] of Object.entries(params)) if (v !== undefined) noNul(String(v), `libpq ${k}`);
  return libpqConninfo(params);
}

export interface LakeSessionOptions {
  /** Open as this reader (its own PG login and S3 key, lake attached READ_ONLY); default: the owner. */
  reader?: ReaderConnection;
  /** File holding the catalog server's CA (sslmode verify-full); the caller writes it. */
  sslRootCertFile?: string;
}

/**
 * Secrets and ATTACH for a session on the lake: a postgres secret with the catalog login, an s3
 * secret scoped to the lake bucket, a ducklake secret tying them together, then ATTACH … AS lake
 * (READ_ONLY for readers). Secrets are TEMPORARY: nothing is written to ~/.duckdb.
 */
export function lakeSessionStatements(info: LakeConnectionInfo, opts: LakeSessionOptions = {}): SessionStatement[] {
  const r = opts.reader;
  const login = r ? { user: r.name, password: r.password } : { user: info.catalog.user, password: info.catalog.password };
  const key = r ? r.s3 : info.storage.admin;
  const { host, useSsl } = s3EndpointParts(info.storage.endpoint);
  if (info.catalog.sslmode === "verify-full" && !opts.sslRootCertFile)
    throw new CliError("sslmode verify-full needs the CA certificate written to a file (sslRootCertFile)");
  const dataPath = `s3://${info.storage.bucket}/${info.storage.dataPrefix}`;
  const pgSecret = (password: string) =>
    "CREATE OR REPLACE TEMPORARY SECRET lake_catalog (TYPE postgres, " +
    `HOST ${duckString(info.catalog.host)}, PORT ${Number(info.catalog.port)}, DATABASE ${duckString(info.catalog.database)}, ` +
    `USER ${duckString(login.user)}, PASSWORD ${password})`;
  const s3Secret = (id: string, secret: string) =>
    "CREATE OR REPLACE TEMPORARY SECRET lake_storage (TYPE s3, " +
    `KEY_ID ${id}, SECRET ${secret}, REGION ${duckString(info.storage.region)}, ENDPOINT ${duckString(host)}, ` +
    `URL_STYLE 'path', USE_SSL ${useSsl}, SCOPE ${duckString(`s3://${info.storage.bucket}/`)})`;
  // TLS settings the postgres secret has no field for travel in the libpq string of METADATA_PATH.
  const metadataPath = libpqConnString({ sslmode: info.catalog.sslmode, sslrootcert: opts.sslRootCertFile });
  const lakeSecret =
    "CREATE OR REPLACE TEMPORARY SECRET lake_secret (TYPE ducklake, " +
    `METADATA_PATH ${duckString(metadataPath)}, DATA_PATH ${duckString(dataPath)}, ` +
    "METADATA_PARAMETERS MAP {'TYPE': 'postgres', 'SECRET': 'lake_catalog'})";
  const attachOptions: DuckLakeAttachOption[] = [{ metadataSchema: info.catalog.schema }, ...(r ? [{ readOnly: true as const }] : [])];
  const attach = duckLakeAttachSql({ metadata: "lake_secret", alias: duckIdent(LAKE_ALIAS), options: attachOptions });
  return [
    { sql: pgSecret(duckString(login.password)), display: pgSecret(MASK) },
    { sql: s3Secret(duckString(key.accessKey), duckString(key.secretKey)), display: s3Secret(duckString(key.accessKey), MASK) },
    { sql: lakeSecret, display: lakeSecret },
    { sql: attach, display: attach },
  ];
}

/** The TPC-H generator call (into the session's in-memory database). sf is validated by parseScaleFactor. */
export function dbgenStatement(sf: number): string {
  if (!Number.isFinite(sf) || sf <= 0) throw new CliError(`scale factor must be a positive number, got ${sf}`);
  return `CALL dbgen(sf = ${sf})`;
}

export const sampleSql = {
  createSchema: `CREATE SCHEMA IF NOT EXISTS ${duckIdent(LAKE_ALIAS)}.${duckIdent(SAMPLE_SCHEMA)}`,
  /** Parameters: database (the lake alias), schema, table. */
  tableExists: "SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE database_name = $1 AND schema_name = $2 AND table_name = $3",
  target: (table: string) => `${duckIdent(LAKE_ALIAS)}.${duckIdent(SAMPLE_SCHEMA)}.${duckIdent(table)}`,
  source: (table: string) => `memory.main.${duckIdent(table)}`,
  /** dbgen appends to tables it finds: drop the last run's output first (a second load in one session). */
  dropSource: (table: string) => `DROP TABLE IF EXISTS ${sampleSql.source(table)}`,
  count: (qualified: string) => `SELECT count(*)::BIGINT AS n FROM ${qualified}`,
  create: (table: string) => `CREATE TABLE ${sampleSql.target(table)} AS SELECT * FROM ${sampleSql.source(table)}`,
  /** Replace the rows but keep the table (and its id, which grants are bound to). */
  replace: (table: string) => [
    `DELETE FROM ${sampleSql.target(table)}`,
    `INSERT INTO ${sampleSql.target(table)} SELECT * FROM ${sampleSql.source(table)}`,
  ],
};

export type SampleAction = "create" | "skip" | "replace";

/** Idempotency rule per table: absent → create; same row count as generated → skip; else replace rows. */
export function sampleAction(exists: boolean, lakeRows: bigint | number | null, generatedRows: bigint | number): SampleAction {
  if (!exists) return "create";
  return BigInt(lakeRows ?? -1) === BigInt(generatedRows) ? "skip" : "replace";
}
