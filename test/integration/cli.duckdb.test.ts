// shell / load-sample end to end with the real DuckDB extensions (ducklake, postgres, httpfs, tpch)
// on real PostgreSQL + Ceph RGW. Where the extensions cannot be loaded (no internet, none installed),
// the end-to-end tests skip with a message naming what is missing, and the CLI's own error is checked.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { randomBytes } from "crypto";
import { spawnSync } from "child_process";
import { Client } from "pg";
import { PutBucketPolicyCommand } from "@aws-sdk/client-s3";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { createTestBucket, s3Client } from "../support/s3";
import { pgAdmin, repoRoot, rgw } from "../support/services";
import { installGuard, grantRead } from "../../providers/guardClient";
import { readCatalogLayout } from "../../providers/catalogLayout";
import { buildBucketPolicy } from "../../model/bucketPolicy";
import { grantKey } from "../../model/grants";
import { quoteIdent, quoteLiteral } from "../../model/names";
import { LakeConnectionInfo, parseLakeConnectionInfo } from "../../cli/connectionInfo";
import { openLakeSession } from "../../cli/duckdbSession";
import { loadSample } from "../../cli/loadSample";
import { runStatement } from "../../cli/shell";

const NEEDED = ["ducklake", "postgres", "httpfs", "tpch"];

/** Tries LOAD (then INSTALL + LOAD) in a child process, so the answer is known before tests are declared. */
function probeExtensions(): { name: string; reason: string }[] {
  const script = `
    const { DuckDBInstance } = require("@duckdb/node-api");
    (async () => {
      const c = await (await DuckDBInstance.create(":memory:")).connect();
      const out = [];
      for (const name of ${JSON.stringify(NEEDED)}) {
        try { await c.run("LOAD " + name); continue; } catch {}
        try { await c.run("INSTALL " + name); await c.run("LOAD " + name); }
        catch (e) { out.push({ name, reason: e.message.split("\\n")[0] }); }
      }
      process.stdout.write(JSON.stringify(out));
    })();`;
  const r = spawnSync(process.execPath, ["-e", script], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
  return r.status === 0 ? JSON.parse(r.stdout) : NEEDED.map((name) => ({ name, reason: `probe failed: ${r.stderr.split("\n")[0]}` }));
}

const missing = probeExtensions();
const withExtensions = missing.length === 0 ? describe : describe.skip;
const withoutExtensions = missing.length === 0 ? describe.skip : describe;
if (missing.length > 0)
  // eslint-disable-next-line no-console
  console.warn(`cli.duckdb: end-to-end shell/load-sample tests SKIPPED: DuckDB extension(s) ${missing.map((m) => m.name).join(", ")} ` +
    `cannot be loaded here (${missing[0].reason})`);

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
    storage: { bucket, dataPrefix: "data/", endpoint: svc.endpoint, region: svc.region, adminProjectId: svc.adminProject, admin: svc.admin },
    readers: [{ name: reader, password: readerPassword, s3: { projectId: svc.readerProject, ...svc.readers[0] }, grants: [{ schema: "tpch", table: "nation" }] }],
  });
}

withExtensions("shell and load-sample on a real lake", () => {
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
      const policy = buildBucketPolicy({ bucket, ownerProjectId: rgw().adminProject, layout,
        readers: [{ name: reader, principal: { projectId: rgw().readerProject, accessKey: rgw().readers[0].accessKey } }],
        grants: [{ reader, schema: "tpch", table: "nation", mode: "read", key: grantKey(reader, "tpch", "nation") }] });
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

withoutExtensions(`without the DuckDB extensions (${missing.map((m) => m.name).join(", ")} missing here)`, () => {
  beforeAll(setUp, 60_000);
  afterAll(async () => { if (conn) await dropTestDatabase(conn); });

  it.each([["load-sample", "loadSample.ts", []], ["shell", "shell.ts", []], ["reader shell", "shell.ts", ["--reader", reader]]])(
    "%s exits 2 with one line naming the missing extension, after a progress line", (_, script, extra) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-duck-"));
      try {
        const file = path.join(dir, "lake.json");
        fs.writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
        const r = spawnSync(path.join(repoRoot, "node_modules", ".bin", "ts-node"),
          ["--transpile-only", path.join(repoRoot, "cli", script), "--from", file, ...extra], { cwd: repoRoot, encoding: "utf8", input: "" });
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/^loading DuckDB extension ducklake…$/m);
        expect(r.stderr).toMatch(new RegExp(`^error: DuckDB extension ${missing[0].name} is not available \\(`, "m"));
        expect(r.stderr).not.toMatch(/\n\s+at /);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
});
