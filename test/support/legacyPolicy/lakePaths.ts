// ORACLE ONLY — NOT PRODUCT CODE. model/lakePaths.ts as of commit 77189b7 (before issue 15), frozen: its
// name lookups scan the whole layout (quadratic when called per table). Kept so tests and bench/policy-build.ts
// can prove the indexed version gives byte-identical results. Do not import from the program.
/** Never grantable: the stack's database backups live here. */
export const DEFAULT_BACKUPS_PREFIX = "backups/";

export interface LakeSchemaPath {
  schemaId?: number;
  name: string;
  /** ducklake_schema.path as stored (relative to data_path, or an absolute URL). */
  path: string;
  pathIsRelative: boolean;
}

export interface LakeTablePath {
  tableId?: number;
  schema: string;
  name: string;
  /** ducklake_table.path as stored (relative to the schema path, or an absolute URL). */
  path: string;
  pathIsRelative: boolean;
}

/** A data or delete file of a current table whose path leaves the table's folder. */
export interface OutsideFile {
  schema: string;
  table: string;
  kind: "data" | "delete";
  /** The file's full location, e.g. s3://other-bucket/x.parquet. */
  location: string;
}

export interface LakeLayout {
  /** The catalog's data_path, e.g. `s3://lake/data/`. */
  dataPath: string;
  bucket: string;
  /** Key prefix of data_path inside the bucket ("" = bucket root, else ends with "/"). */
  dataPrefix: string;
  schemas: LakeSchemaPath[];
  tables: LakeTablePath[];
  outsideFiles: OutsideFile[];
}

export interface GrantTarget {
  schema: string;
  table: string | null;
}

export interface GrantPrefixes {
  /** Bucket-relative key prefixes, each ending in "/", sorted. */
  prefixes: string[];
  /** Reasons the grant cannot be expressed safely; the policy must not be applied while any remain. */
  problems: string[];
  /** Things the user should know that leave access closed (e.g. files outside the table's folder). */
  warnings: string[];
}

/** Whether DuckLake names the folder of a new schema/table after it (else a random UUID). */
export function nameIsPathSafe(name: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(name);
}

/** Splits `s3://bucket/prefix/` into bucket and key prefix, or says what is wrong. */
export function parseDataPath(dataPath: string): { bucket: string; prefix: string } | { problem: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(dataPath);
  if (!m)
    return { problem: `data path ${JSON.stringify(dataPath)} is not an s3:// URL: set DuckLake's DATA_PATH to s3://<bucket>/<prefix>/` };
  const prefix = m[2];
  if (prefix !== "" && !prefix.endsWith("/"))
    return { problem: `data path ${JSON.stringify(dataPath)} must end with "/" so its prefix is a folder` };
  return { bucket: m[1], prefix };
}

/** A layout with no schemas or tables yet (before the first `CREATE SCHEMA`). */
export function emptyLayout(dataPath: string): LakeLayout {
  const parsed = parseDataPath(dataPath);
  if ("problem" in parsed) throw new Error(parsed.problem);
  return { dataPath, bucket: parsed.bucket, dataPrefix: parsed.prefix, schemas: [], tables: [], outsideFiles: [] };
}

/** A stored path: relative to its parent's location, or an absolute URL. */
export interface StoredPath {
  path: string;
  pathIsRelative: boolean;
}

/** DuckLake's join (DuckLakeMetadataManager::FromRelativePath): parent + path as strings, no separator added. */
function join(parentUrl: string, p: StoredPath): string {
  return p.pathIsRelative ? parentUrl + p.path : p.path;
}

/** The object key of `url` in the lake's bucket, or undefined when it points elsewhere (another bucket or scheme). */
export function bucketKey(layout: LakeLayout, url: string): string | undefined {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  return m && m[1] === layout.bucket ? (m[2] ?? "") : undefined;
}

/** A folder's key prefix: DuckLake writes files as `<location>/<file>` when the location lacks the "/". */
function folderOf(key: string): string {
  return key === "" || key.endsWith("/") ? key : `${key}/`;
}

function folderIn(layout: LakeLayout, url: string, what: string): string | { problem: string } {
  const key = bucketKey(layout, url);
  if (key === undefined)
    return { problem: `${what} lives at ${url}, outside bucket ${layout.bucket}: this bucket's policy cannot grant it` };
  return folderOf(key);
}

function findByName<T extends { name: string }>(items: T[], name: string): T | undefined {
  const exact = items.find((i) => i.name === name);
  if (exact) return exact;
  // DuckDB resolves identifiers case-insensitively; accept a unique case-insensitive match.
  const folded = items.filter((i) => i.name.toLowerCase() === name.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

/** Where DuckLake puts a schema's tables (URL, joined as DuckLake joins it), or a problem. */
function schemaUrl(layout: LakeLayout, schema: string): string | { problem: string } {
  const s = findByName(layout.schemas, schema);
  if (s) return join(layout.dataPath, s);
  if (!nameIsPathSafe(schema))
    return {
      problem: `schema "${schema}" does not exist yet and its name has characters outside [A-Za-z0-9_-], so DuckLake will store it under a random UUID folder: create the schema first, then run the update again`,
    };
  return `${layout.dataPath}${schema}/`;
}

/** Where DuckLake puts a table's files (URL, joined as DuckLake joins it), or a problem. */
function tableUrl(layout: LakeLayout, schema: string, table: string): string | { problem: string } {
  const parent = schemaUrl(layout, schema);
  if (typeof parent !== "string") return parent;
  const s = findByName(layout.schemas, schema);
  const t = s
    ? findByName(
        layout.tables.filter((x) => x.schema === s.name),
        table,
      )
    : undefined;
  if (t) return join(parent, t);
  if (!nameIsPathSafe(table))
    return {
      problem: `table "${schema}"."${table}" does not exist yet and its name has characters outside [A-Za-z0-9_-], so DuckLake will store it under a random UUID folder: create the table first, then run the update again (or grant the whole schema)`,
    };
  return `${parent}${table}/`;
}

/** Key prefix of a schema (existing, or the default DuckLake would choose), or a problem. */
export function schemaPrefix(layout: LakeLayout, schema: string): string | { problem: string } {
  const url = schemaUrl(layout, schema);
  return typeof url === "string" ? folderIn(layout, url, `schema "${findByName(layout.schemas, schema)?.name ?? schema}"`) : url;
}

/** Key prefix of a table (existing, or the default DuckLake would choose), or a problem. */
export function tablePrefix(layout: LakeLayout, schema: string, table: string): string | { problem: string } {
  const url = tableUrl(layout, schema, table);
  if (typeof url !== "string") return url;
  const s = findByName(layout.schemas, schema);
  const t = s
    ? findByName(
        layout.tables.filter((x) => x.schema === s.name),
        table,
      )
    : undefined;
  return folderIn(layout, url, t ? `table "${t.schema}"."${t.name}"` : `table "${schema}"."${table}"`);
}

/** Where DuckLake reads one data or delete file of a table, and whether a grant of the table opens it. */
export interface TableFileLocation {
  /** The file's full location (table location + relative path, or the absolute path as stored). */
  location: string;
  /** Its key in the lake bucket when it lies inside the table's folder (so a grant of the table opens it). */
  key?: string;
}

/** Resolves a file of an existing table as DuckLake does; `key` is set only for files inside the table's folder. */
export function tableFileLocation(layout: LakeLayout, schema: string, table: string, file: StoredPath): TableFileLocation {
  const url = tableUrl(layout, schema, table);
  const folder = tablePrefix(layout, schema, table);
  if (typeof url !== "string") return { location: file.path };
  const location = join(url, file);
  const key = bucketKey(layout, location);
  // S3 does not collapse "..": a key with it is not the folder's file it looks like.
  const climbs = file.pathIsRelative && /(^|\/)\.\.(\/|$)/.test(file.path);
  const inside = typeof folder === "string" && key !== undefined && key.startsWith(folder) && !climbs;
  return inside ? { location, key } : { location };
}

/** Two prefixes overlap when one contains the other: granting either opens keys of the other. */
export function prefixesOverlap(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/** Why a prefix may never appear in a policy, or undefined. */
export function prefixProblem(layout: LakeLayout, prefix: string, what: string, backupsPrefix: string): string | undefined {
  // `*` and `?` are wildcards in policy resources and s3:prefix conditions; `${` starts a policy variable.
  if (/[*?]|\$\{/.test(prefix))
    return `${what} has folder "${prefix}" containing *, ? or \${, which a bucket policy would read as a pattern: rename it`;
  if (!prefix.startsWith(layout.dataPrefix) || prefix === layout.dataPrefix)
    return `${what} has folder "${prefix}", which is not strictly inside the lake's data path ${layout.dataPath}: only folders below the data path can be granted`;
  if (backupsPrefix !== "" && prefixesOverlap(prefix, backupsPrefix))
    return `${what} has folder "${prefix}", which overlaps the backups prefix "${backupsPrefix}": backups are never grantable; move the table or the backups`;
  return undefined;
}

/** Drops prefixes contained in another prefix of the list; sorted, unique. */
export function minimalPrefixes(prefixes: string[]): string[] {
  const sorted = [...new Set(prefixes)].sort();
  const out: string[] = [];
  for (const p of sorted) if (!out.some((q) => p.startsWith(q))) out.push(p);
  return out;
}

/** Tables whose folder overlaps one of `prefixes` (their files become readable through those prefixes). */
export function tablesReachedBy(layout: LakeLayout, prefixes: string[]): LakeTablePath[] {
  return layout.tables.filter((t) => {
    const p = tablePrefix(layout, t.schema, t.name);
    return typeof p === "string" && prefixes.some((q) => prefixesOverlap(p, q));
  });
}

/**
 * The key prefixes one grant opens: a table grant its table's folder; a schema grant the schema's folder plus
 * the folders of its current tables stored elsewhere. Tables not created yet get DuckLake's default folder.
 */
export function grantPrefixes(layout: LakeLayout, grant: GrantTarget, opts: { backupsPrefix?: string } = {}): GrantPrefixes {
  const backups = opts.backupsPrefix ?? DEFAULT_BACKUPS_PREFIX;
  const label = grant.table === null ? `schema "${grant.schema}"` : `table "${grant.schema}"."${grant.table}"`;
  const problems: string[] = [];
  const warnings: string[] = [];
  const found: string[] = [];
  const add = (p: string | { problem: string }, what: string) => {
    if (typeof p !== "string") {
      problems.push(p.problem);
      return;
    }
    const problem = prefixProblem(layout, p, what, backups);
    if (problem) problems.push(problem);
    else found.push(p);
  };
  const schema = findByName(layout.schemas, grant.schema);
  const tables =
    grant.table === null
      ? layout.tables.filter((t) => schema !== undefined && t.schema === schema.name)
      : [
          findByName(
            layout.tables.filter((t) => schema !== undefined && t.schema === schema.name),
            grant.table,
          ),
        ].filter((t): t is LakeTablePath => t !== undefined);
  if (grant.table === null) add(schemaPrefix(layout, grant.schema), label);
  else add(tablePrefix(layout, grant.schema, grant.table), label);
  for (const t of grant.table === null ? tables : []) {
    const p = tablePrefix(layout, t.schema, t.name);
    if (typeof p === "string" && found.some((q) => p.startsWith(q))) continue;
    add(p, `table "${t.schema}"."${t.name}" (in granted ${label})`);
  }
  const prefixes = minimalPrefixes(found);
  for (const t of tables) {
    const outside = layout.outsideFiles.filter((f) => f.schema === t.schema && f.table === t.name);
    if (outside.length === 0) continue;
    warnings.push(
      `table "${t.schema}"."${t.name}" has ${outside.length} file(s) outside its folder (e.g. ${outside[0].location}); ` +
        "they stay closed to readers (403) and queries touching them fail: rewrite them into the table " +
        "(e.g. CALL ducklake_rewrite_data_files / re-insert) or register them under the table's folder",
    );
  }
  return { prefixes, problems, warnings };
}
