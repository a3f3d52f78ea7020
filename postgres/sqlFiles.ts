// The repository's SQL as text: the guard's numbered migrations (sql/NNN_name.sql), the read-only catalog
// queries (sql/queries/) and the workflow CLIs' queries (cli/sql/). Located by repoFiles.ts only.
import * as fs from "fs";
import * as path from "path";
import { repoFile, repoSqlText } from "../repoFiles";

/** One numbered migration file of sql/. */
export interface GuardMigration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATION_FILE = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** Reads sql/NNN_name.sql in version order (program side; providers receive the result as input). */
export function loadMigrations(dir: string = repoFile("sql")): GuardMigration[] {
  const migrations = fs
    .readdirSync(dir)
    .filter((f) => MIGRATION_FILE.test(f))
    .sort()
    .map((f) => {
      const m = MIGRATION_FILE.exec(f)!;
      return { version: Number(m[1]), name: f.replace(/\.sql$/, ""), sql: fs.readFileSync(path.join(dir, f), "utf8") };
    });
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`sql/: migration ${m.name} should be number ${i + 1}; versions must run 001, 002, … without gaps`);
  });
  return migrations;
}

/** Text of sql/queries/<name>.sql: read-only catalog queries with unqualified names (search_path = catalog schema). */
export function catalogQuery(name: string): string {
  return repoSqlText(["sql", "queries"], name);
}

/** Text of cli/sql/<name>.sql: the workflow CLIs' catalog queries. */
export function sqlFile(name: string): string {
  return repoSqlText(["cli", "sql"], name);
}
