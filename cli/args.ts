// Command-line parsing shared by the workflow CLIs (node's util.parseArgs, strict), with the
// connection-source flags every command takes.
import { parseArgs } from "util";
import { CliError } from "./errors";
import { ConnectionSource } from "./connectionInfo";

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
