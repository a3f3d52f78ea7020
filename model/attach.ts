// The DuckLake ATTACH statement and the DuckDB literals in it: one renderer for the catalog component's
// per-role statements, the reader setup and the CLI sessions.
import { libpqConninfo } from "./libpq";
import { quoteIdent as duckdbIdent, quoteLiteral as duckdbLiteral } from "./names";

/** DuckDB quotes string literals and identifiers as PostgreSQL does with standard strings: one rule, in names.ts. */
export { duckdbIdent, duckdbLiteral };

/** One ATTACH option; options are written in the order given. */
export type DuckLakeAttachOption =
  | { dataPath: string }
  | { metadataSchema: string }
  | { readOnly: true }
  /** Catalog login from a DuckDB secret (keeps the password out of the statement and of DuckDB's errors). */
  | { metadataSecret: { type: "postgres"; name: string } };

export interface DuckLakeAttach {
  /** What follows `ducklake:`: `postgres:<conninfo>`, a libpq string for a metadata secret, or a ducklake secret's name. */
  metadata: string;
  /** The alias as SQL: a plain identifier (checked by the caller) or duckdbIdent(name). */
  alias: string;
  options: DuckLakeAttachOption[];
}

function optionSql(o: DuckLakeAttachOption): string {
  if ("dataPath" in o) return `DATA_PATH ${duckdbLiteral(o.dataPath)}`;
  if ("metadataSchema" in o) return `METADATA_SCHEMA ${duckdbLiteral(o.metadataSchema)}`;
  if ("readOnly" in o) return "READ_ONLY";
  return `METADATA_PARAMETERS MAP {'TYPE': ${duckdbLiteral(o.metadataSecret.type)}, 'SECRET': ${duckdbLiteral(o.metadataSecret.name)}}`;
}

/** `ATTACH 'ducklake:<metadata>' AS <alias> (<options>)`, without a trailing semicolon. */
export function duckLakeAttachSql(a: DuckLakeAttach): string {
  return `ATTACH ${duckdbLiteral(`ducklake:${a.metadata}`)} AS ${a.alias} (${a.options.map(optionSql).join(", ")})`;
}

/**
 * The statement attaching the lake as one catalog role, connection inline. No password inside: libpq
 * reads it from PGPASSWORD or ~/.pgpass (or a DuckDB postgres secret).
 */
export function roleAttachSql(
  c: { host: string; port: number; database: string; user: string; sslmode: string; sslRootCert?: string },
  o: { dataPath: string; metadataSchema: string; alias?: string; readOnly?: boolean },
): string {
  const conninfo = libpqConninfo({
    dbname: c.database,
    host: c.host,
    port: c.port,
    user: c.user,
    sslmode: c.sslmode,
    sslrootcert: c.sslRootCert,
  });
  return duckLakeAttachSql({
    metadata: `postgres:${conninfo}`,
    alias: duckdbIdent(o.alias ?? "lake"),
    options: [{ dataPath: o.dataPath }, { metadataSchema: o.metadataSchema }, ...(o.readOnly ? [{ readOnly: true as const }] : [])],
  });
}
