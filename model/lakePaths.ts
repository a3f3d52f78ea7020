// Where DuckLake keeps each table's files inside the bucket, and which key prefixes a grant opens.
// DuckLake resolves a file as data_path + schema.path + table.path + file.path, each part relative to the
// previous one when its path_is_relative flag is set, joined as plain strings (a stored "sales" without "/"
// puts table "t/" at "salest/"). New schemas/tables get `<name>/`, or a UUID when the name has characters
// outside [A-Za-z0-9_-] (DuckLakeCatalog::GeneratePathFromName). The program's bucket policy and the
// workflow CLIs (verify, access) both resolve paths here, so they cannot disagree on a table's folder.
import type { PartitionedTableFacts } from "./partitionFolders";

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
  /**
   * File facts of the tables that have partition grants (postgres/partitionFiles.ts), read only for those tables;
   * absent before the catalog exists.
   */
  partitions?: PartitionedTableFacts[];
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

/** DuckDB's name resolution over one list: the first exact match, else a unique case-insensitive match. */
class NameIndex<T extends { name: string }> {
  private readonly exact = new Map<string, T>();
  /** Lower-cased name → its only item, or null when several items fold to it. */
  private readonly folded = new Map<string, T | null>();
  add(item: T): void {
    if (!this.exact.has(item.name)) this.exact.set(item.name, item);
    const k = item.name.toLowerCase();
    this.folded.set(k, this.folded.has(k) ? null : item);
  }
  find(name: string): T | undefined {
    return this.exact.get(name) ?? this.folded.get(name.toLowerCase()) ?? undefined;
  }
}

/**
 * Name lookups over one layout in O(1), so that resolving every table of a 20,000-table catalog stays linear
 * (a scan per lookup made the bucket policy quadratic in the tables). Built per call for a plain layout, or
 * once for a layout sealed by `indexLayout`.
 */
export class LayoutIndex {
  readonly schemas = new NameIndex<LakeSchemaPath>();
  private readonly tablesBySchema = new Map<string, { all: LakeTablePath[]; names: NameIndex<LakeTablePath> }>();
  private outsideByTable?: Map<string, Map<string, OutsideFile[]>>;
  private partitionsByTable?: Map<string, PartitionedTableFacts>;
  /** tablePrefix results by schema then table name as asked (pure in the layout, which is not edited while indexed). */
  private readonly tablePrefixes = new Map<string, Map<string, string | { problem: string }>>();

  constructor(readonly layout: LakeLayout) {
    for (const s of layout.schemas) this.schemas.add(s);
    for (const t of layout.tables) {
      let e = this.tablesBySchema.get(t.schema);
      if (!e) this.tablesBySchema.set(t.schema, (e = { all: [], names: new NameIndex() }));
      e.all.push(t);
      e.names.add(t);
    }
  }

  /** Tables stored under exactly this schema name, in layout order. */
  tablesOf(schema: LakeSchemaPath | undefined): LakeTablePath[] {
    return schema === undefined ? [] : (this.tablesBySchema.get(schema.name)?.all ?? []);
  }

  /** The table DuckDB would resolve `schema.table` to, if it exists. */
  findTable(schema: string, table: string): LakeTablePath | undefined {
    const s = this.schemas.find(schema);
    return s ? this.tablesBySchema.get(s.name)?.names.find(table) : undefined;
  }

  /** Files of `schema.table` (names as stored) lying outside its folder, in layout order. */
  outsideFilesOf(schema: string, table: string): OutsideFile[] {
    if (!this.outsideByTable) {
      this.outsideByTable = new Map();
      for (const f of this.layout.outsideFiles) {
        let m = this.outsideByTable.get(f.schema);
        if (!m) this.outsideByTable.set(f.schema, (m = new Map()));
        const list = m.get(f.table);
        if (list) list.push(f);
        else m.set(f.table, [f]);
      }
    }
    return this.outsideByTable.get(schema)?.get(table) ?? [];
  }

  /** Partition file facts of the table DuckDB resolves `schema.table` to, if they were read. */
  partitionFactsOf(schema: string, table: string): PartitionedTableFacts | undefined {
    const t = this.findTable(schema, table);
    if (!t) return undefined;
    this.partitionsByTable ??= new Map((this.layout.partitions ?? []).map((p) => [`${p.schema}\u0000${p.table}`, p]));
    return this.partitionsByTable.get(`${t.schema}\u0000${t.name}`);
  }

  /** Key prefix of `schema.table` (see tablePrefix), computed once per name pair. */
  tablePrefix(schema: string, table: string): string | { problem: string } {
    let bySchema = this.tablePrefixes.get(schema);
    if (!bySchema) this.tablePrefixes.set(schema, (bySchema = new Map()));
    let p = bySchema.get(table);
    if (p === undefined) bySchema.set(table, (p = tablePrefixIn(this, schema, table)));
    return p;
  }

  /** tablePrefix of an existing table entry, resolved by its names (as callers resolve it). */
  prefixOfTable(t: LakeTablePath): string | { problem: string } {
    return this.tablePrefix(t.schema, t.name);
  }
}

const LAYOUT_INDEX = Symbol("ducklake-pulumi.layoutIndex");
/** A layout frozen together with its index: safe to share, so the index is built once. */
export type IndexedLayout = LakeLayout & { readonly [LAYOUT_INDEX]: LayoutIndex };

function deepFreeze<T>(x: T): T {
  if (x !== null && typeof x === "object" && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x as object)) deepFreeze(v);
  }
  return x;
}

/**
 * Freezes `layout` (a later edit could not silently stale the index) and attaches its index, so every
 * lookup on it is O(1). The index is not enumerable: copies (spread, Pulumi's Output unwrapping, JSON) are
 * plain layouts again and get their own index when used.
 */
export function indexLayout(layout: LakeLayout): IndexedLayout {
  if (isIndexed(layout)) return layout;
  const target = Object.isExtensible(layout) ? layout : { ...layout }; // frozen elsewhere: seal a copy
  Object.defineProperty(target, LAYOUT_INDEX, { value: new LayoutIndex(target), enumerable: false });
  return deepFreeze(target) as IndexedLayout;
}

function isIndexed(layout: LakeLayout): layout is IndexedLayout {
  return Object.prototype.hasOwnProperty.call(layout, LAYOUT_INDEX);
}

/** The layout's index: its own when sealed by indexLayout, else a fresh one (O(schemas + tables)). */
export function layoutIndex(layout: LakeLayout | LayoutIndex): LayoutIndex {
  if (layout instanceof LayoutIndex) return layout;
  return isIndexed(layout) ? layout[LAYOUT_INDEX] : new LayoutIndex(layout);
}

/** Where DuckLake puts a schema's tables (URL, joined as DuckLake joins it), or a problem. */
function schemaUrl(ix: LayoutIndex, schema: string): string | { problem: string } {
  const s = ix.schemas.find(schema);
  if (s) return join(ix.layout.dataPath, s);
  if (!nameIsPathSafe(schema))
    return {
      problem: `schema "${schema}" does not exist yet and its name has characters outside [A-Za-z0-9_-], so DuckLake will store it under a random UUID folder: create the schema first, then run the update again`,
    };
  return `${ix.layout.dataPath}${schema}/`;
}

/** Where DuckLake puts a table's files (URL, joined as DuckLake joins it), or a problem. */
function tableUrl(ix: LayoutIndex, schema: string, table: string): string | { problem: string } {
  const parent = schemaUrl(ix, schema);
  if (typeof parent !== "string") return parent;
  const t = ix.findTable(schema, table);
  if (t) return join(parent, t);
  if (!nameIsPathSafe(table))
    return {
      problem: `table "${schema}"."${table}" does not exist yet and its name has characters outside [A-Za-z0-9_-], so DuckLake will store it under a random UUID folder: create the table first, then run the update again (or grant the whole schema)`,
    };
  return `${parent}${table}/`;
}

function schemaPrefixIn(ix: LayoutIndex, schema: string): string | { problem: string } {
  const url = schemaUrl(ix, schema);
  return typeof url === "string" ? folderIn(ix.layout, url, `schema "${ix.schemas.find(schema)?.name ?? schema}"`) : url;
}

function tablePrefixIn(ix: LayoutIndex, schema: string, table: string): string | { problem: string } {
  const url = tableUrl(ix, schema, table);
  if (typeof url !== "string") return url;
  const t = ix.findTable(schema, table);
  return folderIn(ix.layout, url, t ? `table "${t.schema}"."${t.name}"` : `table "${schema}"."${table}"`);
}

/** Key prefix of a schema (existing, or the default DuckLake would choose), or a problem. */
export function schemaPrefix(layout: LakeLayout | LayoutIndex, schema: string): string | { problem: string } {
  return schemaPrefixIn(layoutIndex(layout), schema);
}

/** Key prefix of a table (existing, or the default DuckLake would choose), or a problem. */
export function tablePrefix(layout: LakeLayout | LayoutIndex, schema: string, table: string): string | { problem: string } {
  return layoutIndex(layout).tablePrefix(schema, table);
}

/** Where DuckLake reads one data or delete file of a table, and whether a grant of the table opens it. */
export interface TableFileLocation {
  /** The file's full location (table location + relative path, or the absolute path as stored). */
  location: string;
  /** Its key in the lake bucket when it lies inside the table's folder (so a grant of the table opens it). */
  key?: string;
}

/** Resolves a file of an existing table as DuckLake does; `key` is set only for files inside the table's folder. */
export function tableFileLocation(layout: LakeLayout | LayoutIndex, schema: string, table: string, file: StoredPath): TableFileLocation {
  const ix = layoutIndex(layout);
  const url = tableUrl(ix, schema, table);
  const folder = ix.tablePrefix(schema, table);
  if (typeof url !== "string") return { location: file.path };
  const location = join(url, file);
  const key = bucketKey(ix.layout, location);
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
  if (prefixes.length <= 1) return [...prefixes];
  const sorted = [...new Set(prefixes)].sort();
  const out: string[] = [];
  // In sorted order everything between q and a string extending q also extends q, so a prefix kept
  // earlier that contains p is the last one kept: one comparison instead of a scan.
  for (const p of sorted) if (out.length === 0 || !p.startsWith(out[out.length - 1])) out.push(p);
  return out;
}

/** Tables whose folder overlaps one of `prefixes` (their files become readable through those prefixes). */
export function tablesReachedBy(layout: LakeLayout | LayoutIndex, prefixes: string[]): LakeTablePath[] {
  const ix = layoutIndex(layout);
  return ix.layout.tables.filter((t) => {
    const p = ix.prefixOfTable(t);
    return typeof p === "string" && prefixes.some((q) => prefixesOverlap(p, q));
  });
}

/**
 * The key prefixes one grant opens: a table grant its table's folder; a schema grant the schema's folder plus
 * the folders of its current tables stored elsewhere. Tables not created yet get DuckLake's default folder.
 */
export function grantPrefixes(layout: LakeLayout | LayoutIndex, grant: GrantTarget, opts: { backupsPrefix?: string } = {}): GrantPrefixes {
  const ix = layoutIndex(layout);
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
    const problem = prefixProblem(ix.layout, p, what, backups);
    if (problem) problems.push(problem);
    else found.push(p);
  };
  const tables =
    grant.table === null
      ? ix.tablesOf(ix.schemas.find(grant.schema))
      : [ix.findTable(grant.schema, grant.table)].filter((t): t is LakeTablePath => t !== undefined);
  if (grant.table === null) add(schemaPrefixIn(ix, grant.schema), label);
  else add(ix.tablePrefix(grant.schema, grant.table), label);
  for (const t of grant.table === null ? tables : []) {
    const p = ix.prefixOfTable(t);
    if (typeof p === "string" && found.some((q) => p.startsWith(q))) continue;
    add(p, `table "${t.schema}"."${t.name}" (in granted ${label})`);
  }
  const prefixes = minimalPrefixes(found);
  for (const t of tables) {
    const outside = ix.outsideFilesOf(t.schema, t.name);
    if (outside.length === 0) continue;
    warnings.push(
      `table "${t.schema}"."${t.name}" has ${outside.length} file(s) outside its folder (e.g. ${outside[0].location}); ` +
        "they stay closed to readers (403) and queries touching them fail: rewrite them into the table " +
        "(e.g. CALL ducklake_rewrite_data_files / re-insert) or register them under the table's folder",
    );
  }
  return { prefixes, problems, warnings };
}
