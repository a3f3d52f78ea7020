// Where the test services run and how to reach them. globalSetup starts them (or reuses the
// ones `npm run local:up` started when LAKE_TEST_REUSE=1) and passes the locations in env vars.
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";

export const repoRoot = path.resolve(__dirname, "..", "..");

export interface PgConnection { host: string; port: number; user: string; password: string; database: string; }
export interface S3Key { accessKey: string; secretKey: string; }
export interface RgwServices {
  endpoint: string; region: string;
  adminProject: string; admin: S3Key;
  readerProject: string; readers: S3Key[];
  cephConf: string;
}

export function serviceDirs(): { pgDir: string; rgwDir: string; owned: boolean } {
  if (process.env.LAKE_TEST_REUSE === "1") {
    const uid = process.getuid ? process.getuid() : 0;
    return { pgDir: process.env.LAKE_PG_DIR ?? `/tmp/ducklake-pulumi/pg-${uid}`,
      rgwDir: process.env.LAKE_RGW_DIR ?? `/tmp/ducklake-pulumi/rgw-${uid}`, owned: false };
  }
  const run = `/tmp/ducklake-pulumi/test-${process.pid}`;
  return { pgDir: `${run}/pg`, rgwDir: `${run}/rgw`, owned: true };
}

export function startServices(): { pgDir: string; rgwDir: string; owned: boolean } {
  const dirs = serviceDirs();
  // Ports are picked free at start; a concurrent run (another developer's jest) can take one between
  // the check and the bind, so a failed start is retried on fresh ports.
  const run = (script: string, dirVar: string, dir: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        execFileSync("bash", [path.join(repoRoot, "scripts", script), "start"],
          { env: { ...process.env, [dirVar]: dir }, stdio: ["ignore", "ignore", "inherit"] });
        return;
      } catch (e) {
        if (attempt >= 3) throw e;
      }
    }
  };
  run("local-pg.sh", "LAKE_PG_DIR", dirs.pgDir);
  run("local-rgw.sh", "LAKE_RGW_DIR", dirs.rgwDir);
  return dirs;
}

export function stopServices(dirs: { pgDir: string; rgwDir: string }): void {
  const run = (script: string, dirVar: string, dir: string) =>
    execFileSync("bash", [path.join(repoRoot, "scripts", script), "stop"],
      { env: { ...process.env, [dirVar]: dir, PURGE: "1" }, stdio: ["ignore", "ignore", "inherit"] });
  run("local-rgw.sh", "LAKE_RGW_DIR", dirs.rgwDir);
  run("local-pg.sh", "LAKE_PG_DIR", dirs.pgDir);
  fs.rmSync(path.dirname(dirs.pgDir), { recursive: true, force: true });
}

/** Superuser connection to the test PostgreSQL (database `postgres`). */
export function pgAdmin(): PgConnection {
  const file = process.env.LAKE_TEST_PG ?? path.join(serviceDirs().pgDir, "connection.json");
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** Endpoint and Hetzner-like keys of the test RGW (admin project + separate readers project). */
export function rgw(): RgwServices {
  const file = process.env.LAKE_TEST_RGW ?? path.join(serviceDirs().rgwDir, "credentials.json");
  return JSON.parse(fs.readFileSync(file, "utf8"));
}
