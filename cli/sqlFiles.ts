// The read-only catalog queries of the workflow CLIs, kept as .sql files beside this module.
import * as path from "path";
import { Client } from "pg";
import { quoteIdent } from "../model/names";
import { readSqlFile } from "../providers/catalogLayout";

// Compiled with tsc (outDir bin/), this module sits one level deeper than its source: look there too.
const SQL_DIRS = [path.join(__dirname, "sql"), path.join(__dirname, "..", "..", "cli", "sql")];

/** Text of cli/sql/<name>.sql. */
export function sqlFile(name: string): string {
  return readSqlFile(SQL_DIRS, name);
}

/** Points unqualified names at the catalog schema for this session (the name is quoted, then passed as a value). */
export async function useCatalogSchema(client: Client, schema: string): Promise<void> {
  await client.query("SELECT set_config('search_path', $1, false)", [quoteIdent(schema)]);
}
