// Where the test services run and how to reach them. globalSetup starts them (or reuses the
// ones `npm run local:up` started when LAKE_TEST_REUSE=1) and passes the locations in env vars.
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { REPO_ROOT } from "../../repoFiles";

export const repoRoot = REPO_ROOT;

export interface PgConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}
export interface S3Key {
  accessKey: string;
  secretKey: string;
}
export interface RgwServices {
  endpoint: string;
  region: string;
  adminProject: string;
  admin: S3Key;
  readerProject: string;
  readers: S3Key[];
  cephConf: string;
}

export function serviceDirs(): { pgDir: string; rgwDir: string; owned: boolean } {
  if (process.env.LAKE_TEST_REUSE === "1") {
    const uid = process.getuid ? process.getuid() : 0;
    return {
      pgDir: process.env.LAKE_PG_DIR ?? `/tmp/ducklake-pulumi/pg-${uid}`,
      rgwDir: process.env.LAKE_RGW_DIR ?? `/tmp/ducklake-pulumi/rgw-${uid}`,
      owned: false,
    };
  }
  const run = `/tmp/ducklake-pulumi/test-${process.pid}`;
  return { pgDir: `${run}/pg`, rgwDir: `${run}/rgw`, owned: true };
}

/** What the integration services need from the machine that is missing, as one line per package set. */
export function missingServicePackages(pathEnv = process.env.PATH ?? ""): string[] {
  const onPath = (bin: string) => pathEnv.split(":").some((d) => d && fs.existsSync(path.join(d, bin)));
  const pgRoot = "/usr/lib/postgresql";
  const hasPg = fs.existsSync(pgRoot) && fs.readdirSync(pgRoot).some((v) => fs.existsSync(path.join(pgRoot, v, "bin", "initdb")));
  const missing: string[] = [];
  if (!hasPg && !process.env.PG_BIN) missing.push("PostgreSQL server (apt-get install postgresql-15)");
  const ceph = ["radosgw", "radosgw-admin", "ceph-mon", "ceph-osd", "ceph", "monmaptool", "uuidgen", "curl"].filter((b) => !onPath(b));
  if (ceph.length) missing.push(`${ceph.join(", ")} (apt-get install --no-install-recommends radosgw ceph-mon ceph-osd uuid-runtime curl)`);
  return missing;
}

/** The one line `npm test` prints before it starts anything: what the run needs and where it runs. */
export function testRunNeeds(dirs: { pgDir: string; rgwDir: string; owned: boolean }): string {
  const where = dirs.owned
    ? `a throw-away PostgreSQL and single-node Ceph RGW on 127.0.0.1 (first free ports from 54329 and 47480, in ${path.dirname(dirs.pgDir)}; stopped at the end)`
    : `the PostgreSQL and Ceph RGW of \`npm run local:up\` (LAKE_TEST_REUSE=1: ${dirs.pgDir}, ${dirs.rgwDir})`;
  return (
    `test run: the integration tests use ${where}. Needs postgresql-15 and radosgw ceph-mon ceph-osd ` +
    "uuid-runtime curl (.ci/run installs them); the full run takes about 2-7 minutes on 2 cores (the upper end when they are busy).\n"
  );
}

export function startServices(): { pgDir: string; rgwDir: string; owned: boolean } {
  const dirs = serviceDirs();
  const missing = missingServicePackages();
  if (missing.length) throw new Error(`the integration tests need a real PostgreSQL and Ceph RGW; missing: ${missing.join("; ")}`);
  // Ports are picked free at start; a concurrent run (another developer's jest) can take one between
  // the check and the bind, so a failed start is retried on fresh ports.
  const run = (script: string, dirVar: string, dir: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        execFileSync("bash", [path.join(repoRoot, "scripts", script), "start"], {
          env: { ...process.env, [dirVar]: dir },
          stdio: ["ignore", "ignore", "inherit"],
        });
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
    execFileSync("bash", [path.join(repoRoot, "scripts", script), "stop"], {
      env: { ...process.env, [dirVar]: dir, PURGE: "1" },
      stdio: ["ignore", "ignore", "inherit"],
    });
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
