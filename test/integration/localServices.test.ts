// scripts/local-pg.sh as a newcomer meets it: started from a clone in a private folder (the server runs as
// `postgres`, which cannot enter it), stopped and purged, and an initdb that fails for a reason found in its log.
// Real PostgreSQL. The postgres-user cases need root (as root the script runs the server as `postgres`).
import * as fs from "fs";
import * as path from "path";
import { randomBytes } from "crypto";
import { spawn, spawnSync } from "child_process";
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

if (!isRoot) console.warn("local-pg private-folder tests skipped: they need root (the script runs PostgreSQL as `postgres` only as root)");
const rootIt = isRoot ? it : it.skip;

describe("scripts/local-pg.sh", () => {
  rootIt(
    "starts from a clone in a private folder without PostgreSQL's 'could not change directory' warning, and stops with the same words as RGW",
    () => {
      const env = { LAKE_PG_DIR: path.join(base, "pg") };
      const up = pg("start", env, path.join(privateDir, "clone"));
      expect(up.stderr).not.toMatch(/could not change directory|Permission denied/);
      expect(up.status).toBe(0);
      expect(JSON.parse(up.stdout)).toMatchObject({ host: "127.0.0.1", user: "postgres" });
      const down = pg("stop", env, path.join(privateDir, "clone"));
      expect([down.status, down.stderr.trim()]).toEqual([0, "local-pg: stopped"]);
      // the sequence: stopped, then PURGE=1 npm run local:down
      const purge = pg("stop", { ...env, PURGE: "1" }, path.join(privateDir, "clone"));
      expect([purge.status, purge.stderr.trim()]).toEqual([0, `local-pg: was not running; deleted ${env.LAKE_PG_DIR}`]);
      expect(fs.existsSync(env.LAKE_PG_DIR)).toBe(false);
      expect(pg("stop", { ...env, PURGE: "1" }).stderr.trim()).toBe("local-pg: was not running");
    },
  );

  rootIt("when initdb fails, shows the cause from its log, not only the log's path; leaves the private parent closed", () => {
    const dir = path.join(privateDir, "clone", ".local", "pg");
    const r = pg("start", { LAKE_PG_DIR: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`local-pg: initdb failed (full log: ${dir}/initdb.log)`);
    expect(r.stderr).toMatch(/^ {4}initdb: error: .*Permission denied$/m);
    expect(fs.statSync(privateDir).mode & 0o777).toBe(0o700); // the script opens only folders it created
  });
});

describe("scripts/local-rgw.sh stop", () => {
  const afterTestKill: ReturnType<typeof spawn>[] = [];
  afterEach(() => {
    for (const p of afterTestKill) if (p.exitCode === null && p.signalCode === null) p.kill();
  });
  it("says the same as local-pg: stopped, then was not running; deleted <dir>; never kills a process that is not its own", async () => {
    const dir = path.join(base, "rgw");
    fs.mkdirSync(path.join(dir, "run"), { recursive: true });
    const conf = path.join(dir, "ceph.conf");
    // Stand-ins for the daemons: the script stops a pid only when its command line names this RGW's ceph.conf.
    const ours = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)", conf], { stdio: "ignore" });
    const stranger = spawn("sleep", ["60"], { stdio: "ignore" });
    fs.writeFileSync(path.join(dir, "run", "mon.a.pid"), String(ours.pid));
    fs.writeFileSync(path.join(dir, "run", "osd.0.pid"), String(stranger.pid));
    const exited = new Promise((resolve) => ours.once("exit", resolve));
    afterTestKill.push(ours, stranger);
    const rgwStop = (env: Record<string, string> = {}) =>
      spawnSync("bash", [path.join(repoRoot, "scripts", "local-rgw.sh"), "stop"], {
        env: { ...process.env, LAKE_RGW_DIR: dir, ...env },
        encoding: "utf8",
      });
    const first = rgwStop();
    expect([first.status, first.stderr.trim()]).toEqual([0, "local-rgw: stopped"]);
    await exited;
    expect(() => process.kill(stranger.pid!, 0)).not.toThrow(); // still alive
    stranger.kill();
    const purge = rgwStop({ PURGE: "1" });
    expect([purge.status, purge.stderr.trim()]).toEqual([0, `local-rgw: was not running; deleted ${dir}`]);
    expect(fs.existsSync(dir)).toBe(false);
  });
});
