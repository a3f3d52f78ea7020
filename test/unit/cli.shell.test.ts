// The shell over plain in-memory DuckDB (no extensions): piped statements, tabular output, errors.
import * as path from "path";
import { PassThrough } from "stream";
import { spawnSync } from "child_process";
import { openDuckDB, DuckSession } from "../../cli/duckdbSession";
import { repl } from "../../cli/shell";

const repoRoot = path.resolve(__dirname, "..", "..");

async function pipe(session: DuckSession, input: string): Promise<{ out: string; err: string; failures: number }> {
  const stream = new PassThrough();
  stream.end(input);
  let out = "";
  let err = "";
  const failures = await repl(session.connection, {
    input: stream,
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    interactive: false,
  });
  return { out, err, failures };
}

describe("shell REPL", () => {
  let session: DuckSession;
  beforeAll(async () => {
    session = await openDuckDB();
  });
  afterAll(() => session.close());

  it("runs ;-terminated statements across lines and prints tables with row counts", async () => {
    const r = await pipe(
      session,
      "CREATE TABLE t AS\n  SELECT range AS id, 'n;' || range AS name FROM range(3);\nSELECT id, name\nFROM t ORDER BY id;\n",
    );
    expect(r.failures).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toContain("id  name\n--  ----\n0   n;0\n1   n;1\n2   n;2\n(3 rows)");
  });

  it("keeps going after an error, reports it in one line and counts it", async () => {
    const r = await pipe(session, "SELECT * FROM missing_table;\nSELECT 42 AS answer;\n.bogus\n");
    expect(r.failures).toBe(2);
    expect(r.err).toMatch(/^Error: Catalog Error: Table with name missing_table does not exist!/);
    expect(r.err).toMatch(/Error: unknown command \.bogus/);
    expect(r.out).toContain("answer\n------\n42\n(1 row)");
  });

  it("runs a final statement without ; and stops at .quit", async () => {
    const r = await pipe(session, "SELECT NULL AS v, [1, 2] AS l\n");
    expect(r.out).toContain("v     l\n----  -----\nNULL  [1,2]");
    const q = await pipe(session, "SELECT 1 AS first;\n.quit\nSELECT 2 AS never;\n");
    expect(q.out).toContain("first");
    expect(q.out).not.toContain("never");
  });

  it("as a program: `npm run shell -- --no-lake` reads stdin and exits 1 when a statement failed", () => {
    const run = (input: string) =>
      spawnSync(
        path.join(repoRoot, "node_modules", ".bin", "ts-node"),
        ["--transpile-only", path.join(repoRoot, "cli", "shell.ts"), "--no-lake"],
        { input, encoding: "utf8", cwd: repoRoot },
      );
    const ok = run("SELECT 'a''b' AS s, 1 + 1 AS two;\n");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("s    two\n---  ---\na'b  2\n(1 row)");
    const bad = run("SELEC 1;\n");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^Error: Parser Error: syntax error at or near "SELEC"/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);
});
