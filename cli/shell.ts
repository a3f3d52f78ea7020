// `npm run shell [-- --reader <name>]`: an interactive DuckDB session on the lake (a small REPL over
// @duckdb/node-api, since the duckdb CLI binary is not required): `;`-terminated statements, tabular
// output, `.quit` to leave. Readers get their own credentials and a READ_ONLY attach. `--no-lake`
// opens plain in-memory DuckDB (no extensions), e.g. to try SQL or to test the shell itself.
import * as readline from "readline";
import { DuckDBConnection } from "@duckdb/node-api";
import { parseCommandArgs } from "./args";
import { runMain } from "./errors";
import { findReader, loadLakeConnectionInfo } from "./connectionInfo";
import { DuckSession, openDuckDB, openLakeSession } from "./duckdbSession";
import { splitStatements } from "./statements";
import { formatTable } from "./table";

export interface ShellIo {
  input: NodeJS.ReadableStream;
  out: (s: string) => void;
  err: (s: string) => void;
  interactive: boolean;
}

/** Runs one statement and renders its result as a table (or a short confirmation). */
export async function runStatement(c: DuckDBConnection, sql: string): Promise<string> {
  const reader = await c.runAndReadAll(sql);
  const names = reader.columnNames();
  if (names.length === 0) return "ok";
  const rows = reader.getRowsJson().map((r) => r.map((v) => (v === null ? null : typeof v === "object" ? JSON.stringify(v) : String(v))));
  return `${formatTable(names, rows)}\n(${rows.length} row${rows.length === 1 ? "" : "s"})`;
}

const HELP = "Enter SQL statements ending with ;  — .tables lists lake tables, .quit leaves.";

/** The read-eval-print loop; resolves with the number of failed statements. */
export async function repl(c: DuckDBConnection, io: ShellIo, prompt = "lake> "): Promise<number> {
  const rl = readline.createInterface({ input: io.input, terminal: false });
  let buffer = "";
  let failures = 0;
  const showPrompt = () => {
    if (io.interactive) io.out(buffer ? "   ...> " : prompt);
  };
  const exec = async (sql: string) => {
    try {
      io.out(`${await runStatement(c, sql)}\n`);
    } catch (e) {
      failures++;
      io.err(`Error: ${(e as Error).message.split("\n")[0]}\n`);
    }
  };
  showPrompt();
  for await (const line of rl) {
    const trimmed = line.trim();
    if (!buffer && trimmed.startsWith(".")) {
      if (trimmed === ".quit" || trimmed === ".exit") break;
      if (trimmed === ".help") io.out(`${HELP}\n`);
      else if (trimmed === ".tables") await exec("SELECT database_name, schema_name, table_name FROM duckdb_tables() ORDER BY ALL");
      else {
        failures++;
        io.err(`Error: unknown command ${trimmed} (${HELP})\n`);
      }
      showPrompt();
      continue;
    }
    buffer += `${line}\n`;
    const { statements, rest } = splitStatements(buffer);
    buffer = rest.trim() ? rest : "";
    for (const s of statements) await exec(s);
    showPrompt();
  }
  if (buffer.trim()) await exec(buffer.trim()); // last statement without `;` at end of input
  rl.close();
  return failures;
}

const USAGE = "usage: npm run shell -- [--stack <s> | --from <file>] [--reader <name>] [--no-lake]";

export async function main(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { reader: { type: "string" }, "no-lake": { type: "boolean" } }, USAGE);
  if (args.help) {
    process.stdout.write(`${USAGE}\n${HELP}\n`);
    return 0;
  }
  const progress = (m: string) => process.stderr.write(`${m}\n`);
  let session: DuckSession;
  let prompt = "lake> ";
  if (args.values["no-lake"]) {
    session = await openDuckDB();
    prompt = "duckdb> ";
  } else {
    const info = loadLakeConnectionInfo(args.source, progress);
    const reader = typeof args.values.reader === "string" ? findReader(info, args.values.reader) : undefined;
    session = await openLakeSession(info, { reader, progress });
    await session.connection.run("USE lake");
    if (reader) prompt = `lake(${reader.name})> `;
    progress(`connected${reader ? ` as reader ${reader.name} (read-only)` : " as owner"}; ${HELP}`);
  }
  try {
    const failures = await repl(
      session.connection,
      {
        input: process.stdin,
        out: (s) => process.stdout.write(s),
        err: (s) => process.stderr.write(s),
        interactive: process.stdin.isTTY === true,
      },
      prompt,
    );
    return failures > 0 && process.stdin.isTTY !== true ? 1 : 0;
  } finally {
    session.close();
  }
}

if (require.main === module) runMain(() => main(process.argv.slice(2)));
