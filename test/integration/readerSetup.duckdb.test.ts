// The reader's rendered DuckDB setup as pasted in production: the catalog PostgreSQL speaks TLS only
// (rendered production postgresql.conf, test/support/tlsPostgres.ts) and the setup uses sslmode=verify-full
// with the CA where the setup says to put it. When ATTACH fails, DuckDB repeats the ATTACH path in its error:
// the password must not be there (it lives in a DuckDB secret).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import { Client } from "pg";
import { createTestBucket, testStorage } from "../support/s3";
import { repoRoot, rgw } from "../support/services";
import { describeWithDuckDB, runPasted } from "../support/duckdb";
import { startTlsPostgres, TlsPostgres } from "../support/tlsPostgres";
import { grantRead, installGuard } from "../../postgres/guardClient";
import { pgClientConfig } from "../../postgres/connection";
import { renderReaderSetup, ReaderSetupParams } from "../../model/grants";
import { quoteIdent, quoteLiteral } from "../../model/names";
import { LakeConnectionInfo, parseLakeConnectionInfo } from "../../cli/connectionInfo";
import { openDuckDB, openLakeSession } from "../../cli/duckdbSession";

const reader = `tls_reader_${randomBytes(3).toString("hex")}`;
const readerPassword = `Pw${randomBytes(12).toString("hex")}`;
let pg: TlsPostgres;
let info: LakeConnectionInfo;
let dir: string;

function params(over: Partial<ReaderSetupParams> = {}): ReaderSetupParams {
  const r = rgw().readers[0];
  return {
    reader,
    password: readerPassword,
    host: pg.host,
    port: pg.port,
    database: "lakecat",
    sslmode: "verify-full",
    catalogSchema: "public",
    s3Endpoint: rgw().endpoint,
    s3Region: rgw().region,
    accessKey: r.accessKey,
    secretKey: r.secretKey,
    bucket: info.storage.bucket,
    ...over,
  };
}

/** Pastes a setup into DuckDB in a fresh process (its own HOME and environment, as a user's machine). */
function pasteInNewProcess(setup: string, env: Record<string, string>): { tables?: string[]; rows?: string; error?: string } {
  const file = path.join(dir, `setup-${randomBytes(3).toString("hex")}.sql`);
  fs.writeFileSync(file, setup, { mode: 0o600 });
  const script = `
    require("ts-node").register({ transpileOnly: true });
    const fs = require("fs");
    const { openDuckDB } = require("./cli/duckdbSession");
    const { runPasted } = require("./test/support/duckdb");
    (async () => {
      const s = await openDuckDB();
      try {
        await runPasted(s.connection, fs.readFileSync(${JSON.stringify(file)}, "utf8"));
        const tables = (await s.connection.runAndReadAll("SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = 'lake'")).getRows().map((r) => r[0]);
        const rows = String((await s.connection.runAndReadAll("SELECT count(*) FROM s.t")).getRows()[0][0]);
        process.stdout.write(JSON.stringify({ tables, rows }));
      } catch (e) { process.stdout.write(JSON.stringify({ error: e.message })); }
      finally { s.close(); }
    })();`;
  const r = spawnSync(process.execPath, ["-e", script], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 120_000,
    env: {
      PATH: process.env.PATH!,
      ...(process.env.DUCKLAKE_DUCKDB_EXTENSIONS ? { DUCKLAKE_DUCKDB_EXTENSIONS: process.env.DUCKLAKE_DUCKDB_EXTENSIONS } : {}),
      ...env,
    },
  });
  if (r.status !== 0 || !r.stdout) throw new Error(`paste process failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function home(ca?: string): string {
  const h = fs.mkdtempSync(path.join(dir, "home-"));
  if (ca) {
    fs.mkdirSync(path.join(h, ".postgresql"), { mode: 0o700 });
    fs.writeFileSync(path.join(h, ".postgresql", "root.crt"), ca);
  }
  return h;
}

describeWithDuckDB("the rendered reader setup on a TLS-only catalog (verify-full)", () => {
  beforeAll(async () => {
    pg = await startTlsPostgres();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "reader-setup-"));
    info = parseLakeConnectionInfo({
      catalog: {
        host: pg.host,
        port: pg.port,
        database: "lakecat",
        user: pg.user,
        password: pg.password,
        sslmode: "verify-full",
        sslRootCert: pg.caPem,
      },
      storage: testStorage(await createTestBucket("tls")),
      readers: [],
    });
    const admin = new Client(pgClientConfig({ ...info.catalog, database: "postgres" }));
    await admin.connect();
    await admin.query("CREATE DATABASE lakecat");
    await admin.end();
    const owner = new Client(pgClientConfig(info.catalog));
    await owner.connect();
    try {
      await installGuard(owner);
      // The owner's own CLI session over verify-full (the CA written to a temporary file by openLakeSession).
      const s = await openLakeSession(info);
      try {
        await s.connection.run("CALL lake.set_option('data_inlining_row_limit', 10)");
        await s.connection.run("CREATE SCHEMA lake.s; CREATE TABLE lake.s.t (i INTEGER); INSERT INTO lake.s.t VALUES (1), (2), (3)");
        await s.connection.run("CREATE TABLE lake.s.hidden (i INTEGER)");
      } finally {
        s.close();
      }
      await owner.query(`CREATE ROLE ${quoteIdent(reader)} LOGIN PASSWORD ${quoteLiteral(readerPassword)}`);
      await grantRead(owner, { reader, schema: "s", table: "t" });
    } finally {
      await owner.end();
    }
  }, 120_000);

  afterAll(() => {
    pg?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("works as pasted with the CA where the setup says (~/.postgresql/root.crt, or PGSSLROOTCERT)", () => {
    const setup = renderReaderSetup(params());
    expect(setup).toContain("~/.postgresql/root.crt");
    expect(pasteInNewProcess(setup, { HOME: home(pg.caPem) })).toEqual({ tables: ["s.t"], rows: "3" });
    const caFile = path.join(dir, "lake-ca.pem");
    fs.writeFileSync(caFile, pg.caPem);
    expect(pasteInNewProcess(setup, { HOME: home(), PGSSLROOTCERT: caFile })).toEqual({ tables: ["s.t"], rows: "3" });
    // With an explicit CA file named in the setup.
    expect(pasteInNewProcess(renderReaderSetup(params({ sslRootCertPath: caFile })), { HOME: home() })).toEqual({
      tables: ["s.t"],
      rows: "3",
    });
  }, 120_000);

  it("verify-full really verifies: another CA, or none, is refused", () => {
    const setup = renderReaderSetup(params());
    expect(pasteInNewProcess(setup, { HOME: home(pg.otherCaPem) }).error).toMatch(/certificate verify failed/);
    expect(pasteInNewProcess(setup, { HOME: home() }).error).toMatch(/root certificate file .* does not exist/);
  }, 120_000);

  it("a failed ATTACH (wrong password) shows no password in DuckDB's error; the old inline form did", async () => {
    const wrong = `Wrong${randomBytes(10).toString("hex")}`;
    const caFile = path.join(dir, "lake-ca.pem");
    fs.writeFileSync(caFile, pg.caPem);
    const s = await openDuckDB();
    try {
      let message = "";
      await runPasted(s.connection, renderReaderSetup(params({ password: wrong, sslRootCertPath: caFile }))).catch((e) => {
        message = (e as Error).message;
      });
      expect(message).toMatch(/password authentication failed for user/);
      expect(message).not.toContain(wrong);
      expect(message).not.toContain(readerPassword);
      // The form the setup had before: the password inside the ATTACH path comes back in the error text.
      const inline = `dbname=lakecat host=${pg.host} port=${pg.port} user=${reader} password=${wrong} sslmode=verify-full sslrootcert=${caFile}`;
      const old = await s.connection.run(`ATTACH 'ducklake:postgres:${inline}' AS old (READ_ONLY)`).then(
        () => "",
        (e) => (e as Error).message,
      );
      expect(old).toMatch(/password authentication failed/);
      expect(old).toContain(wrong);
    } finally {
      s.close();
    }
  }, 60_000);
});
