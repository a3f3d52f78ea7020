// Which objects a partition grant opens in the bucket (issue 16, docs/design/partition-grants.md, docs/storage-guard.md).
// DuckLake writes a partitioned table's files into hive folders `<table folder><key>=<encoded value>/…`, one level per
// key of the partition spec, and its delete files into the table folder. A partition grant gets GetObject on
//   - the folders of its values under the table's current spec (`<table>/region=*/year=2026/`: a granted key that is
//     not the spec's first key has a `*` for each key before it), so files written later are readable at once;
//   - the folders of existing files of the grant written under an earlier spec (taken from their catalog paths);
//   - the table's delete files (`<table>/ducklake-<uuid>-delete.parquet`, one `?` per character): readers need them
//     and they sit outside the partition folders. They hold the paths of the data files they delete (so the partition
//     values of other partitions) and row positions, never row values: a documented leak.
// A folder is granted only if every catalog file under it belongs to the grant; files of the table that the grant's
// folders cannot open (unpartitioned, hive_file_pattern=false, ducklake_add_data_files, another spec's keys) are
// reported as warnings and stay closed.
//
// Wildcards: Ceph RGW 16 (Pacific) matches `*` lazily, without backtracking: `*` stops at the first input character
// equal to the pattern character after it. Newer Ceph (fnmatch) and AWS backtrack. A hive value never contains "/"
// (DuckDB percent-encodes everything outside [A-Za-z0-9._~-]), so `<key>=*/` matches exactly one folder level in
// both; the leak checks below use the backtracking matcher, which accepts a superset of the lazy one.
import { RowFilterKey } from "./accessSpec";

/** One key of a partition spec as the catalog records it (ducklake_partition_column). */
export interface PartitionKeyFact {
  index: number;
  /** Current name of the column (null when the column was dropped). */
  column: string | null;
  /** `identity`, `year`, `month`, `day`, `hour`, `bucket(N)`. */
  transform: string;
}

/** One partition spec of a table (ducklake_partition_info + its columns). */
export interface PartitionSpecFact {
  partitionId: number;
  /** The spec new files are written under (end_snapshot IS NULL). */
  current: boolean;
  keys: PartitionKeyFact[];
}

/** Files of one table that share kind, spec, location folder and partition values (grouped in SQL). */
export interface PartitionFileGroup {
  kind: "data" | "delete";
  /** The spec of the (deleted) data file; null = written without partitioning. */
  partitionId: number | null;
  /** Object key of the files' folder in the lake bucket (ends in "/"), or undefined when outside the table's folder. */
  folder?: string;
  /** A file of the group as DuckLake locates it (URL), for messages and probes. */
  sample: string;
  /** Its object key when inside the table's folder. */
  sampleKey?: string;
  /** Partition values of the (deleted) data file by key index of its spec; [] without spec. */
  values: Array<string | null>;
  files: number;
  /** Files of the group whose key matches the delete-file pattern. */
  deleteShaped: number;
}

/** What the storage guard needs to know about one partition-granted table. */
export interface PartitionedTableFacts {
  schema: string;
  table: string;
  specs: PartitionSpecFact[];
  /** Whether new files go to hive folders (option hive_file_pattern, default true unless the lake is encrypted). */
  hiveFilePattern: boolean;
  groups: PartitionFileGroup[];
}

/** A partition grant as the storage guard sees it. */
export interface PartitionGrantTarget {
  schema: string;
  table: string;
  rows: RowFilterKey[];
}

export interface PartitionResources {
  /** Object-key patterns: folders ending in "/" (the policy adds `*`) and the exact delete-file pattern. */
  patterns: string[];
  /** The grant cannot be expressed safely: the policy must not be applied. */
  problems: string[];
  /** Files of the table that stay closed, with counts and the fix. */
  warnings: string[];
}

/** DuckDB's hive folder encoding of a value (observed with DuckDB 1.5.5 for every ASCII character): RFC 3986 unreserved stay. */
export function hiveEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The folder value of a partition value (NULL → __HIVE_DEFAULT_PARTITION__). */
export const HIVE_NULL = "__HIVE_DEFAULT_PARTITION__";
export function hiveValue(value: string | null): string {
  return value === null ? HIVE_NULL : hiveEscape(value);
}

/** The key (folder) names of a spec, as DuckLake's GetPartitionKeyName: column or transform, `<transform>_<column>` on a clash. */
export function specKeyNames(spec: PartitionSpecFact): Array<string | { problem: string }> {
  const used = new Set<string>();
  return [...spec.keys]
    .sort((a, b) => a.index - b.index)
    .map((k) => {
      if (k.column === null) return { problem: `key ${k.index} of the partitioning reads a dropped column` };
      const base = k.transform === "identity" ? k.column : /^bucket/.test(k.transform) ? "bucket" : k.transform;
      let name = base;
      if (used.has(name)) {
        // Observed only for a transform after an identity key of the same name (`year, year(ts)` → `year_ts`).
        if (k.transform === "identity") return { problem: `key "${k.column}" clashes with an earlier key name` };
        name = `${k.transform}_${k.column}`;
      }
      used.add(name);
      return name;
    });
}

/** The delete-file name pattern under a table folder: `ducklake-<uuid v7>-delete.parquet`, one `?` per character. */
export const DELETE_FILE_PATTERN = "ducklake-????????-????-????-????-????????????-delete.parquet";
/** The same as a regular expression over a table-relative key. */
export const DELETE_FILE_RE = /^ducklake-.{8}-.{4}-.{4}-.{4}-.{12}-delete\.parquet$/s;

const compiled = new Map<string, RegExp>();
/** AWS and newer Ceph: `*` any run (backtracking), `?` one character. */
export function backtrackingMatch(pattern: string, value: string): boolean {
  let rx = compiled.get(pattern);
  if (!rx) {
    const body = pattern
      .split("")
      .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("");
    if (compiled.size > 10_000) compiled.clear(); // patterns of one build; bounded across builds
    compiled.set(pattern, (rx = new RegExp(`^${body}$`, "s")));
  }
  return rx.test(value);
}

/** Ceph RGW 16 (`match_wildcards` in rgw_string.cc, Pacific): `*` stops at the first character equal to the next pattern character. */
export function rgwPacificMatch(pattern: string, value: string): boolean {
  let i = 0,
    j = 0;
  for (;;) {
    if (i === pattern.length) return j === value.length;
    if (pattern[i] === "*") {
      if (i + 1 === pattern.length) return true;
      if (j === value.length || pattern[i + 1] === value[j]) i++;
      else j++;
      continue;
    }
    if (j === value.length) return false;
    if (pattern[i] === "?" || pattern[i] === value[j]) {
      i++;
      j++;
      continue;
    }
    return false;
  }
}

/** An object-key pattern is a folder (opens everything below it) when it ends in "/", else it names keys exactly. */
export const isFolderPattern = (p: string): boolean => p.endsWith("/");
/** The resource pattern of a key pattern: a folder opens `<folder>*`. */
export const resourcePattern = (p: string): string => (isFolderPattern(p) ? `${p}*` : p);
/** The literal part before the first wildcard: every key the pattern opens starts with it. */
export const staticPrefix = (p: string): string =>
  p.slice(0, Math.min(...[p.indexOf("*"), p.indexOf("?"), p.length].filter((i) => i >= 0)));

/** Whether a key is opened by a pattern on some S3 server (either matcher): for leak checks. */
export function mayOpen(pattern: string, key: string): boolean {
  const r = resourcePattern(pattern);
  return backtrackingMatch(r, key) || rgwPacificMatch(r, key);
}
/** Whether a key is opened by a pattern on every S3 server (both matchers): for files the reader must read. */
export function surelyOpens(pattern: string, key: string): boolean {
  const r = resourcePattern(pattern);
  return backtrackingMatch(r, key) && rgwPacificMatch(r, key);
}

const describeGrant = (g: PartitionGrantTarget) =>
  `partition grant "${g.schema}"."${g.table}" (${g.rows.map((k) => `${k.key} in [${k.values.map((v) => (v === null ? "null" : v)).join(", ")}]`).join(", ")})`;

const describeSpec = (spec: PartitionSpecFact) =>
  `PARTITIONED BY (${[...spec.keys]
    .sort((a, b) => a.index - b.index)
    .map((k) => (k.transform === "identity" ? (k.column ?? "?") : `${k.transform}(${k.column ?? "?"})`))
    .join(", ")})`;

/** The spec key a grant key reads, if the spec has it (same column, case-insensitive as DuckDB, and transform). */
function specKeyOf(spec: PartitionSpecFact, k: RowFilterKey): PartitionKeyFact | undefined {
  return spec.keys.find((s) => s.column !== null && s.column.toLowerCase() === k.column.toLowerCase() && s.transform === k.transform);
}

/** Whether a file group belongs to the grant: its spec has every granted key with one of the granted values. */
export function groupBelongs(facts: PartitionedTableFacts, g: PartitionGrantTarget, group: PartitionFileGroup): boolean {
  if (group.partitionId === null) return false;
  const spec = facts.specs.find((s) => s.partitionId === group.partitionId);
  if (!spec) return false;
  return g.rows.every((k) => {
    const sk = specKeyOf(spec, k);
    if (!sk) return false;
    const v = group.values[sk.index];
    return v !== undefined && k.values.includes(v);
  });
}

function cartesian<T>(lists: T[][]): T[][] {
  return lists.reduce<T[][]>((acc, l) => acc.flatMap((a) => l.map((x) => [...a, x])), [[]]);
}

const plural = (n: number, what: string) => `${n.toLocaleString("en")} ${what}${n === 1 ? "" : "s"}`;
/** "1 file was" / "2 files were" (and lies/lie). */
const counted = (n: number, what: string, singular: string, pluralVerb: string) => `${plural(n, what)} ${n === 1 ? singular : pluralVerb}`;

/**
 * The object-key patterns one partition grant opens, given the table's folder (ends in "/") and its catalog facts.
 * Pure; every pattern starts with `tableFolder`.
 */
export function partitionGrantResources(
  tableFolder: string,
  facts: PartitionedTableFacts | undefined,
  g: PartitionGrantTarget,
): PartitionResources {
  const label = describeGrant(g);
  const problems: string[] = [];
  const warnings: string[] = [];
  if (!facts)
    return {
      patterns: [],
      problems,
      warnings: [
        `${label}: the table's files were not read from the catalog (it does not exist yet?), so no folder is granted; run the update again once it exists`,
      ],
    };
  for (const k of g.rows)
    if (k.transform === "identity" && k.values.includes(HIVE_NULL) && !k.values.includes(null))
      problems.push(
        `${label}: value "${HIVE_NULL}" of ${k.key} is stored in the same folder as NULL (${k.key}=${HIVE_NULL}/), so storage cannot tell them apart: grant null as well, or rename the value`,
      );

  const folders: string[] = [];
  // 1. The current spec's folders for every combination of granted values (new files land there).
  const current = facts.specs.find((s) => s.current && s.keys.length > 0);
  if (current && facts.hiveFilePattern) {
    const names = specKeyNames(current);
    const keys = [...current.keys].sort((a, b) => a.index - b.index);
    const granted = keys.map((sk) => g.rows.find((k) => specKeyOf({ ...current, keys: [sk] }, k)));
    const last = granted.reduce((m, k, i) => (k ? i : m), -1);
    const bad = names.slice(0, last + 1).find((n): n is { problem: string } => typeof n !== "string");
    if (last < 0 || g.rows.some((k) => !specKeyOf(current, k))) {
      warnings.push(
        `${label}: the table's current partitioning ${describeSpec(current)} does not have all of the grant's keys, so files written from now on are not in any granted folder (403): grant keys of the current partitioning`,
      );
    } else if (bad) {
      warnings.push(`${label}: cannot name the current partition folders (${bad.problem}); only folders of existing files are granted`);
    } else {
      const segments = keys
        .slice(0, last + 1)
        .map((_, i) => (granted[i] ? granted[i]!.values.map((v) => `${names[i]}=${hiveValue(v)}/`) : [`${names[i]}=*/`]));
      for (const combo of cartesian(segments)) folders.push(tableFolder + combo.join(""));
    }
  } else if (current && !facts.hiveFilePattern) {
    warnings.push(
      `${label}: the table writes files without hive folders (hive_file_pattern = false, the default of encrypted lakes): files written from now on stay closed to this reader (403). ` +
        `Storage can only enforce partition grants on hive folders: CALL <lake>.set_option('hive_file_pattern', true, schema => '${g.schema}', table_name => '${g.table}') and rewrite the table's files`,
    );
  }
  // 2. Folders of existing files of the grant that the current spec's folders do not cover (earlier specs).
  const data = facts.groups.filter((x) => x.kind === "data");
  for (const x of data) {
    if (!groupBelongs(facts, g, x) || x.folder === undefined || x.folder === tableFolder) continue;
    // A policy reads `*`, `?` (and fnmatch's `[`) as patterns and `${` as a variable: DuckDB never writes them unescaped.
    if (/[*?[\]]|\$\{/.test(x.folder.slice(tableFolder.length))) {
      problems.push(
        `${label}: folder "${x.folder}" of ${x.sample} contains *, ?, [, ] or \${, which a bucket policy reads as a pattern: rewrite those files`,
      );
      continue;
    }
    if (!folders.some((p) => surelyOpens(p, x.sampleKey ?? `${x.folder}x`))) folders.push(x.folder);
  }
  // 3. Every granted folder must hold only files of the grant.
  const unique = [...new Set(folders)].sort();
  const patterns: string[] = [];
  for (const p of unique) {
    // Delete files are opened table-wide anyway (step 4); data files of other rows must not be.
    const foreign = data.filter((x) => x.sampleKey !== undefined && mayOpen(p, x.sampleKey) && !groupBelongs(facts, g, x));
    if (foreign.length === 0) {
      patterns.push(p);
      continue;
    }
    const n = foreign.reduce((s, x) => s + x.files, 0);
    problems.push(
      `${label}: folder "${p}" would also open ${plural(n, "file")} outside the grant (e.g. ${foreign[0].sample}, ` +
        `${foreign[0].partitionId === null ? "written without partitioning" : `written under partition spec #${foreign[0].partitionId}`}): ` +
        "the same folder name stands for other rows (the partitioning changed); rewrite those files or grant their values as well",
    );
  }
  // 4. Delete files: one exact pattern in the table folder; no data file may match it.
  const deletePattern = tableFolder + DELETE_FILE_PATTERN;
  const shapedData = data.reduce((s, x) => s + x.deleteShaped, 0);
  if (shapedData > 0)
    problems.push(
      `${label}: ${plural(shapedData, "data file")} of the table ${shapedData === 1 ? "is" : "are"} named like a delete file (${deletePattern}), which partition readers may read: rename or rewrite ${shapedData === 1 ? "it" : "them"}`,
    );
  else patterns.push(deletePattern);
  const deletes = facts.groups.filter((x) => x.kind === "delete" && groupBelongs(facts, g, x) && x.deleteShaped < x.files);
  if (deletes.length > 0)
    warnings.push(
      `${label}: ${plural(
        deletes.reduce((s, x) => s + x.files - x.deleteShaped, 0),
        "delete file",
      )} of granted files lie outside ${deletePattern} (e.g. ${deletes[0].sample}): they stay closed (403) and scans of their data files fail; rewrite the data files (CALL ducklake_rewrite_data_files)`,
    );

  // 5. Files of the table that the grant's folders leave closed, with counts and the fix.
  const closed = { unpartitioned: 0, flat: 0, outside: 0, otherSpec: 0 };
  const sample = { unpartitioned: "", flat: "", outside: "", otherSpec: "" };
  const note = (what: keyof typeof closed, x: PartitionFileGroup) => {
    closed[what] += x.files;
    if (!sample[what]) sample[what] = x.sample;
  };
  for (const x of data) {
    const opened = x.sampleKey !== undefined && patterns.some((p) => surelyOpens(p, x.sampleKey!));
    if (x.partitionId === null) note("unpartitioned", x);
    else if (groupBelongs(facts, g, x) && !opened) note(x.folder === undefined ? "outside" : "flat", x);
    else if (!groupBelongs(facts, g, x)) {
      const spec = facts.specs.find((s) => s.partitionId === x.partitionId);
      if (spec && g.rows.some((k) => !specKeyOf(spec, k))) note("otherSpec", x);
    }
  }
  if (closed.unpartitioned > 0)
    warnings.push(
      `${label}: ${counted(closed.unpartitioned, "data file", "of the table was", "of the table were")} written without partitioning (e.g. ${sample.unpartitioned}; before SET PARTITIONED BY, or after RESET): ` +
        "their rows are not part of any partition grant and stay closed (403). To include them, re-insert their rows so they are written under the current partitioning (INSERT INTO … SELECT …, then DELETE the old rows)",
    );
  if (closed.flat > 0)
    warnings.push(
      `${label}: ${counted(closed.flat, "data file", "of granted partitions lies", "of granted partitions lie")} outside the partition folders (e.g. ${sample.flat}; hive_file_pattern = false or a hand-made path): ` +
        "storage keeps them closed (403), so this reader's scans that reach them fail. Set hive_file_pattern to true and rewrite them (CALL ducklake_rewrite_data_files), or re-insert their rows",
    );
  if (closed.outside > 0)
    warnings.push(
      `${label}: ${counted(closed.outside, "data file", "of granted partitions lies", "of granted partitions lie")} outside the table's folder (e.g. ${sample.outside}; added with ducklake_add_data_files): ` +
        "they stay closed (403), so this reader's scans that reach them fail. Re-insert their rows (INSERT INTO … SELECT …) so DuckLake writes them into the partition folders, then remove the added files",
    );
  if (closed.otherSpec > 0)
    warnings.push(
      `${label}: ${counted(closed.otherSpec, "data file", "of the table was", "of the table were")} written (e.g. ${sample.otherSpec}) under an earlier partitioning without the grant's keys: ` +
        "they are not part of the grant and stay closed (403). To include them, re-insert their rows under the current partitioning",
    );
  return { patterns: [...new Set(patterns)].sort(), problems, warnings };
}
