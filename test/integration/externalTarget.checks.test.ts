// The external target's preview-time checks (postgres/externalServerChecks.ts + model/externalServer.ts) against
// real PostgreSQL 15 servers: a TLS-only server (test/support/tlsPostgres.ts) on which the superuser only creates
// managed-shape logins (LOGIN CREATEROLE CREATEDB, no superuser) and the situations the checks must name; every
// check connects as such a login with sslmode=verify-full and the server's CA. One message per situation.
import { Client } from "pg";
import { randomBytes } from "crypto";
import { startTlsPostgres, TlsPostgres } from "../support/tlsPostgres";
import { pgAdmin } from "../support/services";
import { CatalogConnection } from "../../model/connection";
import { externalCheckVerdict, externalServerChecks, ExternalCheck } from "../../model/externalServer";
import { ExternalConnectionError, readExternalServerFacts } from "../../postgres/externalServerChecks";
import { quoteIdent } from "../../model/names";
import { normalizeCaPem } from "../../model/externalServer";
import { writeCaFile } from "../../components/caFile";
import { ensureReaderBaseRole } from "../../providers/readerBaseRole";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

let tls: TlsPostgres;
let su: Client;
const tag = randomBytes(3).toString("hex");
const ADMIN = `ext_admin_${tag}`;
const NO_CREATEDB = `ext_nodb_${tag}`;
const FOREIGN = `ext_foreign_${tag}`;
const PW = randomBytes(9).toString("hex");
const ROLES = [`ext_owner_${tag}`, `ext_writer_${tag}`, `ext_reader_${tag}`];

const asAdmin = (over: Partial<CatalogConnection> = {}): CatalogConnection => ({
  host: "127.0.0.1",
  port: tls.port,
  database: "postgres",
  user: ADMIN,
  password: PW,
  sslmode: "verify-full",
  sslRootCert: tls.caPem,
  ...over,
});
const checksOf = async (conn: CatalogConnection, catalogDatabase = `lake_${tag}`, roles = ROLES): Promise<ExternalCheck[]> =>
  externalServerChecks(await readExternalServerFacts(conn, { catalogDatabase, roles }), { catalogDatabase, adminUser: conn.user });
const byCheck = (cs: ExternalCheck[], check: string) => cs.filter((c) => c.check === check);
const failure = async (conn: CatalogConnection): Promise<ExternalConnectionError> => {
  try {
    await readExternalServerFacts(conn, { catalogDatabase: "x", roles: [] });
  } catch (e) {
    return e as ExternalConnectionError;
  }
  throw new Error("expected the connection to fail");
};

beforeAll(async () => {
  tls = await startTlsPostgres();
  su = new Client({
    host: "127.0.0.1",
    port: tls.port,
    user: tls.user,
    password: tls.password,
    database: "postgres",
    ssl: { ca: tls.caPem },
  });
  await su.connect();
  // The superuser does only what a managed service does before handing over: one admin login (and, for the
  // negative cases, a login without CREATEDB and a role the admin has nothing to do with).
  await su.query(`CREATE ROLE ${ADMIN} LOGIN CREATEROLE CREATEDB NOSUPERUSER NOBYPASSRLS PASSWORD '${PW}'`);
  await su.query(`CREATE ROLE ${NO_CREATEDB} LOGIN CREATEROLE NOSUPERUSER PASSWORD '${PW}'`);
  await su.query(`CREATE ROLE ${FOREIGN} NOLOGIN`);
}, 120_000);

afterAll(async () => {
  await su?.end();
  tls?.stop();
});

describe("externalTarget.checks on a managed-shape login", () => {
  it("externalTarget.checks: a CREATEROLE + CREATEDB admin on PostgreSQL 15 over verify-full passes every check, no superuser needed", async () => {
    const facts = await readExternalServerFacts(asAdmin(), { catalogDatabase: `lake_${tag}`, roles: ROLES });
    expect(facts.admin).toEqual({ name: ADMIN, superuser: false, createRole: true, createDb: true, bypassRls: false });
    expect(facts.tls).toEqual({ ssl: true, version: expect.stringMatching(/^TLSv1\.[23]$/) });
    expect(facts.versionNum).toBeGreaterThanOrEqual(150000);
    expect(facts.database).toBeUndefined();
    expect(facts.roles.map((r) => [r.name, r.exists])).toEqual(ROLES.map((r) => [r, false]));
    const checks = externalServerChecks(facts, { catalogDatabase: `lake_${tag}`, adminUser: ADMIN });
    expect(checks.filter((c) => c.level !== "ok")).toEqual([]);
    expect(checks.map((c) => c.check)).toEqual(["version", "privileges", "jit", "tls", "database", "roles"]);
    expect(byCheck(checks, "version")[0].message).toMatch(/^PostgreSQL 15\./);
    expect(byCheck(checks, "database")[0].message).toBe(`database "lake_${tag}" will be created`);
    expect(externalCheckVerdict(checks, "here")).toEqual([]);
    // The connection slots as the server reports them to a non-superuser.
    const max = Number((await su.query("SHOW max_connections")).rows[0].max_connections);
    expect(facts.connections).toEqual({ max, superuserReserved: 3, reserved: 0 });
    const readers = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `r${i}`, connectionLimit: 4 }));
    const slots = max - 3 - 10;
    const fits = externalServerChecks(facts, { catalogDatabase: "x", adminUser: ADMIN, readers: readers(Math.floor(slots / 4)) });
    expect(byCheck(fits, "connections")).toEqual([
      { check: "connections", level: "ok", message: expect.stringMatching(new RegExp(`of the ${slots} connections left`)) },
    ]);
    const many = externalServerChecks(facts, { catalogDatabase: "x", adminUser: ADMIN, readers: readers(Math.floor(slots / 4) + 1) });
    expect(byCheck(many, "connections")[0]).toMatchObject({
      level: "warning",
      message: expect.stringMatching(
        new RegExp(`but the server runs max_connections = ${max} .*: ${slots} for readers;.*at most \\d+ per reader`),
      ),
    });
  });

  it("externalTarget.checks: an admin without CREATEDB is refused, naming what to ask the service for", async () => {
    const checks = await checksOf(asAdmin({ user: NO_CREATEDB }));
    expect(byCheck(checks, "privileges")).toEqual([
      {
        check: "privileges",
        level: "error",
        message: expect.stringMatching(
          new RegExp(`^the admin login "${NO_CREATEDB}" lacks CREATEDB: ask the service for a login with CREATEROLE and CREATEDB`),
        ),
      },
    ]);
    expect(() => externalCheckVerdict(checks, "127.0.0.1")).toThrow(
      /cannot hold the catalog \(1 problem\):\n {2}- privileges: .*lacks CREATEDB/,
    );
  });

  it("externalTarget.checks: an existing catalog database of a role the admin is not a member of is refused; one of a role the admin administers passes", async () => {
    const foreignDb = `foreign_${tag}`;
    await su.query(`CREATE DATABASE ${foreignDb} OWNER ${FOREIGN}`);
    const checks = await checksOf(asAdmin(), foreignDb);
    expect(byCheck(checks, "database")).toEqual([
      {
        check: "database",
        level: "error",
        message: `database "${foreignDb}" exists and belongs to "${FOREIGN}", of which "${ADMIN}" is not a member: use another catalogDatabase (pulumi config set ducklake:catalogDatabase <name>), or have "${FOREIGN}" granted to "${ADMIN}" deliberately`,
      },
    ]);
    // The check never grants itself the role (PostgreSQL 15's CREATEROLE would allow it).
    expect((await su.query("SELECT pg_has_role($1, $2, 'MEMBER') AS m", [ADMIN, FOREIGN])).rows[0].m).toBe(false);
    // A database the admin made for a role it made (what a previous `pulumi up` leaves) passes.
    const admin = new Client({
      host: "127.0.0.1",
      port: tls.port,
      user: ADMIN,
      password: PW,
      database: "postgres",
      ssl: { ca: tls.caPem },
    });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${quoteIdent(ROLES[0])} LOGIN`);
      await admin.query(`GRANT ${quoteIdent(ROLES[0])} TO ${ADMIN}`);
      await admin.query(`CREATE DATABASE own_${tag} OWNER ${quoteIdent(ROLES[0])}`);
      const own = await checksOf(asAdmin(), `own_${tag}`);
      expect(byCheck(own, "database")).toEqual([
        {
          check: "database",
          level: "ok",
          message: expect.stringMatching(
            new RegExp(`^database "own_${tag}" exists \\(owner "${ROLES[0]}"\\) and the admin may act as its owner`),
          ),
        },
      ]);
      expect(own.filter((c) => c.level === "error")).toEqual([]);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS own_${tag}`);
      await admin.query(`DROP ROLE IF EXISTS ${quoteIdent(ROLES[0])}`);
      await admin.end();
    }
  });

  it("externalTarget.checks: an existing program role with BYPASSRLS or SUPERUSER is refused, one message each", async () => {
    await su.query(`CREATE ROLE ${quoteIdent(ROLES[1])} LOGIN BYPASSRLS`);
    await su.query(`CREATE ROLE ${quoteIdent(ROLES[2])} NOLOGIN SUPERUSER`);
    try {
      const checks = await checksOf(asAdmin());
      expect(byCheck(checks, "roles")).toEqual([
        {
          check: "roles",
          level: "error",
          message: expect.stringMatching(
            new RegExp(`^role "${ROLES[1]}" exists with BYPASSRLS: it would see every catalog row past the guard`),
          ),
        },
        {
          check: "roles",
          level: "error",
          message: expect.stringMatching(new RegExp(`^role "${ROLES[2]}" exists with SUPERUSER: .*NOSUPERUSER\\)$`)),
        },
      ]);
    } finally {
      await su.query(`DROP ROLE ${quoteIdent(ROLES[1])}, ${quoteIdent(ROLES[2])}`);
    }
  });

  it("externalTarget.checks: jit on server-wide is a warning (the owner sets it off per database), not a refusal", async () => {
    await su.query("ALTER SYSTEM SET jit = on");
    await su.query("SELECT pg_reload_conf()");
    await new Promise((r) => setTimeout(r, 300));
    try {
      const checks = await checksOf(asAdmin());
      expect(byCheck(checks, "jit")).toEqual([
        {
          check: "jit",
          level: "warning",
          message: expect.stringMatching(
            /^jit is on server-wide \(configuration file\); the guard install sets it off for the catalog database/,
          ),
        },
      ]);
      expect(externalCheckVerdict(checks, "here")).toEqual([expect.stringMatching(/^jit: jit is on server-wide/)]);
    } finally {
      await su.query("ALTER SYSTEM RESET jit");
      await su.query("SELECT pg_reload_conf()");
    }
  });
});

describe("externalTarget.checks: TLS and login failures name the reason", () => {
  it("externalTarget.checks: a host name the certificate does not hold (localhost vs a certificate for 127.0.0.1)", async () => {
    const e = await failure(asAdmin({ host: "localhost" }));
    expect(e).toBeInstanceOf(ExternalConnectionError);
    expect(e.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    expect(e.message).toMatch(
      /^TLS: the server certificate of localhost:\d+ does not name host "localhost" \(Hostname\/IP does not match certificate's altnames: .*127\.0\.0\.1\): set externalPgHost to a name the certificate holds/,
    );
  });

  it("externalTarget.checks: a certificate not signed by the configured CA", async () => {
    const e = await failure(asAdmin({ sslRootCert: tls.otherCaPem }));
    expect(e.message).toMatch(
      /^TLS: the server certificate of 127\.0\.0\.1:\d+ is not signed by the CA in externalPgCaCert \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE):/,
    );
  });

  it("externalTarget.checks: a server without TLS", async () => {
    const plain = pgAdmin(); // the suite's PostgreSQL has TLS off, like the local stack
    const e = await failure({ ...plain, database: "postgres", sslmode: "verify-full", sslRootCert: tls.caPem });
    expect(e.message).toMatch(
      /^TLS: 127\.0\.0\.1:\d+ does not accept TLS connections: the external target connects with sslmode=verify-full only/,
    );
  });

  it("externalTarget.checks: a wrong password", async () => {
    const e = await failure(asAdmin({ password: "wrong" }));
    expect(e.code).toBe("28P01");
    expect(e.message).toMatch(
      new RegExp(
        `^authentication of "${ADMIN}" at 127\\.0\\.0\\.1:\\d+ failed \\(28P01: .*\\): check externalPgAdminUser and externalPgAdminPassword`,
      ),
    );
  });

  it("externalTarget.checks: a port nothing listens on", async () => {
    const e = await failure(asAdmin({ port: 1 }));
    expect(e.message).toMatch(/^cannot reach 127\.0\.0\.1:1 \(ECONNREFUSED\): check externalPgHost\/externalPgPort/);
  });
});

describe("externalTarget.checks: the CA as the postgresql plugin gets it", () => {
  it("externalTarget.checks: a CA bundle (another CA first) as config normalizes it, written by caFile, verifies the server with libpq verify-full", () => {
    const bundle = normalizeCaPem((tls.otherCaPem + tls.caPem).replace(/\n/g, "\r\n"));
    expect(bundle.problem).toBeUndefined();
    expect(bundle.subjects).toHaveLength(2);
    const file = writeCaFile(path.join(tls.dir, "provider", "ext-ca.pem"), bundle.pem);
    expect(fs.readFileSync(file, "utf8").match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    const psql = (rootcert: string) =>
      spawnSync(
        "psql",
        [
          "-X",
          "-tA",
          "-d",
          `host=127.0.0.1 port=${tls.port} dbname=postgres user=${ADMIN} sslmode=verify-full sslrootcert=${rootcert}`,
          "-c",
          "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ],
        { encoding: "utf8", env: { ...process.env, PGPASSWORD: PW } },
      );
    const ok = psql(file);
    expect([ok.status, ok.stdout.trim()]).toEqual([0, "t"]);
    // the bundle without the server's CA is refused
    const other = writeCaFile(path.join(tls.dir, "provider", "other-ca.pem"), normalizeCaPem(tls.otherCaPem).pem);
    const refused = psql(other);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/certificate verify failed/);
  });
});

describe("externalTarget.checks: ducklake_reader on this server", () => {
  it("externalTarget.checks: the admin creates ducklake_reader NOLOGIN NOINHERIT once; one with LOGIN or BYPASSRLS is refused by the preview and by ReaderBaseRole", async () => {
    // This TLS server is the test's own: the shared reader base role can be broken here without touching other suites.
    await su.query("DROP ROLE IF EXISTS ducklake_reader");
    expect(await ensureReaderBaseRole(asAdmin())).toBe(true);
    expect(await ensureReaderBaseRole(asAdmin())).toBe(false);
    expect(
      (await su.query("SELECT rolcanlogin, rolinherit, rolbypassrls FROM pg_roles WHERE rolname = 'ducklake_reader'")).rows[0],
    ).toEqual({
      rolcanlogin: false,
      rolinherit: false,
      rolbypassrls: false,
    });
    await su.query("ALTER ROLE ducklake_reader LOGIN BYPASSRLS");
    try {
      await expect(ensureReaderBaseRole(asAdmin())).rejects.toThrow(
        /^role ducklake_reader exists with BYPASSRLS, LOGIN: every reader is a member of it; have the service run ALTER ROLE ducklake_reader NOSUPERUSER NOBYPASSRLS NOLOGIN$/,
      );
      const checks = await checksOf(asAdmin(), `lake_${tag}`, ["ducklake_reader"]);
      expect(byCheck(checks, "roles")[0]).toMatchObject({
        level: "error",
        message: expect.stringMatching(/^role "ducklake_reader" exists with BYPASSRLS/),
      });
    } finally {
      await su.query("DROP ROLE ducklake_reader");
    }
  });
});
