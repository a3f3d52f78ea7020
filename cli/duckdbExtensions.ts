// Where DuckDB finds its extensions. Normally DuckDB installs the official, signed builds from
// extensions.duckdb.org and nothing here changes that. Machines without internet (CI, this project's
// test machines) can point at a folder of locally built extensions for the pinned DuckDB version:
// only then are unsigned extensions allowed, and only for that folder's instance.
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../repoFiles";

/** Environment variable naming a folder laid out like ~/.duckdb/extensions (`v<version>/<platform>/*.duckdb_extension`). */
export const EXTENSIONS_ENV = "DUCKLAKE_DUCKDB_EXTENSIONS";

/** The offline folder next to a checkout: `<repo>/../shared/duckdb/extensions` (how CI lays it out). */
export function siblingExtensionsDir(repoRoot = REPO_ROOT): string {
  return path.resolve(repoRoot, "..", "shared", "duckdb", "extensions");
}

export interface OfflineExtensions {
  /** The folder passed as extension_directory. */
  dir: string;
  /** Where it came from, for messages. */
  source: "env" | "sibling";
}

/**
 * The offline extension folder to use, or undefined (then DuckDB installs the official ones). The env
 * var wins; a folder it names must exist (a typo must not silently fall back to downloading).
 */
export function findOfflineExtensions(env: NodeJS.ProcessEnv = process.env, repoRoot?: string): OfflineExtensions | undefined {
  const fromEnv = env[EXTENSIONS_ENV];
  if (fromEnv) {
    if (!fs.existsSync(fromEnv) || !fs.statSync(fromEnv).isDirectory())
      throw new Error(
        `${EXTENSIONS_ENV}=${fromEnv}: no such folder (it must hold v<duckdb version>/<platform>/*.duckdb_extension); unset it to let DuckDB install the official extensions`,
      );
    return { dir: path.resolve(fromEnv), source: "env" };
  }
  const sibling = siblingExtensionsDir(repoRoot);
  return fs.existsSync(sibling) ? { dir: sibling, source: "sibling" } : undefined;
}

/**
 * DuckDBInstance options for an offline folder: allow_unsigned_extensions is set here and nowhere else,
 * and only together with the folder it applies to. Empty without a folder.
 */
export function instanceOptions(offline: OfflineExtensions | undefined): Record<string, string> {
  return offline ? { allow_unsigned_extensions: "true", extension_directory: offline.dir } : {};
}
