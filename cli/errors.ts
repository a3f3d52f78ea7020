// Errors a user can act on. CLIs print these as one clear message (never a stack trace) and exit 2;
// a check that ran and found a problem exits 1 instead (see runMain).

/** A problem the user can fix; `message` says what is wrong and how to fix it. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
  name?: unknown;
}

/** Turns a low-level error (network, PostgreSQL, S3, DuckDB) into a message saying what to do. */
export function explainError(err: unknown, context = ""): string {
  const e = (err ?? {}) as ErrorLike;
  const msg = typeof e.message === "string" ? e.message : String(err);
  const where = context ? `${context}: ` : "";
  if (err instanceof CliError) return msg;
  const code = typeof e.code === "string" ? e.code : "";
  if (code === "ECONNREFUSED" || /ECONNREFUSED/.test(msg))
    return `${where}connection refused (${msg}). Is the service running? For the local stack run \`npm run local:up\`.`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `${where}host not found (${msg}). Check the host name in the connection info.`;
  if (code === "ETIMEDOUT" || /timeout/i.test(msg))
    return `${where}timed out (${msg}). Check the address and the firewall / IP allow-list.`;
  if (code === "28P01") return `${where}PostgreSQL rejected the password (${msg}). Check the password in the connection info.`;
  if (code === "3D000") return `${where}${msg}. Check catalog.database, or run \`pulumi up\` to create the catalog.`;
  if (/Extension .* (not found|is an existing extension)|Failed to download extension/i.test(msg)) {
    const name = /extension "?([a-z_]+)"?/i.exec(msg)?.[1] ?? "a DuckDB extension";
    return (
      `${where}DuckDB extension ${name} is not available: it is neither installed nor downloadable here ` +
      `(${firstLine(msg)}). Install it on a machine with internet access (INSTALL ${name}) or point ` +
      "DUCKDB_EXTENSION_DIRECTORY at a directory holding it."
    );
  }
  if (e.$metadata?.httpStatusCode === 403) return `${where}access denied by S3 (403). Check the key and the bucket policy.`;
  return `${where}${firstLine(msg)}`;
}

function firstLine(s: string): string {
  return s.split("\n")[0];
}

/**
 * Runs a CLI entry point: exit code from `fn` (0 healthy, 1 problems found), 2 with a one-line
 * explanation for errors. Set DUCKLAKE_DEBUG=1 to see the stack.
 */
export function runMain(fn: () => Promise<number>): void {
  quietNodeVersionWarning();
  fn().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`error: ${explainError(err)}\n`);
      if (process.env.DUCKLAKE_DEBUG === "1" && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = 2;
    },
  );
}

/** Read by the AWS SDK when it makes a client: set, it skips its warning about future node versions. */
export const SDK_NODE_WARNING_ENV = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

/**
 * The pinned AWS SDK warns on every run under node 20 that releases after January 2027 will need node 22:
 * known, harmless for this pinned version, and noise in a CLI's output. Only that warning is switched off,
 * with the SDK's own setting (its message arrives as a plain "Warning", so filtering by name cannot work).
 */
export function quietNodeVersionWarning(env: NodeJS.ProcessEnv = process.env): void {
  if (env[SDK_NODE_WARNING_ENV] === undefined) env[SDK_NODE_WARNING_ENV] = "true";
}
