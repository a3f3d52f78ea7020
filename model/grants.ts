// Validation and normalisation of the access list (readers + grants). Pure: no Pulumi, no I/O.
// Every problem names the entry and the fix; all problems are collected before anything is registered.
import { AccessSpec, NormalizedGrant, ReaderSpec, RowFilterKey, S3Principal } from "./accessSpec";
import { describeRows, parseGrantRows, rowsKeySegments } from "./rowFilter";
import { lakeNameProblem, readerNameProblem } from "./names";
import { connectionLimitProblem } from "./connectionBudget";
import { cidrProblem, isIpv6Cidr, isWorld } from "./cidr";
import { isAccessKey, isProjectId } from "./principal";
import { duckdbLiteral, duckLakeAttachSql } from "./attach";
import { libpqQuote } from "./libpq";

/** Facts about the lake the access list is checked against. */
export interface AccessContext {
  /** Hetzner project id owning the bucket; reader keys must come from another project. */
  ownerProjectId: string;
  /** Object-key prefix DuckLake data lives under (e.g. "data/"; "" = bucket root). */
  dataPrefix?: string;
  /** Object-key prefix of catalog backups (e.g. "backups/"); no grant may reach it. */
  backupsPrefix?: string;
  /**
   * Reader keys of the owner's project: "refuse" (default) or "deny", the last-resort fallback that confines
   * them with Deny statements on this bucket (model/bucketPolicy.ts ownerKeyDenyStatements); then a warning.
   */
  ownerProjectKeys?: "refuse" | "deny";
}

/** The access list after validation: sorted, canonical, order-independent. */
export interface ValidatedAccess {
  /** Readers sorted by name; allowedIps sorted and de-duplicated. */
  readers: ReaderSpec[];
  /** Grants sorted by key. */
  grants: NormalizedGrant[];
  /** Non-fatal findings (e.g. a table grant already covered by a schema grant). */
  warnings: string[];
}

export interface AccessCheck {
  /** Set when there are no errors. */
  access?: ValidatedAccess;
  errors: string[];
  warnings: string[];
}

/** Thrown by validateAccess; `problems` lists every error, one line each. */
export class AccessValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`access list has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n  - ${problems.join("\n  - ")}`);
    this.name = "AccessValidationError";
  }
}

const READER_KEYS = new Set(["name", "principal", "allowedIps", "connectionLimit"]);
const PRINCIPAL_KEYS = new Set(["projectId", "accessKey"]);
const GRANT_KEYS = new Set(["reader", "schema", "table", "mode", "rows"]);
/** Characters DuckLake keeps in a default path segment; other names get a UUID path. */
const PATH_SAFE = /^[A-Za-z0-9_-]+$/;

/**
 * Escapes one name for use inside a logical resource name: [A-Za-z0-9_.-] stay as they are,
 * every other UTF-8 byte becomes %XX (so "/" ":" "%" and spaces can never collide or confuse URNs).
 */
export function encodeNameSegment(name: string): string {
  let out = "";
  for (const ch of name) {
    if (/^[A-Za-z0-9_.-]$/.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, "utf8")) out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** Inverse of encodeNameSegment. */
export function decodeNameSegment(segment: string): string {
  return decodeURIComponent(segment);
}

/**
 * The identity of a grant: `reader/schema` (whole schema), `reader/schema/table`, or for a partition grant
 * `reader/schema/table/<key>=<values>[/<key>=<values>…]` (model/rowFilter rowsKeySegments, e.g.
 * `hr_partner/hr/salaries/year(ts)=2025,2026`), each name escaped by encodeNameSegment. Injective: escaped
 * names never contain "=", so a rows segment is never a table; keys and values are in canonical order, so
 * the same grant written in any order has the same key.
 */
export function grantKey(reader: string, schema: string, table: string | null, rows?: ReadonlyArray<RowFilterKey>): string {
  const parts = [reader, encodeNameSegment(schema)];
  if (table !== null) parts.push(encodeNameSegment(table));
  if (table !== null && rows && rows.length) parts.push(rowsKeySegments(rows));
  return parts.join("/");
}

/**
 * "sales.orders", "sales.*", or for a partition grant "hr.salaries [year(ts) in (2025, 2026)]": how messages
 * and reviews show a grant's target.
 */
export function grantTarget(schema: string, table: string | null, rows?: ReadonlyArray<RowFilterKey>): string {
  const show = (n: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(n) ? n : JSON.stringify(n));
  const target = table === null ? `${show(schema)}.*` : `${show(schema)}.${show(table)}`;
  return table !== null && rows && rows.length ? `${target} [${describeRows(rows)}]` : target;
}

/** A reader allowedIps entry: a network in CIDR form (model/cidr.ts), never the whole internet. */
function readerCidrProblem(cidr: unknown): string | undefined {
  const problem = cidrProblem(cidr);
  if (problem) return problem;
  if (isWorld(cidr as string))
    return `"${cidr}" opens PostgreSQL to the whole internet; list the reader's own addresses${isIpv6Cidr(cidr as string) ? "" : ' (e.g. "203.0.113.7/32")'}`;
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function unknownKeys(entry: Record<string, unknown>, allowed: Set<string>): string[] {
  return Object.keys(entry).filter((k) => !allowed.has(k));
}

function describeGrant(g: Record<string, unknown>): string {
  const part = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : String(v));
  const rows = g.rows === undefined ? "" : `, rows: ${JSON.stringify(g.rows)}`;
  return `{ reader: ${part(g.reader)}, schema: ${part(g.schema)}${g.table === undefined || g.table === null ? "" : `, table: ${part(g.table)}`}${rows} }`;
}

/** The object-key prefix a schema's data lives under by DuckLake's default layout, or undefined (UUID path). */
function defaultSchemaPrefix(dataPrefix: string, schema: string): string | undefined {
  return PATH_SAFE.test(schema) ? `${dataPrefix}${schema}/` : undefined;
}

/**
 * Checks an access list (typed or straight from config) and returns every error and warning.
 * Never throws; the access is returned only when there are no errors.
 */
export function checkAccess(spec: unknown, ctx: AccessContext): AccessCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!isProjectId(String(ctx.ownerProjectId)))
    errors.push(`ownerProjectId "${ctx.ownerProjectId}" is not a Hetzner project id; use the numeric id from the console URL`);
  const dataPrefix = ctx.dataPrefix ?? "";
  const backups = ctx.backupsPrefix;
  if (backups !== undefined && (backups === "" || !backups.endsWith("/")))
    errors.push(`backupsPrefix "${backups}" must be a non-empty folder ending in "/" (e.g. "backups/")`);
  if (!isRecord(spec)) {
    errors.push("the access list is not an object; export { readers: [...], grants: [...] }");
    return { errors, warnings };
  }
  for (const k of Object.keys(spec))
    if (k !== "readers" && k !== "grants") errors.push(`unknown top-level key "${k}"; the access list has only "readers" and "grants"`);
  const rawReaders = spec.readers;
  const rawGrants = spec.grants;
  if (!Array.isArray(rawReaders)) errors.push("readers is not a list; write readers: [{ name, principal: { projectId, accessKey } }]");
  if (!Array.isArray(rawGrants)) errors.push("grants is not a list; write grants: [{ reader, schema, table? }]");

  const readers = new Map<string, ReaderSpec>();
  const declared = new Set<string>(); // names declared, even if the entry had other problems
  const keyOwner = new Map<string, string>();
  (Array.isArray(rawReaders) ? rawReaders : []).forEach((r: unknown, i: number) => {
    const at = `readers[${i}]`;
    if (!isRecord(r)) {
      errors.push(`${at} is not an object; write { name, principal: { projectId, accessKey } }`);
      return;
    }
    const label = typeof r.name === "string" ? `${at} (${JSON.stringify(r.name)})` : at;
    let ok = true;
    const bad = (msg: string) => {
      errors.push(`${label}: ${msg}`);
      ok = false;
    };
    for (const k of unknownKeys(r, READER_KEYS)) bad(`unknown key "${k}"; a reader has name, principal, allowedIps and connectionLimit`);
    const nameProblem = readerNameProblem(r.name);
    if (nameProblem) bad(`name ${nameProblem}`);
    else if (declared.has(r.name as string)) bad(`reader "${r.name}" is declared twice; keep one entry`);
    if (typeof r.name === "string") declared.add(r.name);
    const p = r.principal;
    if (!isRecord(p)) bad('principal is missing; add principal: { projectId: "<readers project id>", accessKey: "<S3 access key>" }');
    else {
      for (const k of unknownKeys(p, PRINCIPAL_KEYS))
        bad(`principal has unknown key "${k}"; use projectId and accessKey (the secret key goes in stack config)`);
      if (!isProjectId(p.projectId))
        bad(
          `principal.projectId ${JSON.stringify(p.projectId)} is not a Hetzner project id; write the numeric id as a string, e.g. "2002"`,
        );
      else if (p.projectId === ctx.ownerProjectId && ctx.ownerProjectKeys === "deny")
        warnings.push(
          `${label}: key ${String(p.accessKey)} belongs to the bucket owner's project; it is confined by Deny statements on this bucket only (ownerProjectKeys deny) and keeps full access to the project's other buckets`,
        );
      else if (p.projectId === ctx.ownerProjectId)
        bad(
          `principal.projectId "${p.projectId}" is the bucket owner's project, whose keys can read everything and replace the bucket policy; create the key in a separate readers project`,
        );
      if (!isAccessKey(p.accessKey))
        bad(
          `principal.accessKey ${JSON.stringify(p.accessKey)} is not an S3 access key id (20 upper-case letters and digits); copy the access key, not the secret key`,
        );
      else if (typeof p.projectId === "string") {
        const id = `${p.projectId}:${p.accessKey}`;
        const other = keyOwner.get(id);
        if (other !== undefined && other !== r.name)
          bad(
            `shares access key ${p.accessKey} with reader "${other}"; each reader needs its own key, or the bucket policy cannot tell them apart`,
          );
        else keyOwner.set(id, String(r.name));
      }
    }
    let allowedIps: string[] | undefined;
    if (r.allowedIps !== undefined) {
      if (!Array.isArray(r.allowedIps)) bad('allowedIps is not a list; write allowedIps: ["203.0.113.7/32"] or leave it out');
      else {
        for (const cidr of r.allowedIps) {
          const cp = readerCidrProblem(cidr);
          if (cp) bad(`allowedIps ${cp}`);
        }
        allowedIps = [...new Set(r.allowedIps as string[])].sort();
      }
    }
    if (r.connectionLimit !== undefined) {
      const lp = connectionLimitProblem(r.connectionLimit);
      if (lp) bad(`connectionLimit ${lp}; or leave it out to use the stack's readerConnectionLimit`);
    }
    if (ok && !readers.has(r.name as string)) {
      const principal = p as unknown as S3Principal;
      readers.set(r.name as string, {
        name: r.name as string,
        principal: { projectId: principal.projectId, accessKey: principal.accessKey },
        ...(allowedIps ? { allowedIps } : {}),
        ...(r.connectionLimit !== undefined ? { connectionLimit: r.connectionLimit as number } : {}),
      });
    }
  });

  const grants = new Map<string, NormalizedGrant>();
  const seenFolded = new Map<string, string>(); // case-folded identity -> first entry label
  const entries: { label: string; g: NormalizedGrant }[] = [];
  (Array.isArray(rawGrants) ? rawGrants : []).forEach((g: unknown, i: number) => {
    const at = `grants[${i}]`;
    if (!isRecord(g)) {
      errors.push(`${at} is not an object; write { reader, schema, table? }`);
      return;
    }
    const label = `${at} ${describeGrant(g)}`;
    let ok = true;
    const bad = (msg: string) => {
      errors.push(`${label}: ${msg}`);
      ok = false;
    };
    for (const k of unknownKeys(g, GRANT_KEYS)) bad(`unknown key "${k}"; a grant has reader, schema, table, rows and mode`);
    if (typeof g.reader !== "string" || g.reader === "") bad("reader is missing; name a reader declared in readers");
    else if (!declared.has(g.reader)) {
      const known = [...declared].sort();
      bad(`reader "${g.reader}" is not declared; add it to readers${known.length ? ` or use one of: ${known.join(", ")}` : ""}`);
    }
    const schemaProblem = lakeNameProblem(g.schema);
    if (schemaProblem) bad(`schema ${schemaProblem}; write the DuckLake schema name exactly`);
    const table = g.table === undefined || g.table === null ? null : g.table;
    if (table !== null) {
      if (table === "") bad("table is empty; leave table out to grant the whole schema");
      else {
        const tp = lakeNameProblem(table);
        if (tp) bad(`table ${tp}; write the DuckLake table name exactly, or leave table out for the whole schema`);
      }
    }
    if (g.mode !== undefined && g.mode !== "read")
      bad(`mode ${JSON.stringify(g.mode)} is not supported; only "read" exists (writes stay with the catalog owner)`);
    let rows: RowFilterKey[] | undefined;
    if (g.rows !== undefined) {
      if (table === null || table === "")
        bad("rows needs a table: a partition grant selects rows of one table; name the table, or leave rows out to grant the whole schema");
      const parsed = parseGrantRows(g.rows);
      for (const p of parsed.problems) bad(p);
      for (const w of parsed.warnings) warnings.push(`${label}: ${w}`);
      rows = parsed.rows;
    }
    if (!ok) return;
    const schema = g.schema as string;
    const key = grantKey(g.reader as string, schema, table as string | null, rows);
    if (backups !== undefined && backups !== "") {
      const prefix = defaultSchemaPrefix(dataPrefix, schema);
      if (prefix !== undefined && (prefix.startsWith(backups) || backups.startsWith(prefix)))
        return void bad(
          `schema "${schema}" stores its files under "${prefix}", which overlaps the backups prefix "${backups}"; rename the schema or move backups (backupsPrefix) outside the data path`,
        );
    }
    // DuckDB names fold case, partition values do not: fold the names only.
    const folded = grantKey(
      (g.reader as string).toLowerCase(),
      schema.toLowerCase(),
      table === null ? null : (table as string).toLowerCase(),
      rows?.map((r) => ({ ...r, column: r.column.toLowerCase() })),
    );
    const first = seenFolded.get(folded);
    if (grants.has(key)) return void bad(`duplicate of ${first}; remove one of them`);
    if (first !== undefined)
      return void bad(`differs from ${first} only in letter case, and DuckDB names are case-insensitive; keep one spelling`);
    seenFolded.set(folded, `grants[${i}]`);
    const ng: NormalizedGrant = {
      reader: g.reader as string,
      schema,
      table: table as string | null,
      mode: "read",
      ...(rows ? { rows } : {}),
      key,
    };
    grants.set(key, ng);
    entries.push({ label, g: ng });
  });

  // A partition grant next to a grant of the whole table (or schema) of the same reader would be dead weight
  // at best, and which one the user meant is unclear: refuse and say which to keep.
  const wholeGrants = new Map<string, string>(); // folded reader/schema[/table] of table and schema grants → label
  const foldedKey = (g: NormalizedGrant, table: string | null) =>
    grantKey(g.reader.toLowerCase(), g.schema.toLowerCase(), table === null ? null : table.toLowerCase());
  for (const { label, g } of entries) if (!g.rows) wholeGrants.set(foldedKey(g, g.table), label);
  for (const { label, g } of entries) {
    if (!g.rows) continue;
    const table = wholeGrants.get(foldedKey(g, g.table));
    const schema = wholeGrants.get(foldedKey(g, null));
    for (const [other, what] of [
      [table, "table"],
      [schema, "schema"],
    ] as const)
      if (other !== undefined)
        errors.push(
          `${label}: "${g.reader}" also has the whole ${what} (${other}), which includes every row of ${grantTarget(g.schema, g.table)}; ` +
            `keep that grant to give the whole ${what}, or remove it to give only the rows [${describeRows(g.rows)}]`,
        );
  }
  // A table grant under a schema grant of the same reader changes nothing: warn so the list stays honest.
  for (const { label, g } of entries) {
    if (g.table === null || g.rows) continue;
    if (grants.has(grantKey(g.reader, g.schema, null)))
      warnings.push(
        `${label}: already covered by the schema grant ${grantTarget(g.schema, null)} of "${g.reader}"; remove the table grant (it is kept, but changes nothing)`,
      );
  }
  for (const name of readers.keys())
    if (![...grants.values()].some((g) => g.reader === name))
      warnings.push(`reader "${name}" has no grants; it can log in but sees no tables`);

  if (errors.length > 0) return { errors, warnings };
  return {
    access: {
      readers: [...readers.values()].sort((a, b) => cmp(a.name, b.name)),
      grants: [...grants.values()].sort((a, b) => cmp(a.key, b.key)),
      warnings,
    },
    errors,
    warnings,
  };
}

/** Like checkAccess, but throws AccessValidationError listing every error. */
export function validateAccess(spec: AccessSpec | unknown, ctx: AccessContext): ValidatedAccess {
  const result = checkAccess(spec, ctx);
  if (!result.access) throw new AccessValidationError(result.errors);
  return result.access;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What one reader may read: whole schemas, single tables outside those schemas, and partitions of tables. */
export interface ReaderAccess {
  schemas: string[];
  tables: { schema: string; table: string }[];
  /** Partition grants (only when the reader has any): the table and its row filter as a review shows it. */
  partitions?: { schema: string; table: string; rows: string }[];
}

/** reader → schemas/tables, with table grants inside a granted schema folded away. */
export function accessMatrix(access: Pick<ValidatedAccess, "readers" | "grants">): Record<string, ReaderAccess> {
  const out: Record<string, ReaderAccess> = {};
  for (const r of access.readers) out[r.name] = { schemas: [], tables: [] };
  for (const g of access.grants) {
    const entry = (out[g.reader] ??= { schemas: [], tables: [] });
    if (g.table === null) entry.schemas.push(g.schema);
  }
  for (const g of access.grants) {
    if (g.table === null || out[g.reader].schemas.includes(g.schema)) continue;
    if (g.rows?.length) (out[g.reader].partitions ??= []).push({ schema: g.schema, table: g.table, rows: describeRows(g.rows) });
    else out[g.reader].tables.push({ schema: g.schema, table: g.table });
  }
  for (const e of Object.values(out)) {
    e.schemas.sort(cmp);
    e.tables.sort((a, b) => cmp(a.schema, b.schema) || cmp(a.table, b.table));
    e.partitions?.sort((a, b) => cmp(a.schema, b.schema) || cmp(a.table, b.table) || cmp(a.rows, b.rows));
  }
  return out;
}

function mdCell(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/[\r\n]+/g, " ")
    .replace(/`/g, "\\`");
}

/** The access review a reviewer reads next to the preview diff (markdown). */
export function renderAccessReview(access: ValidatedAccess): string {
  const matrix = accessMatrix(access);
  const lines = [
    "## Lake access review",
    "",
    `${access.readers.length} reader${access.readers.length === 1 ? "" : "s"}, ${access.grants.length} grant${access.grants.length === 1 ? "" : "s"}. ` +
      "A schema grant (`schema.*`) covers its current and future tables; a partition grant (`schema.table [key in (…)]`) " +
      "only the rows in files of those partitions.",
    "",
    "| reader | S3 key (project:key) | PostgreSQL from | may read |",
    "|---|---|---|---|",
  ];
  for (const r of access.readers) {
    const m = matrix[r.name];
    const reads = [
      ...m.schemas.map((s) => grantTarget(s, null)),
      ...m.tables.map((t) => grantTarget(t.schema, t.table)),
      ...(m.partitions ?? []).map((p) => `${grantTarget(p.schema, p.table)} [${p.rows}]`),
    ];
    lines.push(
      `| ${mdCell(r.name)} | p${r.principal.projectId}:${r.principal.accessKey} | ${r.allowedIps?.length ? mdCell(r.allowedIps.join(", ")) : "(server allow-list)"} | ${reads.length ? mdCell(reads.join(", ")) : "nothing"} |`,
    );
  }
  if (access.warnings.length) {
    lines.push("", "### Warnings", "");
    for (const w of access.warnings) lines.push(`- ${mdCell(w)}`);
  }
  return lines.join("\n") + "\n";
}

/** What a reader needs to paste into DuckDB; every value is quoted here, never by the caller. */
export interface ReaderSetupParams {
  reader: string;
  password: string;
  host: string;
  port: number;
  database: string;
  sslmode: "disable" | "require" | "verify-full";
  /** PostgreSQL schema holding the DuckLake catalog tables. */
  catalogSchema: string;
  /** S3 endpoint URL, e.g. "https://fsn1.your-objectstorage.com" or "http://127.0.0.1:47480". */
  s3Endpoint: string;
  s3Region: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  /** Name the lake is attached as in DuckDB (default "lake"). */
  alias?: string;
  /**
   * verify-full: file holding the catalog server's CA, named in the setup. Default: none, so libpq reads
   * its standard place, ~/.postgresql/root.crt (or $PGSSLROOTCERT), and the setup says so.
   */
  sslRootCertPath?: string;
}

/**
 * Ready-to-paste DuckDB statements: an S3 secret scoped to the bucket, a postgres secret with the reader's
 * login, and a read-only DuckLake attach that names the secret. The password lives only in the secret:
 * DuckDB repeats the ATTACH path in its connection errors, so the path carries TLS settings and nothing else.
 */
export function renderReaderSetup(p: ReaderSetupParams): string {
  const url = new URL(p.s3Endpoint);
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new Error(`s3Endpoint "${p.s3Endpoint}" must start with https:// or http://`);
  const alias = p.alias ?? "lake";
  if (!/^[a-z_][a-z0-9_]*$/.test(alias)) throw new Error(`alias "${alias}" must be a plain lower-case identifier`);
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw new Error(`port ${p.port} must be an integer 1..65535`);
  const tls = [`sslmode=${libpqQuote(p.sslmode)}`, ...(p.sslRootCertPath ? [`sslrootcert=${libpqQuote(p.sslRootCertPath)}`] : [])].join(
    " ",
  );
  const caHelp =
    p.sslmode !== "verify-full" || p.sslRootCertPath
      ? []
      : [
          "-- TLS: verify-full checks the catalog server against the CA in ~/.postgresql/root.crt (libpq's default;",
          "-- Windows: %APPDATA%\\postgresql\\root.crt; or set PGSSLROOTCERT=<file> before starting DuckDB).",
          "-- Put the lake's CA there once (append if the file exists): pulumi stack output caCertPem >> ~/.postgresql/root.crt",
        ];
  return [
    `-- DuckLake setup for reader ${p.reader}: read-only; needs the ducklake, postgres and httpfs extensions.`,
    ...caHelp,
    "INSTALL ducklake; INSTALL postgres; INSTALL httpfs;",
    `CREATE OR REPLACE SECRET ${alias}_s3 (TYPE s3, KEY_ID ${duckdbLiteral(p.accessKey)}, SECRET ${duckdbLiteral(p.secretKey)}, ` +
      `ENDPOINT ${duckdbLiteral(url.host)}, REGION ${duckdbLiteral(p.s3Region)}, URL_STYLE 'path', ` +
      `USE_SSL ${url.protocol === "https:" ? "true" : "false"}, SCOPE ${duckdbLiteral(`s3://${p.bucket}/`)});`,
    `CREATE OR REPLACE SECRET ${alias}_catalog (TYPE postgres, HOST ${duckdbLiteral(p.host)}, PORT ${p.port}, ` +
      `DATABASE ${duckdbLiteral(p.database)}, USER ${duckdbLiteral(p.reader)}, PASSWORD ${duckdbLiteral(p.password)});`,
    `${duckLakeAttachSql({
      metadata: tls,
      alias,
      options: [
        { readOnly: true },
        { metadataSchema: p.catalogSchema },
        { metadataSecret: { type: "postgres", name: `${alias}_catalog` } },
      ],
    })};`,
    `USE ${alias};`,
    "",
  ].join("\n");
}

/** Per-stack override of a reader's S3 key id (stack config `readerPrincipals`; e.g. the local RGW's keys). */
export type ReaderPrincipalOverrides = Record<string, Partial<S3Principal>>;

/**
 * The access list with each reader's principal replaced by its stack override, if any. Overrides naming
 * no declared reader are reported, since a typo would otherwise leave the access.ts principal in force.
 */
export function applyPrincipalOverrides(
  spec: AccessSpec,
  overrides: ReaderPrincipalOverrides | undefined,
): { spec: AccessSpec; problems: string[] } {
  const problems: string[] = [];
  const names = new Set(spec.readers.map((r) => r.name));
  for (const name of Object.keys(overrides ?? {}))
    if (!names.has(name)) problems.push(`readerPrincipals.${name}: no reader "${name}" in access.ts; remove the override or fix its name`);
  const readers = spec.readers.map((r) => {
    const o = overrides?.[r.name];
    return o
      ? { ...r, principal: { projectId: o.projectId ?? r.principal?.projectId, accessKey: o.accessKey ?? r.principal?.accessKey } }
      : r;
  });
  return { spec: { readers, grants: spec.grants }, problems };
}

/** The keys file scripts/local-rgw.sh writes (credentials.json), as far as readers are concerned. */
export interface LocalRgwCredentials {
  readerProject: string;
  readers: { accessKey: string; secretKey: string }[];
}

/**
 * Local stack: hands the local RGW readers project's keys to readers in name order, so the local
 * stack exercises the same separate-project principals as prod. Fails when there are too few keys.
 */
export function localReaderKeys(
  readerNames: string[],
  creds: LocalRgwCredentials,
): { principals: ReaderPrincipalOverrides; secretKeys: Record<string, string> } {
  const names = [...readerNames].sort(cmp);
  if (names.length > creds.readers.length)
    throw new Error(
      `the local RGW has ${creds.readers.length} reader keys but access.ts declares ${names.length} readers; restart it with LAKE_RGW_READER_KEYS=${names.length}`,
    );
  const principals: ReaderPrincipalOverrides = {};
  const secretKeys: Record<string, string> = {};
  names.forEach((n, i) => {
    principals[n] = { projectId: creds.readerProject, accessKey: creds.readers[i].accessKey };
    secretKeys[n] = creds.readers[i].secretKey;
  });
  return { principals, secretKeys };
}
