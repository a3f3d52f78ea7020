// One shape for "how to reach a lake": what the Pulumi program exports as the secret stack output
// `lakeConnection`, what a connection file given with --from / DUCKLAKE_CONNECTION holds (written from that
// output or by hand: docs/workflows.md#writing-a-connection-file), and what every workflow CLI reads.
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { CatalogConnection } from "../model/connection";
import { LakeConnectionInfo, ReaderConnection, S3KeyPair } from "../model/lakeConnection";
import { lakeNameProblem, readerNameProblem, DEFAULT_CATALOG_SCHEMA } from "../model/names";
import { CliError } from "./errors";
import { parseGrantRows } from "../model/rowFilter";

// The shape itself is the program's contract with the CLIs: model/lakeConnection.ts (index.ts checks it with `satisfies`).
export type { LakeConnectionInfo, ReaderConnection, S3KeyPair } from "../model/lakeConnection";

/** Name of the stack output holding a LakeConnectionInfo. */
export const STACK_OUTPUT_NAME = "lakeConnection";

type Obj = Record<string, unknown>;

function obj(v: unknown, path: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new CliError(`${path}: expected an object`);
  return v as Obj;
}
function str(o: Obj, key: string, path: string, opts: { optional?: boolean; empty?: boolean } = {}): string {
  const v = o[key];
  if (v === undefined && opts.optional) return "";
  if (typeof v !== "string" || (!opts.empty && v.length === 0))
    throw new CliError(`${path}.${key}: expected a non-empty string, got ${v === undefined ? "nothing" : JSON.stringify(typeof v)}`);
  return v;
}
function port(o: Obj, path: string): number {
  const v = typeof o.port === "string" ? Number(o.port) : o.port;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535)
    throw new CliError(`${path}.port: expected an integer 1..65535, got ${JSON.stringify(o.port)}`);
  return v;
}
function keyPair(v: unknown, path: string): S3KeyPair {
  const o = obj(v, path);
  return { accessKey: str(o, "accessKey", path), secretKey: str(o, "secretKey", path) };
}
function projectId(o: Obj, key: string, path: string): string {
  const v = typeof o[key] === "number" ? String(o[key]) : str(o, key, path);
  if (!/^[0-9]+$/.test(v)) throw new CliError(`${path}.${key}: expected a numeric Hetzner project id, got ${JSON.stringify(v)}`);
  return v;
}

/** Validates untrusted JSON into a LakeConnectionInfo; errors name the bad field. */
export function parseLakeConnectionInfo(json: unknown, source = "connection info"): LakeConnectionInfo {
  const root = obj(json, source);
  const c = obj(root.catalog, "catalog");
  const sslmode = c.sslmode ?? "disable";
  if (sslmode !== "disable" && sslmode !== "require" && sslmode !== "verify-full")
    throw new CliError(`catalog.sslmode: expected disable, require or verify-full, got ${JSON.stringify(sslmode)}`);
  const schema = c.schema === undefined ? DEFAULT_CATALOG_SCHEMA : str(c, "schema", "catalog");
  const catalog: LakeConnectionInfo["catalog"] = {
    host: str(c, "host", "catalog"),
    port: port(c, "catalog"),
    database: str(c, "database", "catalog"),
    user: str(c, "user", "catalog"),
    password: str(c, "password", "catalog"),
    sslmode,
    schema,
    ...(typeof c.sslRootCert === "string" ? { sslRootCert: c.sslRootCert } : {}),
  };
  if (sslmode === "verify-full" && !catalog.sslRootCert)
    throw new CliError("catalog.sslRootCert: required with sslmode verify-full (PEM of the CA that signed the server certificate)");

  const s = obj(root.storage, "storage");
  const bucket = str(s, "bucket", "storage");
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new CliError(`storage.bucket: ${JSON.stringify(bucket)} is not a valid bucket name (3-63 of a-z, 0-9, . and -)`);
  let dataPrefix = str(s, "dataPrefix", "storage", { optional: true, empty: true });
  if (dataPrefix.startsWith("/"))
    throw new CliError(`storage.dataPrefix: must be relative to the bucket (no leading /), got ${JSON.stringify(dataPrefix)}`);
  if (dataPrefix && !dataPrefix.endsWith("/")) dataPrefix += "/";
  const endpoint = str(s, "endpoint", "storage");
  if (!/^https?:\/\/[^/\s]+\/?$/.test(endpoint))
    throw new CliError(`storage.endpoint: expected a URL like https://fsn1.your-objectstorage.com, got ${JSON.stringify(endpoint)}`);
  const storage: LakeConnectionInfo["storage"] = {
    bucket,
    dataPrefix,
    endpoint: endpoint.replace(/\/$/, ""),
    region: str(s, "region", "storage", { optional: true }) || "us-east-1",
    adminProjectId: projectId(s, "adminProjectId", "storage"),
    admin: keyPair(s.admin, "storage.admin"),
  };

  if (!Array.isArray(root.readers)) throw new CliError("readers: expected a list (may be empty)");
  const seen = new Set<string>();
  const readers = root.readers.map((r, i): ReaderConnection => {
    const path = `readers[${i}]`;
    const ro = obj(r, path);
    const name = str(ro, "name", path);
    const problem = readerNameProblem(name);
    if (problem) throw new CliError(`${path}.name: ${problem}`);
    if (seen.has(name)) throw new CliError(`${path}.name: reader ${name} is listed twice`);
    seen.add(name);
    const s3o = obj(ro.s3, `${path}.s3`);
    const s3 = { ...keyPair(s3o, `${path}.s3`), projectId: projectId(s3o, "projectId", `${path}.s3`) };
    const out: ReaderConnection = { name, password: str(ro, "password", path), s3 };
    if (ro.grants !== undefined) {
      if (!Array.isArray(ro.grants)) throw new CliError(`${path}.grants: expected a list`);
      out.grants = ro.grants.map((g, j) => {
        const gp = `${path}.grants[${j}]`;
        const go = obj(g, gp);
        const schemaName = str(go, "schema", gp);
        const sp = lakeNameProblem(schemaName);
        if (sp) throw new CliError(`${gp}.schema: ${sp}`);
        if (go.table === undefined || go.table === null) return { schema: schemaName };
        const table = str(go, "table", gp);
        const tp = lakeNameProblem(table);
        if (tp) throw new CliError(`${gp}.table: ${tp}`);
        if (go.rows === undefined || go.rows === null) return { schema: schemaName, table };
        // A partition grant's filter: re-validated as access.ts is (the file is untrusted input).
        const parsed = parseGrantRows(
          Array.isArray(go.rows)
            ? Object.fromEntries(
                (go.rows as { key?: unknown; values?: unknown }[]).map((k) => [String(k?.key ?? ""), k?.values as unknown[]]),
              )
            : go.rows,
        );
        if (parsed.problems.length) throw new CliError(`${gp}.rows: ${parsed.problems.join("; ")}`);
        return { schema: schemaName, table, rows: parsed.rows };
      });
    }
    return out;
  });
  return { ...(typeof root.stack === "string" ? { stack: root.stack } : {}), catalog, storage, readers };
}

/** Connection for one reader: the catalog's server and TLS settings with the reader's own login. */
export function readerCatalogConnection(info: LakeConnectionInfo, reader: ReaderConnection): CatalogConnection {
  const { schema: _schema, ...server } = info.catalog;
  return { ...server, user: reader.name, password: reader.password };
}

/** Finds a reader by name or fails with the list of known readers. */
export function findReader(info: LakeConnectionInfo, name: string): ReaderConnection {
  const r = info.readers.find((x) => x.name === name);
  if (!r)
    throw new CliError(
      `no reader named ${JSON.stringify(name)} in the connection info; known readers: ${info.readers.map((x) => x.name).join(", ") || "(none)"}`,
    );
  return r;
}

export interface ConnectionSource {
  /** --from <file> */
  from?: string;
  /** --stack <name>: read the `lakeConnection` output with the Pulumi CLI. */
  stack?: string;
  /** Environment (DUCKLAKE_CONNECTION = a file path or inline JSON). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads connection info from, in order: --from <file>, --stack <name> (pulumi stack output),
 * DUCKLAKE_CONNECTION (file path or inline JSON). Fails with a message listing the three ways.
 */
export function loadLakeConnectionInfo(src: ConnectionSource, warn: (m: string) => void = () => undefined): LakeConnectionInfo {
  const env = src.env ?? process.env;
  if (src.from) return parseLakeConnectionInfo(readJsonFile(src.from, warn), src.from);
  if (src.stack) return fromStack(src.stack, env);
  const fromEnv = env.DUCKLAKE_CONNECTION;
  if (fromEnv) {
    if (fromEnv.trimStart().startsWith("{"))
      return parseLakeConnectionInfo(parseJson(fromEnv, "DUCKLAKE_CONNECTION"), "DUCKLAKE_CONNECTION");
    return parseLakeConnectionInfo(readJsonFile(fromEnv, warn), fromEnv);
  }
  throw new CliError(
    "no connection info: pass --stack <stack> (reads the `lakeConnection` stack output), " +
      `--from <file.json>, or set DUCKLAKE_CONNECTION to a file path or JSON (${CONNECTION_FILE_DOCS})`,
  );
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`${source}: not valid JSON (${(e as Error).message})`);
  }
}

function readJsonFile(file: string, warn: (m: string) => void): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read connection file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // The file holds passwords and keys: say so when others can read it.
  const mode = fs.statSync(file).mode;
  if ((mode & 0o077) !== 0)
    warn(`warning: ${file} holds secrets but is readable by others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${file}`);
  return parseJson(text, file);
}

/** The docs section on making a connection file; the CLIs point here when they cannot read the stack. */
export const CONNECTION_FILE_DOCS = "docs/workflows.md#writing-a-connection-file";

const REPO_ROOT = path.resolve(__dirname, "..");

/**
 * The environment `pulumi` needs to find a stack. The `local` stack lives where `npm start`
 * (scripts/start-local-stack.sh) puts it: Pulumi's file backend in <repo>/.pulumi-state, secrets under
 * the passphrase provider with the default passphrase `ducklake-local` unless one is set.
 */
export function pulumiEnvForStack(stack: string, env: NodeJS.ProcessEnv, repo = REPO_ROOT): NodeJS.ProcessEnv {
  if (stack !== "local") return env;
  const out: NodeJS.ProcessEnv = { ...env, PULUMI_BACKEND_URL: `file://${repo}/.pulumi-state`, PULUMI_SKIP_UPDATE_CHECK: "1" };
  if (env.PULUMI_CONFIG_PASSPHRASE === undefined && !env.PULUMI_CONFIG_PASSPHRASE_FILE) out.PULUMI_CONFIG_PASSPHRASE = "ducklake-local";
  return out;
}

/** What to do when `--stack` cannot be read: the way forward for this stack, and the file alternative. */
function stackNextSteps(stack: string): string {
  const deploy = stack === "local" ? "run `npm start` to deploy the local stack" : `log in to the backend of stack ${stack} (pulumi login)`;
  return (
    `next: install it (curl -fsSL https://get.pulumi.com | sh), ${deploy}, then run this again;\n` +
    `      or pass --from <file> (or set DUCKLAKE_CONNECTION) with a connection file: ${CONNECTION_FILE_DOCS} says how to write one`
  );
}

function fromStack(stack: string, env: NodeJS.ProcessEnv): LakeConnectionInfo {
  if (!/^[A-Za-z0-9_./-]+$/.test(stack)) throw new CliError(`--stack: ${JSON.stringify(stack)} is not a stack name`);
  let out: string;
  try {
    out = execFileSync("pulumi", ["stack", "output", STACK_OUTPUT_NAME, "--json", "--show-secrets", "--stack", stack], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      cwd: REPO_ROOT,
      env: pulumiEnvForStack(stack, env),
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT")
      throw new CliError(
        `--stack ${stack} reads the stack output ${STACK_OUTPUT_NAME} with the Pulumi CLI, which is not installed (or not on PATH).\n` +
          stackNextSteps(stack),
      );
    const hint =
      stack === "local" ? "\nnext: has `npm start` deployed the local stack? It creates the stack and its lakeConnection output." : "";
    throw new CliError(`pulumi stack output ${STACK_OUTPUT_NAME} --stack ${stack} failed: ${(err.stderr ?? err.message).trim()}${hint}`);
  }
  return parseLakeConnectionInfo(parseJson(out, `stack ${stack}`), `stack ${stack} output ${STACK_OUTPUT_NAME}`);
}
