// The read-only catalog queries of the workflow CLIs, kept as .sql files beside this module.
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import { quoteIdent } from "../model/names";

const cache = new Map<string, string>();

/** Text of cli/sql/<name>.sql. */
export function sqlFile(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = fs.readFileSync(path.join(__dirname, "sql", `${name}.sql`), "utf8");
    cache.set(name, text);
  }
  return text;
}

/** Points unqualified names at the catalog schema for this session (the name is quoted, then passed as a value). */
export async function useCatalogSchema(client: Client, schema: string): Promise<void> {
  await client.query("SELECT set_config('search_path', $1, false)", [quoteIdent(schema)]);
}
