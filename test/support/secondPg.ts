// A second PostgreSQL next to the suite's, for tests that move a catalog between two servers: started with
// scripts/local-pg.sh in its own LAKE_PG_DIR, then switched to TLS only (a CA and a certificate for
// 127.0.0.1 from tlsPostgres.makeTlsFiles), so clients connect with sslmode=verify-full as to a managed
// service. Also a streaming replica of it (pg_basebackup -R), for the HA section of docs/outgrowing-the-vps.md.
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import { repoRoot } from "./services";
import { asPg, freePort, makeTlsFiles, PG_BIN } from "./tlsPostgres";
import type { CatalogConnection } from "../../model/connection";

export interface SecondPg {
  dir: string;
  data: string;
  host: string;
  port: number;
  /** The server's superuser (the service's, never used by the program). */
  superuser: { user: string; password: string };
  /** Path and PEM of the CA that signed the server certificate. */
  caPath: string;
  caPem: string;
  /** A verify-full connection as `user` to `database`. */
  connection(user: string, password: string, database: string): CatalogConnection;
  /** The same as a libpq connection string (no password: pass PGPASSWORD). */
  conninfo(user: string, database: string): string;
  stop(): void;
}

const HBA = [
  "local all all scram-sha-256",
  "local replication all scram-sha-256",
  "hostssl all all 127.0.0.1/32 scram-sha-256",
  "hostssl replication all 127.0.0.1/32 scram-sha-256",
  "host all all 0.0.0.0/0 reject",
  "",
].join("\n");

function restart(data: string, log: string): void {
  asPg(`${PG_BIN}/pg_ctl`, ["-D", data, "-l", log, "-w", "-t", "30", "restart"]);
}

function server(dir: string, data: string, port: number, password: string, caPath: string): SecondPg {
  const ca = () => fs.readFileSync(caPath, "utf8"); // read when used: the stop() of a half-started server needs none
  const conninfo = (user: string, database: string) =>
    `host=127.0.0.1 port=${port} dbname=${database} user=${user} sslmode=verify-full sslrootcert=${caPath}`;
  return {
    dir,
    data,
    host: "127.0.0.1",
    port,
    superuser: { user: "postgres", password },
    caPath,
    get caPem() {
      return ca();
    },
    connection: (user, pw, database) => ({
      host: "127.0.0.1",
      port,
      database,
      user,
      password: pw,
      sslmode: "verify-full",
      sslRootCert: ca(),
    }),
    conninfo,
    stop() {
      execFileSync("bash", [path.join(repoRoot, "scripts", "local-pg.sh"), "stop"], {
        env: { ...process.env, LAKE_PG_DIR: dir, PURGE: "1" },
        stdio: "pipe",
      });
    },
  };
}

/** Starts `/tmp/ducklake-pulumi/<name>-<random>` with scripts/local-pg.sh and turns it into a TLS-only server. */
export function startSecondPg(name: string): SecondPg {
  if (!PG_BIN) throw new Error("PostgreSQL server binaries not found (apt-get install postgresql-15)");
  const dir = `/tmp/ducklake-pulumi/${name}-${randomBytes(3).toString("hex")}`;
  // The port is picked free at start; another agent's server can take it in between: retry on a fresh one.
  let out = "";
  for (let attempt = 1; ; attempt++) {
    try {
      out = execFileSync("bash", [path.join(repoRoot, "scripts", "local-pg.sh"), "start"], {
        env: { ...process.env, LAKE_PG_DIR: dir, LAKE_PG_PORT: "" },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
  const conn = JSON.parse(out) as { port: number; password: string; dataDir: string };
  const tlsDir = path.join(dir, "tls");
  const pg = server(dir, conn.dataDir, conn.port, conn.password, path.join(tlsDir, "ca.crt"));
  try {
    fs.mkdirSync(tlsDir, { recursive: true });
    makeTlsFiles(tlsDir);
    if (process.getuid?.() === 0) execFileSync("chown", ["-R", "postgres", tlsDir]);
    fs.appendFileSync(
      path.join(conn.dataDir, "postgresql.conf"),
      `ssl = on\nssl_cert_file = '${tlsDir}/server.crt'\nssl_key_file = '${tlsDir}/server.key'\n` +
        "ssl_min_protocol_version = 'TLSv1.2'\nwal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n",
    );
    fs.writeFileSync(path.join(conn.dataDir, "pg_hba.conf"), HBA);
    restart(conn.dataDir, path.join(dir, "server.log"));
    return pg;
  } catch (e) {
    pg.stop();
    throw e;
  }
}

/**
 * A hot-standby streaming replica of `primary` in `primary.dir`/replica (pg_basebackup -R over TLS as the
 * primary's superuser: the service's own replication, not the program's). Same CA, certificate and passwords.
 */
export async function startReplica(primary: SecondPg): Promise<SecondPg> {
  const dir = path.join(primary.dir, "replica");
  const data = path.join(dir, "data");
  fs.mkdirSync(dir, { recursive: true });
  if (process.getuid?.() === 0) execFileSync("chown", ["-R", "postgres", dir]);
  const port = await freePort();
  asPg(`${PG_BIN}/pg_basebackup`, ["-d", primary.conninfo("postgres", "postgres"), "-D", data, "-R", "-X", "stream", "-c", "fast"], {
    PGPASSWORD: primary.superuser.password,
  });
  fs.appendFileSync(path.join(data, "postgresql.conf"), `port = ${port}\nunix_socket_directories = '${dir}'\n`);
  asPg(`${PG_BIN}/pg_ctl`, ["-D", data, "-l", path.join(dir, "server.log"), "-w", "-t", "30", "start"]);
  const replica = server(dir, data, port, primary.superuser.password, primary.caPath);
  return {
    ...replica,
    stop() {
      if (fs.existsSync(path.join(data, "postmaster.pid"))) asPg(`${PG_BIN}/pg_ctl`, ["-D", data, "-m", "immediate", "stop"]);
    },
  };
}
