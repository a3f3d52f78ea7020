// `npm run access-log`: who granted or revoked which catalog ACL entry, when, from which session — read from
// the catalog database itself (ducklake_guard.acl_log, guard migration 005), as the catalog owner.
// Exit 0 when the log was read (even when nothing matched), 2 on errors.
import { parseCommandArgs, ParsedArgs } from "./args";
import { CliError, runMain } from "./errors";
import { loadLakeConnectionInfo } from "./connectionInfo";
import { connectCatalog } from "../postgres/connection";
import { formatTable } from "./table";
import { aclLogFilterProblems, AclLogEntry, AclLogFilter, readAclLog } from "../postgres/guardClient";

export const USAGE =
  "usage: npm run access-log -- [--stack <s> | --from <file>] [--reader <role>] [--schema <s> [--table <t>]] " +
  "[--since <ISO 8601 time>] [--limit <n>] [--json]";
export const DEFAULT_LIMIT = 100;

export interface AccessLogArgs {
  source: ParsedArgs["source"];
  filter: AclLogFilter & { limit: number };
  json: boolean;
  help: boolean;
}

// A date, or a date and time with its zone: a time without a zone would be read in this machine's zone.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;

/** Parses --since: `2025-01-31` (UTC midnight) or a time with a zone, e.g. `2025-01-31T09:30:00+01:00`. */
export function parseSince(text: string): Date {
  const t = text.trim();
  if (!ISO_DATE.test(t) && !ISO_TIME.test(t)) {
    const hint = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t)
      ? " (add Z or an offset such as +01:00: a time without a zone is ambiguous)"
      : "";
    throw new CliError(
      `--since: expected an ISO 8601 date or time such as 2025-01-31 or 2025-01-31T09:30:00Z, got ${JSON.stringify(text)}${hint}`,
    );
  }
  const d = new Date(ISO_DATE.test(t) ? `${t}T00:00:00Z` : t.replace(" ", "T"));
  // Date rolls 2025-02-30 over into March: the calendar day must exist as written.
  const [y, m, day] = t.slice(0, 10).split("-").map(Number);
  const cal = new Date(Date.UTC(y, m - 1, day));
  if (Number.isNaN(d.getTime()) || cal.getUTCMonth() !== m - 1 || cal.getUTCDate() !== day)
    throw new CliError(`--since: ${JSON.stringify(text)} is not a real date or time`);
  return d;
}

/** Parses --limit: a whole number from 1 to 100,000. */
export function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const n = Number(text);
  if (!/^\s*[0-9]+\s*$/.test(text) || !Number.isInteger(n) || n < 1 || n > 100_000)
    throw new CliError(`--limit: expected a whole number from 1 to 100000, got ${JSON.stringify(text)}`);
  return n;
}

/** argv (without node and script) → what to read and how to print it; bad input fails with the usage. */
export function parseAccessLogArgs(argv: string[]): AccessLogArgs {
  const args = parseCommandArgs(
    argv,
    {
      reader: { type: "string" },
      schema: { type: "string" },
      table: { type: "string" },
      since: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
    },
    USAGE,
  );
  const v = args.values as Record<string, string | boolean | undefined>;
  const filter: AccessLogArgs["filter"] = { limit: parseLimit(v.limit as string | undefined) };
  for (const k of ["reader", "schema", "table"] as const) if (typeof v[k] === "string") filter[k] = v[k] as string;
  if (typeof v.since === "string") filter.since = parseSince(v.since);
  const problems = aclLogFilterProblems(filter);
  if (problems.length) throw new CliError(`${problems.map((p) => `--${p}`).join("; ")}\n${USAGE}`);
  return { source: args.source, filter, json: v.json === true, help: args.help };
}

const idsText = (schemaId: unknown, tableId: unknown) =>
  tableId === null || tableId === undefined ? `${schemaId}` : `${schemaId}/${tableId}`;

/** The log as a table: one line per change, oldest first, and a closing line saying how much was shown. */
export function formatAclLog(entries: AclLogEntry[], limit: number): string {
  const headers = ["id", "at (UTC)", "action", "reader", "schema", "table", "ids", "by", "application", "client", "pid", "txid"];
  const rows = entries.map((e) => {
    const was = e.previous ? idsText(e.previous.schema_id, e.previous.table_id) : undefined;
    const ids = idsText(e.schemaId, e.tableId) + (was !== undefined && was !== idsText(e.schemaId, e.tableId) ? ` (was ${was})` : "");
    return [
      e.id,
      e.at.toISOString(),
      e.action,
      e.reader,
      e.schema,
      e.table ?? "(whole schema)",
      ids,
      e.sessionUser === e.currentUser ? e.sessionUser : `${e.sessionUser} as ${e.currentUser}`,
      e.applicationName ?? "",
      e.clientAddr ?? "local",
      e.backendPid,
      e.txid,
    ];
  });
  const lines = entries.length ? [formatTable(headers, rows)] : [];
  lines.push(
    entries.length === 0
      ? "access-log: no ACL changes match"
      : entries.length >= limit
        ? `access-log: the newest ${entries.length} change(s) shown; older ones may exist (raise --limit or narrow with --since)`
        : `access-log: ${entries.length} change(s)`,
  );
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const args = parseAccessLogArgs(argv);
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const info = loadLakeConnectionInfo(args.source, (m) => process.stderr.write(`${m}\n`));
  const client = await connectCatalog(info.catalog, info.catalog.schema, "access-log");
  let entries: AclLogEntry[];
  try {
    entries = await readAclLog(client, args.filter);
  } finally {
    await client.end();
  }
  process.stdout.write(args.json ? `${JSON.stringify(entries, null, 2)}\n` : `${formatAclLog(entries, args.filter.limit)}\n`);
  return 0;
}

if (require.main === module) runMain(() => main(process.argv.slice(2)));
