// verify's DuckDB-level probe: what a reader's real client does, with the reader's own login and S3 key
// (the same session code as `npm run shell -- --reader`): attach read-only, USE the lake, list the tables
// DuckDB shows (must be exactly the granted ones), read one granted table. SQL-level checks cannot see
// what only the client does (e.g. needing the default schema to USE the lake).
import { DuckDBConnection } from "@duckdb/node-api";
import { LakeConnectionInfo, ReaderConnection } from "./connectionInfo";
import { explainError } from "./errors";
import { duckIdent, LAKE_ALIAS } from "./duckdbSql";
import { openLakeSession } from "./duckdbSession";
import { expectedTables, GrantLike } from "./expectedAccess";
import type { LakeInventory } from "./lakeInventory";
import type { VerifyReport } from "./verify";

export interface DuckDBProbeResult {
  /** What the probe did, one line: tables listed, table read (rows), or where it stopped. */
  summary: string;
  ok: boolean;
  problems: string[];
  notes: string[];
}

const LIST_TABLES = "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = $1 ORDER BY ALL";

async function listTables(c: DuckDBConnection): Promise<string[]> {
  const r = await c.runAndReadAll(LIST_TABLES, [LAKE_ALIAS]);
  return r.getRows().map(([s, t]) => `${String(s)}.${String(t)}`);
}

/**
 * Probes one reader through DuckDB. `expected` lists the granted current tables as {schema, table};
 * `readable` picks which of them to read (default: the first).
 */
export async function probeReaderWithDuckDB(
  info: LakeConnectionInfo,
  reader: ReaderConnection,
  expected: { schema: string; table: string }[],
  readable?: { schema: string; table: string },
): Promise<DuckDBProbeResult> {
  const r = reader.name;
  const out: DuckDBProbeResult = { summary: "", ok: false, problems: [], notes: [] };
  let session;
  try {
    session = await openLakeSession(info, { reader });
  } catch (e) {
    const msg = explainError(e);
    // No extensions on this machine (offline, none installed): say so instead of failing the reader.
    if (/DuckDB extension \w+ is not available/.test(msg)) {
      out.notes.push(`${r}: DuckDB probe not run: ${msg.split("\n")[0]}`);
      out.summary = "not run (extensions)";
      out.ok = true;
      return out;
    }
    out.problems.push(`${r}: DuckDB cannot attach the lake as this reader: ${msg.split("\n")[0]}`);
    out.summary = "attach failed";
    return out;
  }
  try {
    const c = session.connection;
    try {
      await c.run(`USE ${duckIdent(LAKE_ALIAS)}`);
    } catch (e) {
      out.problems.push(
        `${r}: DuckDB attached the lake but cannot USE it (${explainError(e).split("\n")[0]}): the reader lacks the lake's default schema`,
      );
    }
    let listed: string[];
    try {
      listed = await listTables(c);
    } catch (e) {
      out.problems.push(`${r}: DuckDB cannot list the lake's tables as this reader: ${explainError(e).split("\n")[0]}`);
      out.summary = "list failed";
      return out;
    }
    const want = expected.map((t) => `${t.schema}.${t.table}`).sort();
    const extra = listed.filter((t) => !want.includes(t));
    const missing = want.filter((t) => !listed.includes(t));
    if (extra.length) out.problems.push(`${r}: DuckDB lists ${extra.join(", ")} although not granted: the reader sees too much`);
    if (missing.length) out.problems.push(`${r}: DuckDB does not list granted ${missing.join(", ")}`);
    const target = readable ?? expected[0];
    let read = "nothing granted to read";
    if (target) {
      try {
        const q = `SELECT * FROM ${duckIdent(LAKE_ALIAS)}.${duckIdent(target.schema)}.${duckIdent(target.table)} LIMIT 1`;
        const n = (await c.runAndReadAll(q)).getRows().length;
        read = `read ${target.schema}.${target.table} (${n} row${n === 1 ? "" : "s"})`;
      } catch (e) {
        out.problems.push(`${r}: DuckDB cannot read granted ${target.schema}.${target.table}: ${explainError(e).split("\n")[0]}`);
        read = `read ${target.schema}.${target.table} failed`;
      }
    }
    out.summary = `${listed.length} table${listed.length === 1 ? "" : "s"} listed; ${read}`;
    out.ok = out.problems.length === 0;
    return out;
  } finally {
    session.close();
  }
}

/** verify's row for the probe: object "(duckdb)", catalog = what DuckDB listed, s3 = what it read. */
export async function verifyReaderWithDuckDB(
  info: LakeConnectionInfo,
  reader: ReaderConnection,
  grants: GrantLike[],
  inventory: LakeInventory,
  report: VerifyReport,
): Promise<void> {
  const { ids } = expectedTables(grants, inventory.tables);
  const granted = inventory.tables.filter((t) => ids.has(t.tableId));
  // Prefer a table with a data file, so the read goes through the reader's S3 key too.
  const withFile = granted.find((t) => inventory.probeFiles.get(t.tableId)?.key !== undefined);
  const res = await probeReaderWithDuckDB(info, reader, granted, withFile);
  report.problems.push(...res.problems);
  report.notes.push(...res.notes);
  report.rows.push({
    reader: reader.name,
    object: "(duckdb attach, list, read)",
    expected: granted.length ? "read" : "none",
    catalog: res.summary.split("; ")[0],
    s3: res.summary.split("; ")[1] ?? "-",
    ok: res.ok,
  });
}
