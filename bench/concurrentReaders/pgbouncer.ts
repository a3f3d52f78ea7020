// PgBouncer (Debian's package) in front of the bench's PostgreSQL, for measuring the pooler option:
// per-user pools (no user= on the database entry: each client logs in to PostgreSQL as itself), scram
// pass-through via auth_query, loopback only. Bench-only: the VPS does not run it (docs/infrastructure.md).
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";

export interface Pooler {
  port: number;
  stop(): void;
  configText: string;
}

export function startPgBouncer(o: {
  dir: string;
  pgPort: number;
  database: string;
  superuser: string;
  superuserPassword: string;
  poolMode: "session" | "transaction";
  perUserServerConnections: number;
  serverConnections: number;
  maxClients: number;
}): Pooler {
  fs.mkdirSync(o.dir, { recursive: true });
  const port = 40000 + Math.floor(Math.random() * 20000);
  const plain = (v: string) => {
    if (!/^[A-Za-z0-9_]+$/.test(v)) throw new Error(`${v} is not plain`);
    return v;
  };
  const configText = [
    "[databases]",
    // auth_user looks up each client's SCRAM verifier; the server login is the client's own role.
    `${plain(o.database)} = host=127.0.0.1 port=${o.pgPort} dbname=${plain(o.database)} auth_user=${plain(o.superuser)}`,
    "[pgbouncer]",
    "listen_addr = 127.0.0.1",
    `listen_port = ${port}`,
    "unix_socket_dir =",
    "auth_type = scram-sha-256",
    `auth_file = ${o.dir}/userlist.txt`,
    "auth_query = SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = $1",
    `pool_mode = ${o.poolMode}`,
    `max_client_conn = ${o.maxClients}`,
    `default_pool_size = ${o.perUserServerConnections}`,
    `max_user_connections = ${o.perUserServerConnections}`,
    `max_db_connections = ${o.serverConnections}`,
    "query_wait_timeout = 60",
    "ignore_startup_parameters = extra_float_digits",
    `logfile = ${o.dir}/pgbouncer.log`,
    `pidfile = ${o.dir}/pgbouncer.pid`,
    "",
  ].join("\n");
  fs.writeFileSync(path.join(o.dir, "pgbouncer.ini"), configText);
  fs.writeFileSync(path.join(o.dir, "userlist.txt"), `"${o.superuser}" "${o.superuserPassword.replace(/"/g, '""')}"\n`, { mode: 0o600 });
  const asPostgres = process.getuid?.() === 0;
  if (asPostgres) execFileSync("chown", ["-R", "postgres", o.dir]);
  const cmd = ["/usr/sbin/pgbouncer", "-d", path.join(o.dir, "pgbouncer.ini")];
  // ulimit: one descriptor per client plus one per server connection
  const sh = `ulimit -n ${Math.max(1024, o.maxClients * 2 + 64)} && exec ${cmd.join(" ")}`;
  execFileSync(asPostgres ? "runuser" : "bash", asPostgres ? ["-u", "postgres", "--", "bash", "-c", sh] : ["-c", sh], { stdio: "inherit" });
  for (let i = 0; i < 50 && !fs.existsSync(path.join(o.dir, "pgbouncer.pid")); i++) execFileSync("sleep", ["0.1"]);
  const stop = () => {
    try {
      process.kill(Number(fs.readFileSync(path.join(o.dir, "pgbouncer.pid"), "utf8").trim()), "SIGTERM");
    } catch {
      /* not running */
    }
  };
  return { port, stop, configText };
}
