// Names that reach PostgreSQL or resource names: validated here, quoted by quoteIdent/quoteLiteral
// only where SQL text cannot take a parameter (DDL such as CREATE ROLE).

/** Guard objects installed into the catalog database. */
export const GUARD_SCHEMA = "ducklake_guard";
/** NOLOGIN role every reader is a member of; holds the SELECT privileges readers share. */
export const READER_BASE_ROLE = "ducklake_reader";
/** Default PostgreSQL schema holding the DuckLake catalog tables. */
export const DEFAULT_CATALOG_SCHEMA = "public";

// An array, not a Set: the dynamic providers call readerNameProblem, and Pulumi's function serialization
// does not carry a Set (the serialized provider's check threw; test/unit/providers.serialized.test.ts).
const RESERVED_ROLES: readonly string[] = [
  "postgres",
  "public",
  "ducklake_reader",
  "ducklake_owner",
  "ducklake_writer",
  "ducklake_guard",
  "none",
  "current_user",
  "session_user",
  "current_role",
];

/** Reader names are PostgreSQL role names too: lower-case, short, never reserved. */
export function readerNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name.length === 0) return "is empty; use lower-case letters, digits and _";
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(name))
    return `"${name}" is not a valid reader name: start with a-z, then a-z, 0-9 or _, at most 48 characters`;
  if (RESERVED_ROLES.includes(name) || name.startsWith("pg_"))
    return `"${name}" is reserved (it names a built-in or ducklake role); choose another reader name`;
  return undefined;
}

/** DuckLake schema/table names as stored in the catalog: 1..63 bytes, printable, no NUL. */
export function lakeNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name.length === 0) return "is empty";
  if (Buffer.byteLength(name, "utf8") > 63) return `"${name}" is longer than 63 bytes (PostgreSQL's identifier limit)`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `"${JSON.stringify(name)}" contains control characters`;
  if (name.trim() !== name) return `"${name}" starts or ends with white space`;
  return undefined;
}

/** Quotes a PostgreSQL identifier (for DDL that cannot take parameters). */
export function quoteIdent(name: string): string {
  if (name.includes("\u0000")) throw new Error("identifier contains NUL");
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a PostgreSQL string literal (standard_conforming_strings on). */
export function quoteLiteral(value: string): string {
  if (value.includes("\u0000")) throw new Error("literal contains NUL");
  return `'${value.replace(/'/g, "''")}'`;
}
