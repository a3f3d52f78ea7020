// Opens a DuckDB session on the lake: loads ducklake/postgres/httpfs (a progress line each), creates
// the secrets and attaches the lake. Failures become one CliError naming what is missing.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { LakeConnectionInfo, ReaderConnection } from "./connectionInfo";
import { CliError, explainError } from "./errors";
import { duckString, extensionStatements, LAKE_EXTENSIONS, lakeSessionStatements } from "./duckdbSql";
import { findOfflineExtensions, instanceOptions } from "./duckdbExtensions";

export interface DuckSession {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  close(): void;
}

/** An in-memory DuckDB; with an offline extension folder (duckdbExtensions.ts) when there is one. */
export async function openDuckDB(): Promise<DuckSession> {
  let offline;
  try {
    offline = findOfflineExtensions();
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const instance = await DuckDBInstance.create(":memory:", instanceOptions(offline));
  const connection = await instance.connect();
  // Official extensions installed elsewhere (e.g. copied from a machine with internet access).
  const dir = process.env.DUCKDB_EXTENSION_DIRECTORY;
  if (dir && !offline) await connection.run(`SET extension_directory = ${duckString(dir)}`);
  return {
    instance,
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Loads an extension (installing it only when it is not there yet); undefined on success, else why not. */
export async function tryLoadExtension(c: DuckDBConnection, name: string): Promise<string | undefined> {
  const { load, install } = extensionStatements(name);
  try {
    await c.run(load);
    return undefined;
  } catch {
    /* not installed yet: try INSTALL */
  }
  try {
    await c.run(install);
    await c.run(load);
    return undefined;
  } catch (e) {
    return (e as Error).message.split("\n")[0];
  }
}

/** The lake extensions this machine cannot load, with the reason for each. */
export async function missingExtensions(
  c: DuckDBConnection,
  names: readonly string[] = LAKE_EXTENSIONS,
): Promise<{ name: string; reason: string }[]> {
  const out: { name: string; reason: string }[] = [];
  for (const name of names) {
    const reason = await tryLoadExtension(c, name);
    if (reason) out.push({ name, reason });
  }
  return out;
}

export async function loadExtensions(c: DuckDBConnection, names: readonly string[], progress: (m: string) => void): Promise<void> {
  for (const name of names) {
    progress(`loading DuckDB extension ${name}…`);
    const reason = await tryLoadExtension(c, name);
    // Extensions are built per DuckDB version: name the one they must match.
    const version = reason ? String((await c.runAndReadAll("SELECT library_version FROM pragma_version()")).getRows()[0][0]) : "";
    if (reason)
      throw new CliError(
        `DuckDB extension ${name} is not available (${reason}). Install it where the ` +
          `internet is reachable (INSTALL ${name} in DuckDB ${version}) and copy ~/.duckdb/extensions here, or set ` +
          "DUCKDB_EXTENSION_DIRECTORY to a directory holding them",
      );
  }
}

/** A session with the lake attached as `lake` (READ_ONLY for a reader). */
export async function openLakeSession(
  info: LakeConnectionInfo,
  opts: { reader?: ReaderConnection; progress?: (m: string) => void; extraExtensions?: string[] } = {},
): Promise<DuckSession> {
  const progress = opts.progress ?? (() => undefined);
  const session = await openDuckDB();
  let caFile: string | undefined;
  try {
    await loadExtensions(session.connection, [...LAKE_EXTENSIONS, ...(opts.extraExtensions ?? [])], progress);
    if (info.catalog.sslRootCert) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ducklake-ca-"));
      caFile = path.join(dir, "ca.pem");
      fs.writeFileSync(caFile, info.catalog.sslRootCert, { mode: 0o600 });
    }
    progress(`attaching the lake as ${opts.reader ? `reader ${opts.reader.name} (read-only)` : `owner ${info.catalog.user}`}…`);
    for (const s of lakeSessionStatements(info, { reader: opts.reader, sslRootCertFile: caFile })) {
      try {
        await session.connection.run(s.sql);
      } catch (e) {
        throw new CliError(
          `${explainError(e)}\n  while running: ${s.display}\n  (is the catalog at ${info.catalog.host}:${info.catalog.port} ` +
            `and ${info.storage.endpoint} reachable? \`npm run status\` checks both)`,
        );
      }
    }
    return session;
  } catch (e) {
    session.close();
    throw e;
  }
}
