// The README's first session, as a newcomer on a machine without the Pulumi CLI runs it: the real npm
// scripts in child processes with a clean environment (PATH without pulumi, a fresh HOME). Each step either
// works or exits non-zero with a message saying what to do next; nothing is started behind the user's back.
// `npm run local:up` runs against the test run's own services (idempotent: it finds them running).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { repoRoot, serviceDirs } from "../support/services";

const isExecutable = (f: string) => {
  try {
    fs.accessSync(f, fs.constants.X_OK);
    return fs.statSync(f).isFile();
  } catch {
    return false;
  }
};
/** This machine's PATH minus every folder holding a `pulumi`. */
const cleanPath = (process.env.PATH ?? "")
  .split(":")
  .filter((d) => d && !isExecutable(path.join(d, "pulumi")))
  .join(":");

const home = fs.mkdtempSync(path.join(os.tmpdir(), "first-session-"));
const fresh = { pg: path.join(home, "services", "pg"), rgw: path.join(home, "services", "rgw") };
const baseEnv = { PATH: cleanPath, HOME: home, LANG: "C.UTF-8", LAKE_PG_DIR: fresh.pg, LAKE_RGW_DIR: fresh.rgw };

function sh(command: string, env: Record<string, string> = {}) {
  const r = spawnSync("bash", ["-c", command], { cwd: repoRoot, env: { ...baseEnv, ...env }, encoding: "utf8", timeout: 90_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What every `--stack local` command says without the CLI: the cause, then the two ways forward. */
const NO_CLI = new RegExp(
  [
    "^error: --stack local reads the stack output lakeConnection with the Pulumi CLI, which is not installed \\(or not on PATH\\)\\.$",
    "^next: install it \\(curl -fsSL https://get\\.pulumi\\.com \\| sh\\), run `npm start` to deploy the local stack, then run this again;$",
    "^ +or pass --from <file> \\(or set DUCKLAKE_CONNECTION\\) with a connection file: docs/workflows\\.md#writing-a-connection-file says how to write one$",
  ].join("\\n"),
  "m",
);

afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

describe("the README's first session without the Pulumi CLI", () => {
  beforeAll(() => {
    expect(sh("command -v pulumi").status).not.toBe(0);
    expect(sh("command -v npm && command -v node").status).toBe(0);
  });

  it("npm start: says how to install the CLI, starts nothing, exits 1", () => {
    const r = sh("npm start");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("npm start needs the Pulumi CLI, and it is not installed (or not on PATH). Nothing was started.");
    expect(r.stderr).toContain("curl -fsSL https://get.pulumi.com | sh");
    expect(fs.existsSync(path.join(home, "services"))).toBe(false);
  });

  it("npm start && npm run status: stops after npm start", () => {
    const r = sh("npm start && npm run status -- --stack local");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("> bash scripts/start-local-stack.sh");
    expect(r.stdout).not.toContain("cli/status.ts");
  });

  it.each([
    ["status", "npm run status -- --stack local"],
    ["load-sample", "npm run load-sample -- --stack local"],
    ["verify", "npm run verify -- --stack local"],
    ["shell", "npm run shell -- --stack local --reader finance"],
  ])("npm run %s: exit 2, the cause and the next step", (_, command) => {
    const r = sh(command);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(NO_CLI);
    expect(r.stderr).not.toMatch(/Warning|    at /); // no SDK warning, no stack trace
  });

  it("npm run local:up: the services are up, and the next step is npm start, which needs the CLI", () => {
    const running = serviceDirs();
    const r = sh("npm run local:up", { LAKE_PG_DIR: running.pgDir, LAKE_RGW_DIR: running.rgwDir });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^local-pg: already running$/m);
    expect(r.stderr).toMatch(/^local-rgw: already running at http:\/\/127\.0\.0\.1:\d+$/m);
    expect(r.stderr).not.toMatch(/could not change directory|Permission denied/);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.slice(-5)).toEqual([
      "local stack services are up:",
      expect.stringMatching(/^  PostgreSQL  127\.0\.0\.1:\d+ /),
      expect.stringMatching(/^  Ceph RGW    http:\/\/127\.0\.0\.1:\d+ /),
      "next: npm start (deploys the local stack), then npm run status -- --stack local",
      "      npm start needs the Pulumi CLI, which is not installed: curl -fsSL https://get.pulumi.com | sh",
    ]);
  });

  it("PURGE=1 npm run local:down on services that never ran: both say the same", () => {
    const r = sh("PURGE=1 npm run local:down");
    expect(r.status).toBe(0);
    expect(r.stderr.trim().split("\n")).toEqual(["local-rgw: was not running", "local-pg: was not running"]);
  });
});
