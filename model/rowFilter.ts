// Partition grants' row filters (GrantSpec.rows): parsing, canonical values, a stable order, and renderings
// for resource names and reviews. Pure, and safe inside the dynamic providers (no imports, no Set/Map state
// captured at module level: Pulumi serializes what the provider functions reach).
//
// Canonical values: DuckLake compares a grant's values with ducklake_file_partition_value.partition_value, the
// text DuckDB's Value::ToString gives the partition key (docs/design/partition-grants.md §1-2). So every value
// becomes that text: 2026 → "2026", true → "true", null → SQL NULL. A number and the string of its digits are
// the same value ("2026" and 2026 grant the same partition, also on a VARCHAR column). Only safe integers are
// accepted as JSON numbers: 1.5 or 3.10 would lose their DuckDB spelling (DECIMAL(10,2) writes "3.10"), so
// non-integers are written as strings exactly as DuckDB prints them, and preview checks that spelling against
// the column's type (model/partitionGrants.ts).
import type { PartitionTransform, RowFilterKey } from "./accessSpec";

/** The transforms a partition grant may name, besides identity (a plain column name). */
export const TEMPORAL_TRANSFORMS: readonly PartitionTransform[] = ["year", "month", "day", "hour"];

/** The range of each temporal transform's value (DuckDB's year/month/day/hour: month of the year, day of the month, hour of the day). */
export const TEMPORAL_RANGE: Readonly<Record<string, { min: number; max: number; what: string }>> = {
  year: { min: -290308, max: 294247, what: "a year" },
  month: { min: 1, max: 12, what: "a month of the year, 1-12" },
  day: { min: 1, max: 31, what: "a day of the month, 1-31" },
  hour: { min: 0, max: 23, what: "an hour of the day, 0-23" },
};

/** A row-filter key as parsed from access.ts (`region`, `year(ts)`, `"odd name"`, `month("odd name")`). */
export interface ParsedRowKey {
  column: string;
  transform: PartitionTransform;
  /** Canonical spelling: `col` or `transform(col)`, the column double-quoted when it would not read back as itself. */
  key: string;
}

/** How a column is written in a key: bare when it reads back unambiguously, else double-quoted ("" for "). */
export function columnInKey(column: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(column) ? column : `"${column.replace(/"/g, '""')}"`;
}

/** The canonical key text of (column, transform). */
export function rowKeyText(column: string, transform: PartitionTransform): string {
  return transform === "identity" ? columnInKey(column) : `${transform}(${columnInKey(column)})`;
}

function unquoteColumn(text: string): string | { problem: string } {
  const t = text.trim();
  if (t.startsWith('"')) {
    if (t.length < 2 || !t.endsWith('"') || t.slice(1, -1).replace(/""/g, "").includes('"'))
      return { problem: `${JSON.stringify(text)} is not a valid quoted column name: close it with " and double any " inside` };
    return t.slice(1, -1).replace(/""/g, '"');
  }
  if (t.includes('"') || t.includes("(") || t.includes(")") || t.includes(","))
    return { problem: `${JSON.stringify(text)} is not a column name: write the name alone, or double-quote it ("my (col)")` };
  return t;
}

/**
 * Parses one key of `rows`: a column name (identity), or `year(col)` / `month(col)` / `day(col)` / `hour(col)`
 * (transform names in any letter case, spaces allowed as in SQL). Returns a problem for anything else.
 */
export function parseRowKey(raw: string): ParsedRowKey | { problem: string } {
  const text = raw.trim();
  if (text === "") return { problem: "a key is empty: write a partition column name or year(col), month(col), day(col), hour(col)" };
  const call = /^([A-Za-z_]+)\s*\(([\s\S]*)\)$/.exec(text);
  let column: string | { problem: string };
  let transform: PartitionTransform = "identity";
  if (call && !text.startsWith('"')) {
    const fn = call[1].toLowerCase();
    if (fn === "bucket")
      return {
        problem: `key ${JSON.stringify(raw)}: bucket partitions cannot be granted (a bucket number says nothing about the rows in it); grant by an identity or year/month/day/hour key`,
      };
    if (!(TEMPORAL_TRANSFORMS as readonly string[]).includes(fn))
      return {
        problem: `key ${JSON.stringify(raw)}: unknown transform "${call[1]}"; use a column name, or year(col), month(col), day(col) or hour(col)`,
      };
    transform = fn as PartitionTransform;
    column = unquoteColumn(call[2]);
  } else column = unquoteColumn(text);
  if (typeof column !== "string") return { problem: `key ${JSON.stringify(raw)}: ${column.problem}` };
  const bad = columnNameProblem(column);
  if (bad) return { problem: `key ${JSON.stringify(raw)}: column ${bad}` };
  return { column, transform, key: rowKeyText(column, transform) };
}

/** DuckLake column names as stored in ducklake_column: 1..63 bytes (PostgreSQL's identifier limit applies to guard objects), no control characters. */
export function columnNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name.length === 0) return "is empty";
  if (Buffer.byteLength(name, "utf8") > 63) return `"${name}" is longer than 63 bytes`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `${JSON.stringify(name)} contains control characters`;
  if (name.trim() !== name) return `"${name}" starts or ends with white space`;
  return undefined;
}

/** Canonical integer text: no sign on zero, no leading zeros, no "+". */
export function isIntegerText(v: string): boolean {
  return /^(0|-?[1-9][0-9]*)$/.test(v);
}

/**
 * One value of a grant as DuckLake's partition_value text, or a problem. Strings are kept byte for byte (no
 * trimming: " emea" is another partition); NUL cannot be a value (PostgreSQL text holds none).
 */
export function canonicalValue(v: unknown): { value: string | null } | { problem: string } {
  if (v === null) return { value: null };
  if (typeof v === "boolean") return { value: v ? "true" : "false" };
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return { problem: `${String(v)} is not a partition value` };
    if (!Number.isSafeInteger(v))
      return {
        problem: `${String(v)} is not a whole number below 2^53; write it as a string exactly as DuckDB prints it (e.g. "3.10" for DECIMAL(10,2), "9007199254740993" for a BIGINT)`,
      };
    return { value: String(v === 0 ? 0 : v) }; // -0 → "0"
  }
  if (typeof v === "string") {
    if (v.includes("\u0000")) return { problem: `${JSON.stringify(v)} contains a NUL character, which no partition value holds` };
    return { value: v };
  }
  return { problem: `${JSON.stringify(v) ?? String(v)} is not a partition value; use strings, whole numbers, booleans or null` };
}

/**
 * The order of canonical values: NULL first, then integer texts by numeric value, then other texts by UTF-16
 * code units. A total order (each class is ordered, classes never compare equal), so "sorted" is unique.
 */
export function compareValues(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const ai = isIntegerText(a),
    bi = isIntegerText(b);
  if (ai && bi) {
    const x = BigInt(a),
      y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ai !== bi) return ai ? -1 : 1;
  return a < b ? -1 : 1;
}

/** Sorted and without duplicates. */
export function canonicalValues(values: ReadonlyArray<string | null>): Array<string | null> {
  const sorted = [...values].sort(compareValues);
  return sorted.filter((v, i) => i === 0 || compareValues(sorted[i - 1], v) !== 0);
}

/** Keys sorted by their canonical key text, each with canonical values. */
export function canonicalRows<T extends { column: string; transform: PartitionTransform; values: ReadonlyArray<string | null> }>(
  rows: ReadonlyArray<T>,
): RowFilterKey[] {
  return rows
    .map((r) => ({ key: rowKeyText(r.column, r.transform), column: r.column, transform: r.transform, values: canonicalValues(r.values) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** %-escapes every character outside [A-Za-z0-9_.-] (UTF-8 bytes), as model/grants encodeNameSegment does. */
function encode(text: string): string {
  let out = "";
  for (const ch of text) {
    if (/^[A-Za-z0-9_.-]$/.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, "utf8")) out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * The rows part of a grant's identity: one `/`-separated segment per key, `key=value,value`, keys and values in
 * canonical order. Column names and values are %-escaped, so `=`, `,`, `(`, `)` and `/` appear only as structure;
 * NULL is `(null)`, which no escaped value can spell. Example: `month(ts)=3/year(ts)=2025,2026`.
 */
export function rowsKeySegments(rows: ReadonlyArray<RowFilterKey>): string {
  return canonicalRows(rows)
    .map((r) => {
      const k = r.transform === "identity" ? encode(r.column) : `${r.transform}(${encode(r.column)})`;
      return `${k}=${r.values.map((v) => (v === null ? "(null)" : encode(v))).join(",")}`;
    })
    .join("/");
}

/** A value as a review shows it: whole numbers and booleans bare, other text JSON-quoted, NULL as null. */
export function showValue(v: string | null): string {
  if (v === null) return "null";
  return isIntegerText(v) || v === "true" || v === "false" ? v : JSON.stringify(v);
}

/** `year(ts) in (2025, 2026) and region in ("emea")`: how reviews and messages show a row filter. */
export function describeRows(rows: ReadonlyArray<RowFilterKey>): string {
  return canonicalRows(rows)
    .map((r) => `${r.key} in (${r.values.map(showValue).join(", ")})`)
    .join(" and ");
}

/** Problems and warnings of one grant's `rows`, and the canonical keys when there are no problems. */
export interface ParsedRows {
  rows?: RowFilterKey[];
  problems: string[];
  warnings: string[];
}

/**
 * Validates a grant's `rows` (`{ "year(ts)": [2026], region: ["emea"] }`) without the catalog: keys parse,
 * no key twice (also in another spelling or letter case), non-empty value lists, canonical values, temporal
 * values in range. Whether the table has these keys, and the types, are checked at preview against the catalog.
 */
export function parseGrantRows(raw: unknown): ParsedRows {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return { problems: ['rows is not an object; write rows: { "year(ts)": [2026] } (partition key → list of values)'], warnings };
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0)
    return { problems: ["rows lists no partition key; name at least one, or leave rows out to grant the whole table"], warnings };
  const out: RowFilterKey[] = [];
  const seen: { folded: string; raw: string }[] = [];
  for (const [rawKey, list] of entries) {
    const parsed = parseRowKey(rawKey);
    if ("problem" in parsed) {
      problems.push(`rows ${parsed.problem}`);
      continue;
    }
    const folded = `${parsed.transform}(${parsed.column.toLowerCase()})`;
    const twin = seen.find((s) => s.folded === folded);
    if (twin) {
      problems.push(
        `rows names ${parsed.key} twice (as ${JSON.stringify(twin.raw)} and ${JSON.stringify(rawKey)}; DuckDB column names are case-insensitive): merge the value lists into one key`,
      );
      continue;
    }
    seen.push({ folded, raw: rawKey });
    if (!Array.isArray(list)) {
      problems.push(`rows ${parsed.key} is not a list; write ${JSON.stringify(parsed.key)}: [value, ...]`);
      continue;
    }
    if (list.length === 0) {
      problems.push(`rows ${parsed.key} lists no values; list at least one value, or remove the key to grant every value of it`);
      continue;
    }
    const values: Array<string | null> = [];
    for (const v of list) {
      const c = canonicalValue(v);
      if ("problem" in c) {
        problems.push(`rows ${parsed.key}: ${c.problem}`);
        continue;
      }
      if (parsed.transform !== "identity" && c.value !== null) {
        const range = TEMPORAL_RANGE[parsed.transform];
        const n = isIntegerText(c.value) ? Number(c.value) : NaN;
        if (!(n >= range.min && n <= range.max)) {
          // "02026" or " 3" name a number, but not as DuckLake writes it: say how to write it.
          const spelled = typeof v === "string" && /^\s*[+-]?\d+\s*$/.test(v) ? String(BigInt(v.trim())) : undefined;
          const inRange = spelled !== undefined && Number(spelled) >= range.min && Number(spelled) <= range.max;
          problems.push(
            `rows ${parsed.key}: ${JSON.stringify(v)} is not ${range.what}${inRange ? ` as DuckLake writes it; write ${spelled}` : ""}`,
          );
          continue;
        }
      }
      values.push(c.value);
    }
    out.push({ key: parsed.key, column: parsed.column, transform: parsed.transform, values: canonicalValues(values) });
  }
  if (problems.length) return { problems, warnings };
  const rows = canonicalRows(out);
  for (const r of rows) {
    if (r.transform === "identity" || r.transform === "year") continue;
    if (rows.some((o) => o.transform === "year" && o.column.toLowerCase() === r.column.toLowerCase())) continue;
    warnings.push(
      `rows ${r.key} without year(${columnInKey(r.column)}) selects ${r.transform === "month" ? "that month" : r.transform === "day" ? "that day of the month" : "that hour of the day"} in every year; add "year(${columnInKey(r.column)})": [...] to limit it to certain years`,
    );
  }
  return { rows, problems, warnings };
}
