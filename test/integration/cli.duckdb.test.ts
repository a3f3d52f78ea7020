// shell / load-sample end to end with the real DuckDB extensions (ducklake, postgres, httpfs, tpch)
// on real PostgreSQL + Ceph RGW (offline builds via test/support/duckdb.ts: CI fails without them), and
// what a user sees when an extension cannot be loaded (a broken extension file, so no download is tried).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { randomBytes } from "crypto";
import { spawnSync } from "child_process";
import { Client } from "pg";
import { PutBucketPolicyCommand } from "@aws-sdk/client-s3";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { createTestBucket, s3Client, testStorage } from "../support/s3";
import { pgAdmin, repoRoot, rgw } from "../support/services";
import { installGuard, grantRead } from "../../postgres/guardClient";
import { readCatalogLayout } from "../../postgres/catalogLayout";
import { buildBucketPolicy } from "../../model/bucketPolicy";
import { grantKey } from "../../model/grants";
import { quoteIdent, quoteLiteral } from "../../model/names";
import { LakeConnectionInfo, parseLakeConnectionInfo } from "../../cli/connectionInfo";
import { openLakeSession } from "../../cli/duckdbSession";
import { loadSample } from "../../cli/loadSample";
import { runStatement } from "../../cli/shell";
import { EXTENSIONS_ENV, findOfflineExtensions } from "../../cli/duckdbExtensions";
import { describeWithDuckDB } from "../support/duckdb";

let conn: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let bucket: string;
let info: LakeConnectionInfo;
const reader = `cli_duck_${randomBytes(3).toString("hex")}`;
const readerPassword = randomBytes(9).toString("hex");

async function setUp(): Promise<void> {
  const svc = rgw();
  const pg = pgAdmin();
  bucket = await createTestBucket("cliduck");
  conn = await createTestDatabase("cliduck");
  info = parseLakeConnectionInfo({
    catalog: { host: pg.host, port: pg.port, database: conn.database, user: pg.user, password: pg.password, sslmode: "disable" },
    storage: testStorage(bucket),
    readers: [
      {
        name: reader,
        password: readerPassword,
        s3: { projectId: svc.readerProject, ...svc.readers[0] },
        grants: [{ schema: "tpch", table: "nation" }],
      },
    ],
  });
}

describeWithDuckDB("shell and load-sample on a real lake", () => {
  beforeAll(setUp, 60_000);
  afterAll(async () => {
    if (conn) await dropTestDatabase(conn);
    await withClient(pgAdmin(), (c) => c.query(`DROP ROLE IF EXISTS ${quoteIdent(reader)}`));
  });

  it("load-sample creates the lake's tpch schema once; a re-run changes nothing", async () => {
    const s = await openLakeSession(info, { extraExtensions: ["tpch"] });
    try {
      const first = await loadSample(s.connection, 0.001, () => undefined);
      expect(first.map((r) => r.action)).toEqual(Array(8).fill("create"));
      const second = await loadSample(s.connection, 0.001, () => undefined);
      expect(second.map((r) => r.action)).toEqual(Array(8).fill("skip"));
      expect(await runStatement(s.connection, "SELECT count(*) AS n FROM lake.tpch.nation")).toContain("25");
    } finally {
      s.close();
    }
  }, 300_000);

  it("a reader's shell is read-only and sees only its granted table", async () => {
    await withClient(conn!, async (c: Client) => {
      await installGuard(c);
      await c.query(`CREATE ROLE ${quoteIdent(reader)} LOGIN PASSWORD ${quoteLiteral(readerPassword)}`);
      await grantRead(c, { reader, schema: "tpch", table: "nation" });
      const layout = await readCatalogLayout(c, { bucket });
      const policy = buildBucketPolicy({
        bucket,
        ownerProjectId: rgw().adminProject,
        layout,
        readers: [{ name: reader, principal: { projectId: rgw().readerProject, accessKey: rgw().readers[0].accessKey } }],
        grants: [{ reader, schema: "tpch", table: "nation", mode: "read", key: grantKey(reader, "tpch", "nation") }],
      });
      await s3Client(rgw().admin).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy.json }));
    });
    const s = await openLakeSession(info, { reader: info.readers[0] });
    try {
      expect(await runStatement(s.connection, "SELECT count(*) AS n FROM lake.tpch.nation")).toContain("25");
      await expect(runStatement(s.connection, "SELECT count(*) FROM lake.tpch.orders")).rejects.toThrow();
      await expect(runStatement(s.connection, "CREATE TABLE lake.tpch.x AS SELECT 1")).rejects.toThrow(/read.only/i);
    } finally {
      s.close();
    }
  }, 120_000);
});

describeWithDuckDB("when an extension cannot be loaded", () => {
  let extDir: string;
  beforeAll(async () => {
    await setUp();
    // The offline folder's layout (v<version>/<platform>/) with a ducklake file DuckDB refuses to load.
    const offline = findOfflineExtensions()!;
    const [version] = fs.readdirSync(offline.dir);
    const [platform] = fs.readdirSync(path.join(offline.dir, version));
    extDir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-duck-ext-"));
    fs.mkdirSync(path.join(extDir, version, platform), { recursive: true });
    fs.writeFileSync(path.join(extDir, version, platform, "ducklake.duckdb_extension"), "not an extension");
  }, 60_000);
  afterAll(async () => {
    if (conn) await dropTestDatabase(conn);
    fs.rmSync(extDir, { recursive: true, force: true });
  });

  it.each([
    ["load-sample", "loadSample.ts", []],
    ["shell", "shell.ts", []],
    ["reader shell", "shell.ts", ["--reader", reader]],
  ])(
    "%s exits 2 with one line naming the missing extension, after a progress line",
    (_, script, extra) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-duck-"));
      try {
        const file = path.join(dir, "lake.json");
        fs.writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
        const r = spawnSync(
          path.join(repoRoot, "node_modules", ".bin", "ts-node"),
          ["--transpile-only", path.join(repoRoot, "cli", script), "--from", file, ...extra],
          { cwd: repoRoot, encoding: "utf8", input: "", env: { ...process.env, [EXTENSIONS_ENV]: extDir } },
        );
        expect(r.stderr).toMatch(/^loading DuckDB extension ducklake…$/m);
        expect(r.stderr).toMatch(/^error: DuckDB extension ducklake is not available \(/m);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(r.status).toBe(2);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it("a folder named in DUCKLAKE_DUCKDB_EXTENSIONS that does not exist is an error, not a silent download", () => {
    const r = spawnSync(
      path.join(repoRoot, "node_modules", ".bin", "ts-node"),
      ["--transpile-only", path.join(repoRoot, "cli", "shell.ts"), "--no-lake"],
      { cwd: repoRoot, encoding: "utf8", input: "SELECT 1;\n", env: { ...process.env, [EXTENSIONS_ENV]: "/nonexistent/duckdb-ext" } },
    );
    expect(r.stderr).toMatch(/^error: DUCKLAKE_DUCKDB_EXTENSIONS=\/nonexistent\/duckdb-ext: no such folder/m);
    expect(r.status).toBe(2);
  }, 60_000);
});
