// A throw-away PostgreSQL that speaks TLS only, configured with the rendered production postgresql.conf
// (model/cloudInit.ts) and an openssl-made CA, for clients that must connect with sslmode=verify-full
// (the test PostgreSQL of globalSetup has TLS off, like the local stack). The cluster steps are exported for
// tests that render their own config around them (cloudInit.postgres).
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { execFileSync, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import { renderPostgresqlConf } from "../../model/cloudInit";

export interface TlsPostgres {
  host: string;
  port: number;
  /** Superuser (password login over TLS). */
  user: string;
  password: string;
  /** PEM of the CA that signed the server certificate, and of an unrelated CA. */
  caPem: string;
  otherCaPem: string;
  dir: string;
  stop(): void;
}

/** The newest PostgreSQL server binaries installed, or undefined when there are none. */
export const PG_BIN = fs.existsSync("/usr/lib/postgresql")
  ? fs
      .readdirSync("/usr/lib/postgresql")
      .sort()
      .reverse()
      .map((v) => `/usr/lib/postgresql/${v}/bin`)
      .find((d) => fs.existsSync(`${d}/initdb`))
  : undefined;
const isRoot = process.getuid?.() === 0;

/** Runs `cmd` as the postgres user when we are root (initdb refuses root); returns its stdout. */
export function asPg(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(isRoot ? "runuser" : cmd, isRoot ? ["-u", "postgres", "--", cmd, ...args] : args, {
    env: { ...process.env, ...env },
    stdio: "pipe",
    encoding: "utf8",
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Writes ca.crt, other-ca.crt (an unrelated CA) and server.crt/server.key for 127.0.0.1 signed by ca.crt into `tlsDir`. */
export function makeTlsFiles(tlsDir: string): void {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: tlsDir, stdio: "pipe" });
  for (const [name, cn] of [
    ["ca", "test ducklake CA"],
    ["other-ca", "some other CA"],
  ]) {
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`);
    openssl(
      "req",
      "-x509",
      "-new",
      "-key",
      `${name}.key`,
      "-subj",
      `/CN=${cn}`,
      "-days",
      "2",
      "-out",
      `${name}.crt`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    );
  }
  openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key");
  openssl("req", "-new", "-key", "server.key", "-subj", "/CN=127.0.0.1", "-out", "server.csr");
  fs.writeFileSync(
    path.join(tlsDir, "ext.cnf"),
    "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n",
  );
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
    "-out",
    "server.crt",
  );
  fs.chmodSync(path.join(tlsDir, "server.key"), 0o600);
}

/** initdb of `data` (superuser postgres with `password`, peer locally, scram over TCP); `dir` becomes postgres'. */
export function initCluster(dir: string, data: string, password: string): void {
  if (!PG_BIN) throw new Error("PostgreSQL server binaries not found (apt-get install postgresql-15)");
  fs.writeFileSync(path.join(dir, "pwfile"), `${password}\n`);
  if (isRoot) execFileSync("chown", ["-R", "postgres", dir]);
  asPg(`${PG_BIN}/initdb`, [
    "-D",
    data,
    "-U",
    "postgres",
    `--pwfile=${path.join(dir, "pwfile")}`,
    "--auth-local=peer",
    "--auth-host=scram-sha-256",
    "--encoding=UTF8",
    "--locale=C.UTF-8",
  ]);
}

/** Starts the cluster in `data` (log in `dir`/server.log); throws `failure` with the log when it does not start. */
export function startCluster(dir: string, data: string, failure: string): void {
  if (isRoot) execFileSync("chown", ["-R", "postgres", dir]);
  const started = spawnSync(
    isRoot ? "runuser" : `${PG_BIN}/pg_ctl`,
    [
      ...(isRoot ? ["-u", "postgres", "--", `${PG_BIN}/pg_ctl`] : []),
      "-D",
      data,
      "-l",
      path.join(dir, "server.log"),
      "-w",
      "-t",
      "30",
      "start",
    ],
    { encoding: "utf8" },
  );
  if (started.status !== 0) throw new Error(`${failure}:\n${fs.readFileSync(path.join(dir, "server.log"), "utf8")}`);
}

/** Stops the cluster in `data` if it runs and removes `dir`. */
export function removeCluster(dir: string, data: string): void {
  if (fs.existsSync(path.join(data, "postmaster.pid"))) asPg(`${PG_BIN}/pg_ctl`, ["-D", data, "-m", "immediate", "stop"]);
  fs.rmSync(dir, { recursive: true, force: true });
}

export async function startTlsPostgres(): Promise<TlsPostgres> {
  if (!PG_BIN) throw new Error("PostgreSQL server binaries not found (apt-get install postgresql-15)");
  const dir = `/tmp/ducklake-pulumi/tls-pg-${randomBytes(4).toString("hex")}`;
  const data = path.join(dir, "data");
  const tlsDir = path.join(dir, "tls");
  fs.mkdirSync(tlsDir, { recursive: true });
  fs.chmodSync(path.dirname(dir), 0o755);
  fs.chmodSync(dir, 0o755);
  makeTlsFiles(tlsDir);
  const password = randomBytes(12).toString("hex");
  const port = await freePort();
  initCluster(dir, data, password);
  fs.appendFileSync(
    path.join(data, "postgresql.conf"),
    `\n${renderPostgresqlConf({ ramGb: 0.5, listenAddresses: "127.0.0.1", port, tlsDir, unixSocketDir: dir })}fsync = off\n`,
  );
  // TLS only, as on the catalog server.
  fs.writeFileSync(
    path.join(data, "pg_hba.conf"),
    "local all postgres peer\nhostssl all all 127.0.0.1/32 scram-sha-256\nhost all all 0.0.0.0/0 reject\n",
  );
  startCluster(dir, data, "TLS PostgreSQL did not start");
  return {
    host: "127.0.0.1",
    port,
    user: "postgres",
    password,
    dir,
    caPem: fs.readFileSync(path.join(tlsDir, "ca.crt"), "utf8"),
    otherCaPem: fs.readFileSync(path.join(tlsDir, "other-ca.crt"), "utf8"),
    stop() {
      removeCluster(dir, data);
    },
  };
}
