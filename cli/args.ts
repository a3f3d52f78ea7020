// Command-line parsing shared by the workflow CLIs (node's util.parseArgs, strict), with the
// connection-source flags every command takes.
import { parseArgs } from "util";
import { CliError } from "./errors";
import { ConnectionSource, LakeConnectionInfo, loadLakeConnectionInfo } from "./connectionInfo";

export type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;

const CONNECTION_OPTIONS: OptionSpec = {
  from: { type: "string" },
  stack: { type: "string" },
  help: { type: "boolean", short: "h" },
};

export interface ParsedArgs {
  source: ConnectionSource;
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  help: boolean;
}

/** Parses argv (without node and script) for a command; unknown flags fail with the command's usage. */
export function parseCommandArgs(argv: string[], options: OptionSpec, usage: string): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...CONNECTION_OPTIONS, ...options }, strict: true, allowPositionals: false });
  } catch (e) {
    throw new CliError(`${(e as Error).message.split("\n")[0]}\n${usage}`);
  }
  const values = parsed.values as ParsedArgs["values"];
  if (values.from !== undefined && values.stack !== undefined) throw new CliError(`pass either --from or --stack, not both\n${usage}`);
  return {
    source: { from: values.from as string | undefined, stack: values.stack as string | undefined },
    values,
    help: values.help === true,
  };
}

/** Parses a TPC-H scale factor: a number in (0, 1000]. */
export function parseScaleFactor(text: string | undefined, fallback = 0.01): number {
  if (text === undefined) return fallback;
  const sf = Number(text);
  if (!/^\s*[0-9]*\.?[0-9]+(e-?[0-9]+)?\s*$/i.test(text) || !Number.isFinite(sf) || sf <= 0 || sf > 1000)
    throw new CliError(
      `--sf: expected a scale factor greater than 0 and at most 1000 (e.g. 0.01 = ~86k rows, 1 = ~8.7M rows), got ${JSON.stringify(text)}`,
    );
  return sf;
}

/**
 * main() of a read-only report command (`--json` plus the connection flags): builds the report for the
 * lake, prints it as JSON or as text, and exits 0 when it is good, 1 otherwise.
 */
export async function runReportCommand<R>(
  argv: string[],
  usage: string,
  build: (info: LakeConnectionInfo) => Promise<R>,
  view: { good: (r: R) => boolean; json: (r: R) => object; text: (r: R) => string },
): Promise<number> {
  const args = parseCommandArgs(argv, { json: { type: "boolean" } }, usage);
  if (args.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const info = loadLakeConnectionInfo(args.source, (m) => process.stderr.write(`${m}\n`));
  const r = await build(info);
  process.stdout.write(args.values.json ? `${JSON.stringify(view.json(r), null, 2)}\n` : `${view.text(r)}\n`);
  return view.good(r) ? 0 : 1;
}
