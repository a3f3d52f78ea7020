// repoFiles.ts finds the checkout both from the sources (ts-node, jest) and from tsc's output (bin/, one level
// deeper): the same compiled module is placed at both depths of a throw-away checkout and asked for its root.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { REPO_ROOT, repoFile, repoSqlText } from "../../repoFiles";
import { catalogQuery, loadMigrations, sqlFile } from "../../postgres/sqlFiles";

const source = fs.readFileSync(path.join(__dirname, "..", "..", "repoFiles.ts"), "utf8");
const compiled = ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
}).outputText;

test("from the sources, the root is the folder holding package.json and sql/", () => {
  expect(REPO_ROOT).toBe(path.resolve(__dirname, "..", ".."));
  expect(fs.existsSync(repoFile("sql", "001_guard_schema.sql"))).toBe(true);
});

test("compiled at the root and in bin/, the module finds the same checkout", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "repofiles-"));
  try {
    fs.writeFileSync(path.join(dir, "package.json"), "{}");
    fs.mkdirSync(path.join(dir, "bin"));
    for (const at of [dir, path.join(dir, "bin")]) fs.writeFileSync(path.join(at, "repoFiles.js"), compiled);
    const rootOf = (file: string) =>
      execFileSync(process.execPath, ["-e", `process.stdout.write(require(${JSON.stringify(file)}).REPO_ROOT)`], { encoding: "utf8" });
    expect(rootOf(path.join(dir, "repoFiles.js"))).toBe(dir);
    expect(rootOf(path.join(dir, "bin", "repoFiles.js"))).toBe(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("SQL files: migrations in order, catalog queries, CLI queries; a missing one names the folder it looked in", () => {
  const migrations = loadMigrations();
  expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
  expect(catalogQuery("data_path")).toMatch(/ducklake_metadata/);
  expect(sqlFile("reader_role")).toBe(fs.readFileSync(repoFile("cli", "sql", "reader_role.sql"), "utf8"));
  expect(() => repoSqlText(["sql", "queries"], "nope")).toThrow(`nope.sql not found (looked in ${path.join(REPO_ROOT, "sql", "queries")}`);
});
