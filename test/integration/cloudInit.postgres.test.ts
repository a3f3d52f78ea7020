// The catalog server's PostgreSQL settings, for real: a throw-away cluster started from the rendered
// postgresql.conf fragment and pg_hba.conf with an openssl-made CA + server certificate, then
// clients that must (or must not) get in. Also runs the admin bootstrap SQL and the readiness script.
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import { Client, ClientConfig } from "pg";
import { renderPgHba, renderPostgresqlConf, renderTlsReadyCommand } from "../../model/cloudInit";
import { loadServerScripts } from "../../templates/load";
import { writeCaFile } from "../../components/caFile";
import { pluginConnStr } from "../contract/postgresPlugin";
import { asPg, freePort, initCluster, makeTlsFiles, PG_BIN, removeCluster, startCluster } from "../support/tlsPostgres";

const dir = `/tmp/ducklake-pulumi/cloudinit-pg-${randomBytes(4).toString("hex")}`;
const data = path.join(dir, "data");
const tlsDir = path.join(dir, "tls");
const otherCa = path.join(dir, "other-ca.crt");
const adminRole = "ducklake_admin";
const reader = "alice";
let port = 0;
let adminPassword = "";
const readerPassword = randomBytes(12).toString("hex");

const tlsClient = (user: string, password: string, database: string, ca = path.join(tlsDir, "ca.crt")): ClientConfig => ({
  host: "127.0.0.1",
  port,
  user,
  password,
  database,
  ssl: { rejectUnauthorized: true, ca: fs.readFileSync(ca, "utf8") },
  connectionTimeoutMillis: 5000,
});
async function query(config: ClientConfig, sql: string): Promise<Record<string, unknown>> {
  const c = new Client(config);
  await c.connect();
  try {
    return (await c.query(sql)).rows[0];
  } finally {
    await c.end();
  }
}
/** psql as the superuser over the cluster's socket, stopping at the first error. */
const psqlAsPostgres = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  asPg("psql", ["-X", "-q", "-h", dir, "-p", String(port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", ...args], env);
function bootstrapAdmin(password: string) {
  psqlAsPostgres(["-v", `admin_role=${adminRole}`, "-f", path.join(dir, "bootstrap-admin.sql")], { ADMIN_PASSWORD: password });
}

const describeIfPg = PG_BIN ? describe : describe.skip;

describeIfPg("rendered PostgreSQL config on a real server", () => {
  beforeAll(async () => {
    fs.mkdirSync(tlsDir, { recursive: true });
    fs.chmodSync(dir, 0o755);
    makeTlsFiles(tlsDir);
    fs.copyFileSync(path.join(tlsDir, "other-ca.crt"), otherCa);
    fs.writeFileSync(path.join(dir, "bootstrap-admin.sql"), loadServerScripts().bootstrapAdminSql);
    port = await freePort();
    initCluster(dir, data, "initial-superuser-pw");
    // Debian's cluster config includes conf.d: mimic it and drop the rendered fragment there.
    fs.mkdirSync(path.join(data, "conf.d"));
    fs.appendFileSync(path.join(data, "postgresql.conf"), "\ninclude_dir = 'conf.d'\n");
    fs.writeFileSync(
      path.join(data, "conf.d", "ducklake.conf"),
      renderPostgresqlConf({ ramGb: 0.5, listenAddresses: "127.0.0.1", port, tlsDir, unixSocketDir: dir }) + "fsync = off\n",
    );
    // Admins come from 127.0.0.2 only; the reader from 127.0.0.1. Loopback TLS stays open to the admin role.
    fs.writeFileSync(
      path.join(data, "pg_hba.conf"),
      renderPgHba({
        adminCidrs: ["127.0.0.2/32"],
        roleCidrs: [{ role: reader, cidrs: ["127.0.0.1/32"] }],
        catalogDatabase: "lakecat",
        adminRole,
      }),
    );
    startCluster(dir, data, "postgres refused the rendered config");

    adminPassword = randomBytes(16).toString("hex");
    bootstrapAdmin("first-password-to-be-replaced");
    bootstrapAdmin(adminPassword); // idempotent: re-asserts the role with the new password
    psqlAsPostgres([
      "-c",
      "CREATE DATABASE lakecat",
      "-c",
      `CREATE ROLE ${reader} LOGIN PASSWORD '${readerPassword}'`,
      "-c",
      "CREATE ROLE writer LOGIN PASSWORD 'writerpw'",
    ]);
  }, 60000);

  afterAll(() => removeCluster(dir, data));

  it("accepts the rendered files: TLS on, TLS 1.2 floor, jit off, no pg_hba errors", async () => {
    const row = await query(
      tlsClient(adminRole, adminPassword, "postgres"),
      "SELECT s.ssl, s.version, current_setting('jit') AS jit, current_setting('ssl_min_protocol_version') AS minv, " +
        "(SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL)::int AS hba_errors FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()",
    );
    expect(row).toMatchObject({ ssl: true, jit: "off", minv: "TLSv1.2", hba_errors: 0 });
    expect(row.version).toMatch(/^TLSv1\.[23]$/);
  });

  it("verifies the server with the CA (verify-full) and fails with another CA", async () => {
    await expect(query(tlsClient(adminRole, adminPassword, "postgres", otherCa), "SELECT 1")).rejects.toThrow(
      /self[- ]signed|unable to verify|certificate/i,
    );
  });

  it("refuses a connection without TLS", async () => {
    await expect(
      query({ host: "127.0.0.1", port, user: adminRole, password: adminPassword, database: "postgres", ssl: false }, "SELECT 1"),
    ).rejects.toThrow(/pg_hba\.conf rejects connection .* no encryption/);
  });

  it("refuses a wrong password (scram) and the bootstrap's replaced password", async () => {
    await expect(query(tlsClient(adminRole, "first-password-to-be-replaced", "postgres"), "SELECT 1")).rejects.toThrow(
      /password authentication failed/,
    );
    const row = await query(
      tlsClient(adminRole, adminPassword, "postgres"),
      `SELECT rolsuper, rolpassword LIKE 'SCRAM-SHA-256$%' AS scram FROM pg_authid WHERE rolname = '${adminRole}'`,
    );
    expect(row).toEqual({ rolsuper: true, scram: true });
  });

  it("lets a reader in from its CIDR to the catalog database only", async () => {
    expect(await query(tlsClient(reader, readerPassword, "lakecat"), "SELECT current_user AS u")).toEqual({ u: reader });
    await expect(query(tlsClient(reader, readerPassword, "postgres"), "SELECT 1")).rejects.toThrow(
      /pg_hba\.conf rejects connection .* user "alice", database "postgres", SSL encryption/,
    );
  });

  it("keeps other roles out when they are not on the admin allow-list", async () => {
    await expect(query(tlsClient("writer", "writerpw", "lakecat"), "SELECT 1")).rejects.toThrow(
      /pg_hba\.conf rejects connection .* user "writer", database "lakecat", SSL encryption/,
    );
  });

  it("readiness script: succeeds on verify-full TLS, fails in time with the wrong CA", () => {
    const scripts = loadServerScripts();
    const env = {
      ...process.env,
      SKIP_CLOUD_INIT_WAIT: "1",
      PGHOSTADDR: "127.0.0.1",
      PGPORT: String(port),
      PGUSER: adminRole,
      PGPASSWORD: adminPassword,
    };
    const ok = spawnSync("bash", ["-c", renderTlsReadyCommand("127.0.0.1", scripts, 20)], {
      env: { ...env, CA_FILE: path.join(tlsDir, "ca.crt") },
      encoding: "utf8",
    });
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("PostgreSQL accepts verify-full TLS connections as 127.0.0.1");
    const bad = spawnSync("bash", ["-c", renderTlsReadyCommand("127.0.0.1", scripts, 1)], {
      env: { ...env, CA_FILE: otherCa },
      encoding: "utf8",
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/did not accept TLS \(verify-full\) within 1s: .*certificate verify failed/s);
  }, 20000);

  // Issue 11 item 7: the postgresql provider plugin connects with lib/pq using the URL of config.go connStr
  // (test/contract/postgresPlugin.ts pluginConnStr): sslmode=verify-full and sslrootcert = the file
  // components/caFile.ts writes. libpq (psql) applies the same verify-full rules: chain to that CA, and the
  // certificate's IP/DNS SAN equal to the host.
  it("postgresql provider connection: verify-full with the CA file the program writes; refused with another CA or host name", () => {
    const caFile = writeCaFile(path.join(dir, "provider", "prod-ca.pem"), fs.readFileSync(path.join(tlsDir, "ca.crt"), "utf8"));
    const url = (host: string, rootcert: string) =>
      pluginConnStr({
        host,
        port,
        username: adminRole,
        password: adminPassword,
        database: "postgres",
        sslmode: "verify-full",
        sslrootcert: rootcert,
        connectTimeout: 5,
      });
    const psql = (conninfo: string, extra: string[] = []) =>
      spawnSync("psql", [...extra, "-X", "-tA", "-d", conninfo, "-c", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"], {
        encoding: "utf8",
      });
    const ok = psql(url("127.0.0.1", caFile));
    expect([ok.status, ok.stdout.trim(), ok.stderr]).toEqual([0, "t", ""]);
    const wrongCa = psql(url("127.0.0.1", otherCa));
    expect(wrongCa.status).not.toBe(0);
    expect(wrongCa.stderr).toMatch(/certificate verify failed/);
    // Same server, reached under a name its certificate does not carry.
    const wrongName = psql(`${url("localhost", caFile)}&hostaddr=127.0.0.1`);
    expect(wrongName.status).not.toBe(0);
    expect(wrongName.stderr).toMatch(/server certificate for "127\.0\.0\.1"( \(and 1 other name\))? does not match host name "localhost"/);
    // The file is rewritten only when the CA changes, and only as one PEM certificate.
    expect(writeCaFile(caFile, fs.readFileSync(caFile, "utf8"))).toBe(caFile);
    expect(() => writeCaFile(caFile, "not a certificate")).toThrow(/not one PEM certificate/);
    expect(() => writeCaFile("relative/ca.pem", fs.readFileSync(caFile, "utf8"))).toThrow(/must be an absolute path/);
  });

  it("bootstrap SQL fails loudly without a password", () => {
    expect(() => bootstrapAdmin("")).toThrow(/ADMIN_PASSWORD is not set/);
  });
});
