// Partition grants checked against the tables' current partition specs (read at preview by
// postgres/partitionSpec.ts). Pure: every refusal names the grant, the table, its spec as DDL and the fix.
// What is refused and why (docs/design/partition-grants.md §1): a key the table is not partitioned by; a
// value DuckLake can never write for that key (a partition value is DuckDB's text of the key's value, so a
// value must be spelled exactly that way); key types whose partition text is not a property of the row:
// TIMESTAMPTZ (year/month/day/hour and the text itself depend on the writer's TimeZone), FLOAT/DOUBLE (1.5 vs
// 1.50), nested and other types whose text form this check does not know.
import type { NormalizedGrant, RowFilterKey } from "./accessSpec";
import { grantTarget } from "./grants";
import { isIntegerText, showValue } from "./rowFilter";
import { HIVE_NULL } from "./partitionFolders";

/** One key of a table's current partition spec, as the catalog records it. */
export interface PartitionKeySpec {
  /** ducklake_partition_column.partition_key_index: the key's position (folders nest in this order). */
  index: number;
  columnId: number;
  /** The column's current name (ducklake_column.column_name). */
  column: string;
  /** DuckLake type of the column (ducklake_column.column_type): int32, varchar, timestamp, decimal(10,2), … */
  type: string;
  /** ducklake_partition_column.transform: identity, year, month, day, hour, bucket(N). */
  transform: string;
}

/** A current table and its current partition spec (no keys: not partitioned). */
export interface TablePartitionSpec {
  tableId: number;
  schema: string;
  table: string;
  keys: PartitionKeySpec[];
}

/** The specs of the partition-granted tables, or why they could not be read. */
export type PartitionSpecSource = { tables: TablePartitionSpec[] } | { unavailable: string };

export interface PartitionGrantCheck {
  errors: string[];
  warnings: string[];
}

const DUCKDB_TYPE: Record<string, string> = {
  boolean: "BOOLEAN",
  int8: "TINYINT",
  int16: "SMALLINT",
  int32: "INTEGER",
  int64: "BIGINT",
  int128: "HUGEINT",
  uint8: "UTINYINT",
  uint16: "USMALLINT",
  uint32: "UINTEGER",
  uint64: "UBIGINT",
  uint128: "UHUGEINT",
  float32: "FLOAT",
  float64: "DOUBLE",
  varchar: "VARCHAR",
  date: "DATE",
  timestamp: "TIMESTAMP",
  timestamptz: "TIMESTAMPTZ",
  timestamp_s: "TIMESTAMP_S",
  timestamp_ms: "TIMESTAMP_MS",
  timestamp_ns: "TIMESTAMP_NS",
  uuid: "UUID",
  list: "LIST",
  struct: "STRUCT",
  map: "MAP",
};

/** The column type as DuckDB's DDL spells it (INTEGER for int32, DECIMAL(10,2) for decimal(10,2)). */
export function duckdbTypeName(type: string): string {
  return DUCKDB_TYPE[type.toLowerCase()] ?? type.toUpperCase();
}

const INTEGER_RANGE: Record<string, [bigint, bigint]> = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  int128: [-(2n ** 127n), 2n ** 127n - 1n],
  uint8: [0n, 2n ** 8n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  uint128: [0n, 2n ** 128n - 1n],
};
const TEMPORAL_COLUMN_TYPES = ["date", "timestamp", "timestamp_s", "timestamp_ms", "timestamp_ns"];

/** A column name as DuckDB's DDL needs it: bare when plain, else double-quoted. */
function ddlName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** One key as DuckLake's DDL writes it: `region`, `year(ts)`, `bucket(8, id)`. */
function keyDdl(k: Pick<PartitionKeySpec, "column" | "transform">): string {
  const bucket = /^bucket\((\d+)\)$/.exec(k.transform);
  if (bucket) return `bucket(${bucket[1]}, ${ddlName(k.column)})`;
  return k.transform === "identity" ? ddlName(k.column) : `${k.transform}(${ddlName(k.column)})`;
}

/** `PARTITIONED BY (year(ts), month(ts))`, or `not partitioned`. */
export function specDdl(spec: Pick<TablePartitionSpec, "keys">): string {
  if (!spec.keys.length) return "not partitioned";
  return `PARTITIONED BY (${[...spec.keys]
    .sort((a, b) => a.index - b.index)
    .map(keyDdl)
    .join(", ")})`;
}

/** DuckDB's name resolution: the exact name, else the one name equal ignoring case. */
function resolve<T>(items: T[], name: (t: T) => string, wanted: string): T | undefined {
  const exact = items.find((t) => name(t) === wanted);
  if (exact) return exact;
  const folded = items.filter((t) => name(t).toLowerCase() === wanted.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

function validDate(y: number, m: number, d: number): boolean {
  const t = new Date(Date.UTC(2000, m - 1, d));
  t.setUTCFullYear(y);
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/**
 * Why `type` cannot be a granted identity key, or undefined when it can. Supported: integers, BOOLEAN,
 * VARCHAR, DATE, DECIMAL, UUID — types whose partition text this check can predict exactly.
 */
export function identityTypeProblem(type: string): string | undefined {
  const t = type.toLowerCase();
  if (t in INTEGER_RANGE || ["boolean", "varchar", "date", "uuid"].includes(t) || /^decimal\(\d+,\s*\d+\)$/.test(t)) return undefined;
  if (t === "float32" || t === "float64")
    return `its text form is not canonical (1.5 and 1.50 are one ${duckdbTypeName(t)} but two partition texts); partition by an integer or DECIMAL column instead`;
  if (t === "timestamptz")
    return "its text form depends on the TimeZone of the session that wrote the row (2026-01-01 01:00:00+01 and 2026-01-01 00:00:00+00 are one instant); partition by a TIMESTAMP or DATE column instead";
  if (["list", "struct", "map"].includes(t)) return "nested values cannot be granted; partition by a scalar column instead";
  return "partition grants support integer, BOOLEAN, VARCHAR, DATE, DECIMAL and UUID identity keys, and year/month/day/hour of DATE and TIMESTAMP columns";
}

/** Why `value` can never be DuckLake's partition text of a `type` column, or undefined. */
export function identityValueProblem(type: string, value: string): string | undefined {
  const t = type.toLowerCase();
  const range = INTEGER_RANGE[t];
  if (range) {
    if (!isIntegerText(value)) return "is not a whole number as DuckDB writes it (digits, no leading zeros, no +)";
    const n = BigInt(value);
    return n < range[0] || n > range[1] ? `is outside ${duckdbTypeName(t)}'s range ${range[0]}..${range[1]}` : undefined;
  }
  if (t === "boolean") return value === "true" || value === "false" ? undefined : "is not true or false";
  if (t === "varchar") return undefined;
  if (t === "date") {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    return m && validDate(Number(m[1]), Number(m[2]), Number(m[3])) ? undefined : "is not a date as DuckDB writes it (YYYY-MM-DD)";
  }
  if (t === "uuid")
    return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)
      ? undefined
      : "is not a UUID as DuckDB writes it (lower-case hex, 8-4-4-4-12)";
  const dec = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
  if (dec) {
    const [p, s] = [Number(dec[1]), Number(dec[2])];
    const m = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(value);
    const spelled = s === 0 ? m && m[3] === undefined : m && m[3]?.length === s;
    if (!m || !spelled || (m[1] === "-" && /^0(\.0*)?$/.test(value.slice(1))))
      return `is not a ${duckdbTypeName(t)} as DuckDB writes it (${s === 0 ? "a whole number" : `exactly ${s} decimal${s === 1 ? "" : "s"}, e.g. "${(0).toFixed(s).replace(/^0/, "3")}"`})`;
    return m[2].length > p - s && m[2] !== "0" ? `has more than ${p - s} digits before the point` : undefined;
  }
  return identityTypeProblem(t);
}

/**
 * Every problem of the partition grants against the tables' current specs. Grants without rows are not
 * looked at (their tables are checked by the ReaderAcl provider and the bucket policy).
 */
export function checkPartitionGrants(grants: ReadonlyArray<NormalizedGrant>, source: PartitionSpecSource): PartitionGrantCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const byFolded = new Map<string, TablePartitionSpec[]>();
  if (!("unavailable" in source))
    for (const t of source.tables) {
      const k = `${t.schema.toLowerCase()}\u0000${t.table.toLowerCase()}`;
      byFolded.set(k, [...(byFolded.get(k) ?? []), t]);
    }
  for (const g of grants) {
    if (!g.rows?.length || g.table === null) continue;
    // Messages are built only when there is a problem: at 20,000 partition grants rendering every label costs.
    const label = () => `partition grant ${grantTarget(g.schema, g.table, g.rows)} of "${g.reader}"`;
    const target = grantTarget(g.schema, g.table);
    if ("unavailable" in source) {
      errors.push(
        `${label()}: cannot be checked, the catalog's partition specs could not be read (${source.unavailable}); a partition grant needs its table to exist and be partitioned: create and partition ${target} first, then run the update again`,
      );
      continue;
    }
    // Exact names first, else the one table equal ignoring case (DuckDB's resolution); indexed once, not per grant.
    const candidates = byFolded.get(`${g.schema.toLowerCase()}\u0000${g.table.toLowerCase()}`) ?? [];
    const spec =
      candidates.find((t) => t.schema === g.schema && t.table === g.table) ?? (candidates.length === 1 ? candidates[0] : undefined);
    if (!spec) {
      errors.push(
        `${label()}: table ${target} does not exist in the catalog: fix the name, or create the table and partition it (ALTER TABLE ${target} SET PARTITIONED BY (…)) first`,
      );
      continue;
    }
    const ddl = () => specDdl(spec);
    if (!spec.keys.length) {
      errors.push(
        `${label()}: ${target} is not partitioned, so none of its files holds only these rows: partition it first (ALTER TABLE ${target} SET PARTITIONED BY (…); only rows written afterwards are in partitions), or grant the whole table`,
      );
      continue;
    }
    for (const k of g.rows) errors.push(...keyProblems(label, target, ddl, spec, k));
  }
  return { errors, warnings };
}

function keyProblems(label: () => string, target: string, ddl: () => string, spec: TablePartitionSpec, k: RowFilterKey): string[] {
  const sameColumn = spec.keys.filter((s) => s.column === k.column || s.column.toLowerCase() === k.column.toLowerCase());
  const key = resolve(
    sameColumn.filter((s) => s.transform === k.transform),
    (s) => s.column,
    k.column,
  );
  if (!key) {
    const hint = sameColumn.length
      ? ` (${ddlName(sameColumn[0].column)} is partitioned by ${sameColumn.map(keyDdl).join(", ")}, not ${k.key})`
      : "";
    return [
      `${label()}: ${target} is ${ddl()}, which has no key ${k.key}${hint}: grant one of its keys, or change the table's partitioning first (ALTER TABLE ${target} SET PARTITIONED BY (…))`,
    ];
  }
  const type = key.type.toLowerCase();
  const typeName = duckdbTypeName(type);
  if (k.transform !== "identity") {
    if (type === "timestamptz")
      return [
        `${label()}: ${k.key} partitions TIMESTAMPTZ column ${ddlName(key.column)}, and which ${k.transform} a row lands in depends on the TimeZone of the session that wrote it (2026-01-01 02:00 UTC written from New York lands in year 2025), so the grant could not say which rows it gives: partition ${target} by a TIMESTAMP or DATE column instead (e.g. ts_utc TIMESTAMP holding ts AT TIME ZONE 'UTC')`,
      ];
    if (!TEMPORAL_COLUMN_TYPES.includes(type))
      return [
        `${label()}: ${k.key} partitions ${typeName} column ${ddlName(key.column)}; year/month/day/hour partitions can only be granted on DATE and TIMESTAMP columns: grant by the column's values (${ddlName(key.column)}) or partition by a DATE/TIMESTAMP column`,
      ];
    return []; // values were range-checked with the access list (model/rowFilter parseGrantRows)
  }
  const typeProblem = identityTypeProblem(type);
  if (typeProblem)
    return [`${label()}: ${ddlName(key.column)} is a ${typeName} column, which cannot be a granted partition key: ${typeProblem}`];
  const out: string[] = [];
  // DuckDB writes NULL and the text "__HIVE_NULL__" into the same folder; the catalog tells them apart,
  // storage cannot: granting NULL of a text column would open files of that text value too.
  if (type === "varchar" && k.values.includes(null) && !k.values.includes(HIVE_NULL))
    out.push(
      `${label()}: null of VARCHAR column ${ddlName(key.column)} is stored in folder ${k.key}=${HIVE_NULL}/, where rows whose value is the text "${HIVE_NULL}" land too, so storage would open them as well: grant "${HIVE_NULL}" with null (both), or leave null out`,
    );
  for (const v of k.values) {
    if (v === null) continue;
    const p = identityValueProblem(type, v);
    if (p)
      out.push(
        `${label()}: ${showValue(v)} ${p}, so it can never be a partition of ${typeName} column ${ddlName(key.column)} (${target} is ${ddl()}): fix the value`,
      );
  }
  return out;
}
