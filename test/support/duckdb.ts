// The real DuckDB client in tests: the project's own session code (cli/duckdbSession.ts, which uses the
// offline extensions of ../shared/duckdb or DUCKLAKE_DUCKDB_EXTENSIONS when present). In CI (CI=true)
// a missing extension fails the suite; elsewhere the suite is skipped with a message saying why.
import { spawnSync } from "child_process";
import { DuckDBConnection } from "@duckdb/node-api";
import { repoRoot } from "./services";
import { splitStatements } from "../../cli/statements";

export const TEST_EXTENSIONS = ["ducklake", "postgres", "httpfs", "tpch"] as const;

let probed: { name: string; reason: string }[] | undefined;

/** The extensions this machine cannot load, probed once per test file in a child process (synchronously). */
export function missingDuckDBExtensions(): { name: string; reason: string }[] {
  if (probed) return probed;
  const script = `
    require("ts-node").register({ transpileOnly: true });
    const { openDuckDB, missingExtensions } = require("./cli/duckdbSession");
    (async () => {
      const s = await openDuckDB();
      try { process.stdout.write(JSON.stringify(await missingExtensions(s.connection, ${JSON.stringify(TEST_EXTENSIONS)}))); }
      finally { s.close(); }
    })().catch((e) => { process.stdout.write(JSON.stringify([{ name: "duckdb", reason: e.message }])); });`;
  const r = spawnSync(process.execPath, ["-e", script], { cwd: repoRoot, encoding: "utf8", timeout: 120_000 });
  probed =
    r.status === 0 && r.stdout
      ? JSON.parse(r.stdout)
      : [{ name: "duckdb", reason: `probe failed: ${(r.stderr || r.error?.message || "").split("\n")[0]}` }];
  return probed!;
}

/**
 * `describe` for suites that need the real client. CI must run them: a missing extension throws there
 * (the file fails). Locally without the extensions the suite is skipped with a console warning.
 */
export function describeWithDuckDB(name: string, fn: () => void): void {
  const missing = missingDuckDBExtensions();
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  const why =
    `DuckDB extension(s) ${missing.map((m) => m.name).join(", ")} cannot be loaded (${missing[0].reason}); ` +
    "put the offline build at ../shared/duckdb/extensions or set DUCKLAKE_DUCKDB_EXTENSIONS";
  if (process.env.CI === "true" || process.env.CI === "1") throw new Error(`${name}: ${why}. DuckDB tests must run in CI.`);
  console.warn(`SKIPPED ${name}: ${why}`);
  describe.skip(name, fn);
}

/** Runs a pasted setup (e.g. renderReaderSetup's text) statement by statement, as a user's client would. */
export async function runPasted(c: DuckDBConnection, text: string): Promise<void> {
  const { statements, rest } = splitStatements(text);
  for (const s of [...statements, ...(rest.trim() ? [rest] : [])]) {
    const sql = s
      .split("\n")
      .filter((l) => !l.trim().startsWith("--"))
      .join("\n")
      .trim();
    if (sql) await c.run(sql);
  }
}

/** All rows of a query as plain JSON values (BIGINT → string), for comparisons. */
export async function rows(c: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await c.runAndReadAll(sql)).getRowsJson() as unknown[][];
}

/** The first value of the first row, as JSON. */
export async function scalar(c: DuckDBConnection, sql: string): Promise<unknown> {
  return (await rows(c, sql))[0][0];
}
