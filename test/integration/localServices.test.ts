// scripts/local-pg.sh as a newcomer meets it: started from a clone in a private folder (the server runs as
// `postgres`, which cannot enter it), stopped and purged, and an initdb that fails for a reason found in its log.
// Real PostgreSQL. The postgres-user cases need root (as root the script runs the server as `postgres`).
import * as fs from "fs";
import * as path from "path";
import { randomBytes } from "crypto";
import { spawnSync } from "child_process";
import { repoRoot } from "../support/services";

const isRoot = process.getuid?.() === 0;
const script = path.join(repoRoot, "scripts", "local-pg.sh");
const base = `/tmp/ducklake-pulumi/localsvc-${randomBytes(4).toString("hex")}`;
const privateDir = `${base}-private`; // mode 700, owned by root: `postgres` cannot enter it

function pg(action: string, env: Record<string, string>, cwd = repoRoot) {
  const r = spawnSync("bash", [script, action], { cwd, env: { ...process.env, ...env }, encoding: "utf8", timeout: 90_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  fs.mkdirSync(path.join(privateDir, "clone"), { recursive: true });
  fs.chmodSync(privateDir, 0o700);
});
afterAll(() => {
  pg("stop", { LAKE_PG_DIR: path.join(base, "pg"), PURGE: "1" });
  fs.rmSync(base, { recursive: true, force: true });
  fs.rmSync(privateDir, { recursive: true, force: true });
});

if (!isRoot) console.warn("local-pg private-folder tests skipped: they need root (the script runs PostgreSQL as `postgres` only as root)"); // eslint-disable-line no-console
const rootIt = isRoot ? it : it.skip;

describe("scripts/local-pg.sh", () => {
  rootIt("starts from a clone in a private folder without PostgreSQL's 'could not change directory' warning, and stops with the same words as RGW", () => {
    const env = { LAKE_PG_DIR: path.join(base, "pg") };
    const up = pg("start", env, path.join(privateDir, "clone"));
    expect(up.stderr).not.toMatch(/could not change directory|Permission denied/);
    expect(up.status).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ host: "127.0.0.1", user: "postgres" });
    const down = pg("stop", { ...env, PURGE: "1" }, path.join(privateDir, "clone"));
    expect(down.status).toBe(0);
    expect(down.stderr.trim()).toBe(`local-pg: stopped; deleted ${env.LAKE_PG_DIR}`);
    expect(fs.existsSync(env.LAKE_PG_DIR)).toBe(false);
    expect(pg("stop", { ...env, PURGE: "1" }).stderr.trim()).toBe("local-pg: was not running");
  });

  rootIt("when initdb fails, shows the cause from its log, not only the log's path; leaves the private parent closed", () => {
    const dir = path.join(privateDir, "clone", ".local", "pg");
    const r = pg("start", { LAKE_PG_DIR: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`local-pg: initdb failed (full log: ${dir}/initdb.log)`);
    expect(r.stderr).toMatch(/^ {4}initdb: error: .*Permission denied$/m);
    expect(fs.statSync(privateDir).mode & 0o777).toBe(0o700); // the script opens only folders it created
  });
});
