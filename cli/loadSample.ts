// `npm run load-sample [-- --sf 0.1]`: TPC-H (DuckDB's tpch extension, CALL dbgen) into the lake's
// `tpch` schema, one progress line per table. Idempotent: a table already holding the generated
// row count is skipped; a table with other contents has its rows replaced in one transaction
// (DELETE + INSERT keeps the table and its id, which grants are bound to).
import { DuckDBConnection } from "@duckdb/node-api";
import { parseCommandArgs, parseScaleFactor } from "./args";
import { runMain } from "./errors";
import { loadLakeConnectionInfo } from "./connectionInfo";
import { openLakeSession } from "./duckdbSession";
import { dbgenStatement, LAKE_ALIAS, SAMPLE_SCHEMA, sampleAction, SampleAction, sampleSql, TPCH_TABLES } from "./duckdbSql";

export interface SampleTableResult {
  table: string;
  action: SampleAction;
  rows: bigint;
  seconds: number;
}

async function scalar(c: DuckDBConnection, sql: string, values?: string[]): Promise<bigint> {
  const r = await c.runAndReadAll(sql, values);
  return BigInt(r.getRows()[0][0] as number | bigint);
}

/** Generates TPC-H at `sf` in memory and copies it into lake.tpch; the lake must be attached as `lake`. */
export async function loadSample(c: DuckDBConnection, sf: number, progress: (m: string) => void): Promise<SampleTableResult[]> {
  progress(`generating TPC-H at scale factor ${sf}…`);
  for (const t of TPCH_TABLES) await c.run(sampleSql.dropSource(t));
  await c.run(dbgenStatement(sf));
  return copySampleTables(c, progress);
}

/** Copies the generated tables (memory.main.<table>) into lake.tpch, idempotently, one progress line each. */
export async function copySampleTables(c: DuckDBConnection, progress: (m: string) => void): Promise<SampleTableResult[]> {
  await c.run(sampleSql.createSchema);
  const results: SampleTableResult[] = [];
  for (const [i, table] of TPCH_TABLES.entries()) {
    const started = Date.now();
    const generated = await scalar(c, sampleSql.count(sampleSql.source(table)));
    const exists = (await scalar(c, sampleSql.tableExists, [LAKE_ALIAS, SAMPLE_SCHEMA, table])) > 0n;
    const current = exists ? await scalar(c, sampleSql.count(sampleSql.target(table))) : null;
    const action = sampleAction(exists, current, generated);
    if (action === "create") await c.run(sampleSql.create(table));
    if (action === "replace") {
      await c.run("BEGIN TRANSACTION");
      try {
        for (const s of sampleSql.replace(table)) await c.run(s);
        await c.run("COMMIT");
      } catch (e) {
        await c.run("ROLLBACK");
        throw e;
      }
    }
    const seconds = (Date.now() - started) / 1000;
    results.push({ table, action, rows: generated, seconds });
    const verb = action === "skip" ? "already loaded" : action === "create" ? "created" : "replaced";
    progress(`[${i + 1}/${TPCH_TABLES.length}] ${SAMPLE_SCHEMA}.${table}: ${generated} rows ${verb} (${seconds.toFixed(1)} s)`);
  }
  return results;
}

const USAGE = "usage: npm run load-sample -- [--stack <s> | --from <file>] [--sf 0.01]";

export async function main(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { sf: { type: "string" } }, USAGE);
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const sf = parseScaleFactor(args.values.sf as string | undefined);
  const progress = (m: string) => process.stderr.write(`${m}\n`);
  const info = loadLakeConnectionInfo(args.source, progress);
  const session = await openLakeSession(info, { progress, extraExtensions: ["tpch"] });
  try {
    const results = await loadSample(session.connection, sf, progress);
    const total = results.reduce((n, r) => n + r.rows, 0n);
    process.stdout.write(`load-sample: ${results.length} tables, ${total} rows in lake.${SAMPLE_SCHEMA} (sf ${sf})\n`);
    return 0;
  } finally {
    session.close();
  }
}

if (require.main === module) runMain(() => main(process.argv.slice(2)));
