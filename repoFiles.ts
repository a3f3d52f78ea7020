// Files shipped in the repository (sql/, cli/sql/, templates/) located one way, from the sources (ts-node,
// jest) and from tsc's output (bin/, one level deeper): the repository root is the folder holding package.json.
import * as fs from "fs";
import * as path from "path";

/** The repository checkout this module runs from. */
export const REPO_ROOT = [__dirname, path.join(__dirname, "..")].find((d) => fs.existsSync(path.join(d, "package.json"))) ?? __dirname;

/** Absolute path of a repository file or folder, e.g. repoFile("sql", "001_guard_schema.sql"). */
export function repoFile(...parts: string[]): string {
  return path.join(REPO_ROOT, ...parts);
}

const texts = new Map<string, string>();

/** Text of <dir>/<name>.sql (cached), or an error naming where it looked. */
export function repoSqlText(dir: string[], name: string): string {
  const file = repoFile(...dir, `${name}.sql`);
  let text = texts.get(file);
  if (text === undefined) {
    if (!fs.existsSync(file)) throw new Error(`${name}.sql not found (looked in ${repoFile(...dir)}, in the checkout at ${REPO_ROOT})`);
    texts.set(file, (text = fs.readFileSync(file, "utf8")));
  }
  return text;
}
