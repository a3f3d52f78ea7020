// `npm run access-log` against real PostgreSQL (fixture catalog + the real guard): the command reads the
// ACL change log as the catalog owner, filters with parameters, prints the table; exit 0 when read, 2 on
// errors (bad flags, a guard older than the log). Run in-process through main(), and once as the real script.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFile } from "child_process";
import { CATALOG, guardedLake, GuardedLake } from "../fixtures/guardHarness";
import { repoRoot } from "../support/services";
import { main } from "../../cli/accessLog";
import { readAclLog } from "../../postgres/guardClient";

const ODD = { schema: "odd schema;--", table: `we"ird 'täble' ✓` };
let g: GuardedLake;
let dir: string;
let file: string;
let partner: string;
let other: string;

function writeInfo(name: string, database: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(
    f,
    JSON.stringify({
      stack: "test",
      catalog: {
        host: g.conn.host,
        port: g.conn.port,
        database,
        user: g.conn.user,
        password: g.conn.password,
        sslmode: "disable",
        schema: CATALOG,
      },
      storage: { bucket: "not-used", endpoint: "http://127.0.0.1:1", adminProjectId: "1", admin: { accessKey: "a", secretKey: "b" } },
      readers: [],
    }),
    { mode: 0o600 },
  );
  return f;
}

/** Runs main() in-process, capturing what it prints. */
async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const write = jest.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  try {
    return { code: await main(argv), out };
  } finally {
    write.mockRestore();
  }
}

beforeAll(async () => {
  g = await guardedLake("acl_log_cli");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "acl-log-cli-"));
  file = writeInfo("lake.json", g.conn.database);
  partner = await g.newReader("log_hr_partner");
  other = await g.newReader("log_other");
  const q = (sql: string, p: unknown[]) => g.owner.query(sql, p);
  await q("SELECT ducklake_guard.grant_read($1, 'hr', NULL)", [partner]);
  await q("SELECT ducklake_guard.grant_read($1, 'sales', 'orders')", [other]);
  await q("SELECT ducklake_guard.revoke_read($1, 'hr', NULL)", [partner]);
  await q("SELECT ducklake_guard.grant_read($1, 'hr', 'salaries')", [partner]);
  await q("SELECT ducklake_guard.grant_read($1, $2, $3)", [partner, ODD.schema, ODD.table]);
});
afterAll(async () => {
  await g?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const dataLines = (out: string) =>
  out
    .split("\n")
    .slice(2)
    .filter((l) => /^\d+ /.test(l));

test("prints every change, oldest first, with who and from where; exit 0", async () => {
  const { code, out } = await run(["--from", file]);
  expect(code).toBe(0);
  const lines = dataLines(out);
  expect(lines).toHaveLength(5);
  expect(lines.map((l) => l.split(/ {2,}/).slice(2, 6))).toEqual([
    ["grant", partner, "hr", "(whole schema)"],
    ["grant", other, "sales", "orders"],
    ["revoke", partner, "hr", "(whole schema)"],
    ["grant", partner, "hr", "salaries"],
    ["grant", partner, ODD.schema, ODD.table],
  ]);
  // The fixture's owner connection is the superuser; node-postgres over TCP from this machine.
  expect(lines[0]).toMatch(new RegExp(` ${g.conn.user} +127\\.0\\.0\\.1 +\\d+ +\\d+$`));
  expect(out.trimEnd().split("\n").pop()).toBe("access-log: 5 change(s)");
});

test('--reader/--schema/--table answer "since when can this reader read hr.salaries" (whole-schema entries included); --since and --limit narrow', async () => {
  const salaries = await run(["--from", file, "--reader", partner, "--schema", "hr", "--table", "salaries"]);
  expect(dataLines(salaries.out).map((l) => l.split(/ {2,}/)[2])).toEqual(["grant", "revoke", "grant"]);
  const odd = await run(["--from", file, "--reader", partner, "--schema", ODD.schema, "--table", ODD.table]);
  expect(dataLines(odd.out)).toHaveLength(1);
  expect(dataLines(odd.out)[0]).toContain(ODD.table);
  const limited = await run(["--from", file, "--limit", "2"]);
  expect(dataLines(limited.out).map((l) => l.split(/ {2,}/)[4])).toEqual(["hr", ODD.schema]);
  expect(limited.out).toMatch(/the newest 2 change\(s\) shown; older ones may exist/);
  const future = await run(["--from", file, "--since", "2999-01-01"]);
  expect(future).toEqual({ code: 0, out: "access-log: no ACL changes match\n" });
  const json = JSON.parse((await run(["--from", file, "--reader", other, "--json"])).out);
  expect(json).toEqual([
    expect.objectContaining({ action: "grant", reader: other, schema: "sales", table: "orders", sessionUser: g.conn.user }),
  ]);
  // The same rows readAclLog returns (the CLI adds nothing and drops nothing).
  const direct = await readAclLog(g.owner, { reader: other });
  expect(json.map((e: { id: number }) => e.id)).toEqual(direct.map((e) => e.id));
});

test("the real script: exit 0 and the table; exit 2 with one line naming the fix for a bad flag and for a database without the guard", async () => {
  const script = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        "npx",
        ["ts-node", "--transpile-only", "cli/accessLog.ts", ...args],
        { cwd: repoRoot, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
      );
    });
  const ok = await script(["--from", file, "--reader", partner, "--limit", "1"]);
  expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: "" });
  expect(ok.stdout).toMatch(new RegExp(`grant +${partner} +${ODD.schema.replace(/[;-]/g, "\\$&")}`));
  const bad = await script(["--from", file, "--since", "last tuesday"]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^error: --since: expected an ISO 8601 date or time/);
  // A database without the guard (the maintenance database `postgres`): the message says how to get one.
  const old = writeInfo("postgres.json", "postgres");
  const missing = await script(["--from", old]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(
    /^error: the catalog guard is not installed in this database, so there is no ACL change log; run `pulumi up` to install it/,
  );
}, 120_000);
