// `npm run local:up` / `local:down`: start or stop the local PostgreSQL and Ceph RGW of the `local`
// stack with the same scripts the tests use (idempotent). LAKE_PG_PORT / LAKE_RGW_PORT choose ports;
// a taken port is reported before anything starts.
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { spawnSync } from "child_process";
import { CliError, runMain } from "./errors";
import { repoFile } from "../repoFiles";

const SCRIPTS = repoFile("scripts");

/** Resolves true when nothing can bind 127.0.0.1:<port>. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** Validates LAKE_PG_PORT / LAKE_RGW_PORT and fails early, naming the variable, when the port is taken. */
export async function checkRequestedPorts(env: NodeJS.ProcessEnv): Promise<void> {
  for (const [variable, service] of [
    ["LAKE_PG_PORT", "PostgreSQL"],
    ["LAKE_RGW_PORT", "Ceph RGW"],
  ] as const) {
    const raw = env[variable];
    if (raw === undefined || raw === "") continue;
    const port = Number(raw);
    if (!/^[0-9]+$/.test(raw) || port < 1024 || port > 65535) throw new CliError(`${variable}=${raw}: expected a port number 1024..65535`);
    if (!(await portFree(port)))
      throw new CliError(
        `port ${port} (${variable}, for ${service}) is already taken on 127.0.0.1: stop what uses it ` +
          `(ss -ltnp 'sport = :${port}') or choose another, e.g. ${variable}=${port + 1} npm run local:up`,
      );
  }
}

function runScript(script: string, action: string): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync("bash", [path.join(SCRIPTS, script), action], { encoding: "utf8", env: process.env });
  return { ok: r.status === 0, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

async function up(): Promise<number> {
  await checkRequestedPorts(process.env);
  const summary: string[] = [];
  for (const [script, label, variable] of [
    ["local-pg.sh", "PostgreSQL", "LAKE_PG_PORT"],
    ["local-rgw.sh", "Ceph RGW", "LAKE_RGW_PORT"],
  ] as const) {
    process.stderr.write(`starting ${label}…\n`);
    const r = runScript(script, "start");
    process.stderr.write(r.stderr);
    if (!r.ok) {
      const portHint = /already taken|address already in use/i.test(r.stderr) ? ` Set ${variable} to a free port and retry.` : "";
      throw new CliError(`${label} did not start (scripts/${script}).${portHint}`);
    }
    const conn = JSON.parse(r.stdout);
    summary.push(
      label === "PostgreSQL"
        ? `PostgreSQL  127.0.0.1:${conn.port}  (superuser ${conn.user}; details: scripts/local-pg.sh status)`
        : `Ceph RGW    ${conn.endpoint}  (admin project ${conn.adminProject}, readers project ${conn.readerProject}; keys: scripts/local-rgw.sh status)`,
    );
  }
  process.stdout.write(`local stack services are up:\n  ${summary.join("\n  ")}\n${nextStepAfterUp(process.env)}`);
  return 0;
}

/** True when `bin` is an executable file in one of the PATH folders (or at that path, like `command -v`). */
export function onPath(bin: string, env: NodeJS.ProcessEnv): boolean {
  const executable = (file: string) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (bin.includes("/")) return executable(bin);
  return (env.PATH ?? "").split(path.delimiter).some((dir) => executable(path.join(dir || ".", bin)));
}

/**
 * The README's path from here: `npm start`, which also sets the state folder, the passphrase and the
 * stack config (a bare `pulumi up --stack local` would find none of them). Says so when it cannot work yet.
 */
export function nextStepAfterUp(env: NodeJS.ProcessEnv): string {
  const next = "next: npm start (deploys the local stack), then npm run status -- --stack local\n";
  if (onPath(env.PULUMI || "pulumi", env)) return next;
  return next + "      npm start needs the Pulumi CLI, which is not installed: curl -fsSL https://get.pulumi.com | sh\n";
}

function down(): number {
  let ok = true;
  for (const script of ["local-rgw.sh", "local-pg.sh"]) {
    const r = runScript(script, "stop");
    process.stderr.write(r.stderr);
    ok = ok && r.ok;
  }
  return ok ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "up") return up();
  if (argv[0] === "down") return down();
  throw new CliError("usage: ts-node cli/localStack.ts up|down (npm run local:up / local:down; PURGE=1 also deletes the data)");
}

if (require.main === module) runMain(() => main(process.argv.slice(2)));
