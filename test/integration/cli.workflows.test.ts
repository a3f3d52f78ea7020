// status / access / verify against real PostgreSQL (fixture catalog + the real catalog guard) and real
// Ceph RGW (objects at the catalog's data paths, bucket policy from the storage guard's builder).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFile } from "child_process";
import { Client } from "pg";
import { CliLake, cliLakeReaders, createCliLake, Grant, TestDatabase } from "../support/cliLake";
import { createTestDatabase, withClient } from "../support/pg";
import { repoRoot } from "../support/services";
import { buildSampleLake, createDuckLakeCatalog, SampleLake } from "../fixtures/ducklakeCatalog";
import { grantRead, revokeRead } from "../../postgres/guardClient";
import { quoteIdent } from "../../model/names";
import { LakeConnectionInfo } from "../../cli/connectionInfo";
import { lakeStatus } from "../../cli/status";
import { verifyLake, formatVerifyReport, VerifyReport } from "../../cli/verify";
import { accessMatrix } from "../../cli/accessMatrix";

const { alice, bob, declared } = cliLakeReaders("cli");

let deployed: CliLake | undefined;
let bareConn: TestDatabase | undefined;
let admin: Client;
let bucket: string;
let lake: SampleLake;
let info: LakeConnectionInfo;
let connectionInfo: CliLake["connectionInfo"];
let applyPolicy: CliLake["applyPolicy"];

beforeAll(async () => {
  deployed = await createCliLake("cliwf", { alice, bob, declared });
  ({ admin, bucket, lake, info, connectionInfo, applyPolicy } = deployed);
}, 120_000);

afterAll(async () => {
  await deployed?.dispose(bareConn);
});

const problemsOf = (r: VerifyReport) => r.problems.join("\n");
const row = (r: VerifyReport, reader: string, object: string) => r.rows.find((x) => x.reader === reader && x.object === object);

describe("a good deployment", () => {
  it("status is healthy: PostgreSQL, catalog, guard, bucket, policy, both reader roles", async () => {
    const checks = await lakeStatus(info);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    const detail = (check: string, component?: string) =>
      checks.find((c) => c.check === check && (!component || c.component.includes(component)))?.detail;
    expect(detail("version")).toMatch(/^PostgreSQL 1[5-9]/);
    expect(detail("catalog guard")).toMatch(/^version \d+ on schema public/);
    expect(detail("role", alice)).toMatch(/member of ducklake_reader/);
    expect(detail("login", bob)).toBe("its password works");
    expect(detail("jit", alice)).toBe("off in its sessions");
    expect(detail("bucket policy")).toMatch(/statement/);
  });

  it("verify proves every reader sees exactly its grants in the catalog and in S3", async () => {
    const r = await verifyLake(info);
    expect(problemsOf(r)).toBe("");
    expect(row(r, alice, "sales.orders")).toMatchObject({ expected: "read", catalog: "visible", s3: "200", ok: true });
    expect(row(r, alice, "hr.salaries")).toMatchObject({ expected: "none", catalog: "hidden", s3: "403", ok: true });
    expect(row(r, bob, "hr.salaries")).toMatchObject({ expected: "read", catalog: "visible", s3: "200", ok: true });
    expect(row(r, bob, "hr.reviews")).toMatchObject({ expected: "read", catalog: "visible", s3: "200", ok: true });
    expect(row(r, bob, "sales.orders")).toMatchObject({ expected: "none", catalog: "hidden", s3: "403", ok: true });
    for (const who of [alice, bob])
      for (const probe of ["(bucket listing)", "(bucket policy)", "(write)"])
        expect(row(r, who, probe)).toMatchObject({ s3: "403", ok: true });
    // 6 current tables × 2 readers + 3 bucket probes each; the absolute-path table is noted, not probed.
    expect(r.rows).toHaveLength(2 * (Object.keys(lake.tables).length + 3));
    expect(r.notes.join("\n")).toMatch(
      /main\.events has a data file outside its folder s3:\/\/\S+\/data\/main\/events\/ \(s3:\/\/elsewhere\/events\/part-0\.parquet\); not probed/,
    );
    expect(formatVerifyReport(r)).toMatch(/verify: OK/);
  });

  it("access shows the same matrix from the live ACL and the live policy, in agreement", async () => {
    const m = await accessMatrix(info);
    expect(m.problems).toEqual([]);
    const cell = (reader: string, table: string) => m.cells.find((c) => c.reader === reader && c.table === table);
    expect(cell(alice, "sales.orders")).toMatchObject({ declared: true, catalog: true, storage: true, agree: true });
    expect(cell(alice, "sales.customers")).toMatchObject({ declared: false, catalog: false, storage: false, agree: true });
    expect(cell(bob, "hr.reviews")).toMatchObject({ catalog: true, storage: true });
    expect(cell(bob, "main.events")?.storage).toBeUndefined();
  });
});

describe("broken deployments are named and fail", () => {
  it("a grant missing from the bucket policy", async () => {
    await applyPolicy(declared.filter((g) => g.reader !== alice));
    try {
      const r = await verifyLake(info, { readers: [alice] });
      expect(problemsOf(r)).toMatch(new RegExp(`${alice}: S3 refuses sales\\.orders \\(403 .*the bucket policy lacks the grant`));
      expect(row(r, alice, "sales.orders")).toMatchObject({ catalog: "visible", s3: "403", ok: false });
      const m = await accessMatrix(info);
      expect(m.problems.join("\n")).toMatch(
        new RegExp(`${alice} on sales\\.orders: layers disagree \\(declared read, catalog read, bucket policy none\\)`),
      );
    } finally {
      await applyPolicy(declared);
    }
  });

  it("a grant missing from the catalog ACL", async () => {
    await revokeRead(admin, declared[0]);
    try {
      const r = await verifyLake(info, { readers: [alice] });
      expect(problemsOf(r)).toMatch(new RegExp(`${alice}: the catalog hides sales\\.orders although it is granted`));
      expect(row(r, alice, "sales.orders")).toMatchObject({ catalog: "hidden", s3: "200", ok: false });
      const m = await accessMatrix(info);
      expect(m.problems.join("\n")).toMatch(/sales\.orders: layers disagree \(declared read, catalog none, bucket policy read\)/);
    } finally {
      await grantRead(admin, declared[0]);
    }
  });

  it("a reader that sees too much, in the catalog and in S3", async () => {
    const extra: Grant = { reader: alice, schema: "hr", table: "salaries" };
    await grantRead(admin, extra);
    await applyPolicy([...declared, extra]);
    try {
      const r = await verifyLake(info, { readers: [alice] });
      const text = problemsOf(r);
      expect(text).toMatch(new RegExp(`${alice}: the catalog shows hr\\.salaries although it is not granted: the reader sees too much`));
      expect(text).toMatch(new RegExp(`${alice}: S3 lets it read hr\\.salaries \\(200 .*grants too much`));
      expect(text).toMatch(/may SELECT ducklake_inlined_data_\d+_\d+ \(inlined rows of hidden table hr\.salaries\)/);
      const m = await accessMatrix(info);
      expect(m.problems.join("\n")).toMatch(/hr\.salaries: layers disagree \(declared none, catalog read, bucket policy read\)/);
    } finally {
      await revokeRead(admin, extra);
      await applyPolicy(declared);
    }
  });

  it("a partial guard: row-level security off on one catalog table, or a catalog table readers may not read", async () => {
    // The seed's failure: partition rows of hidden tables stay visible (DuckDB then fails every query).
    await admin.query("ALTER TABLE ducklake_partition_info DISABLE ROW LEVEL SECURITY");
    await admin.query("REVOKE SELECT ON ducklake_delete_file FROM ducklake_reader");
    try {
      const r = await verifyLake(info, { readers: [alice] });
      const text = problemsOf(r);
      expect(text).toMatch(
        new RegExp(`${alice}: sees 1 row\\(s\\) of hidden table hr\\.salaries in ducklake_partition_info: the reader sees too much`),
      );
      expect(text).toMatch(new RegExp(`${alice}: may not read ducklake_delete_file, which holds rows of granted table sales\\.orders`));
      expect(row(r, alice, "sales.orders")).toMatchObject({ catalog: "visible", s3: "200" });
    } finally {
      await admin.query("ALTER TABLE ducklake_partition_info ENABLE ROW LEVEL SECURITY");
      await admin.query("GRANT SELECT ON ducklake_delete_file TO ducklake_reader");
    }
    expect((await verifyLake(info, { readers: [alice] })).problems).toEqual([]);
  });

  it("a catalog without the guard: status says so, verify shows what every reader can see", async () => {
    bareConn = await createTestDatabase("cliwfbare");
    await withClient(bareConn, async (c) => {
      await createDuckLakeCatalog(c, { dataPath: `s3://${bucket}/data/` }).then(buildSampleLake);
      // The seed's way: readers get SELECT on every catalog table, no row filter. (And the connection file's login,
      // the owner of another catalog in the external shape, may read it as the superuser of the VPS shape can.)
      for (const r of [alice, bob, info.catalog.user]) await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${quoteIdent(r)}`);
    });
    const bare = connectionInfo(bareConn.database);
    const checks = await lakeStatus(bare);
    expect(checks.find((c) => c.check === "catalog guard")).toMatchObject({ ok: false, detail: expect.stringMatching(/^not installed/) });
    const r = await verifyLake(bare, { readers: [bob] });
    expect(problemsOf(r)).toMatch(new RegExp(`${bob}: the catalog shows sales\\.orders although it is not granted`));
    expect(problemsOf(r)).toMatch(new RegExp(`${bob}: sees \\d+ row\\(s\\) of hidden table sales\\.orders in ducklake_data_file`));
    expect(problemsOf(r)).toMatch(/ducklake_snapshot_changes names hidden table sales\.orders/);
  });
});

describe("the CLIs as a user runs them", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-wf-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (script: string, args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        path.join(repoRoot, "node_modules", ".bin", "ts-node"),
        ["--transpile-only", path.join(repoRoot, "cli", script), ...args],
        { cwd: repoRoot, env: { ...process.env, DUCKLAKE_CONNECTION: "" } },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 99) : 0, stdout, stderr }),
      );
    });

  it("verify exits 0 on the good deployment and 1 naming the problem on a broken one", async () => {
    const file = path.join(dir, "lake.json");
    fs.writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
    // The fixture catalog uses spec features DuckDB 1.5.5 cannot load (column tags): no DuckDB probe here.
    const ok = await run("verify.ts", ["--from", file, "--no-write-probe", "--no-duckdb"]);
    expect(ok.stdout).toMatch(/verify: OK/);
    expect(ok.code).toBe(0);
    const json = await run("accessMatrix.ts", ["--from", file, "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ agree: true, problems: [] });
    await revokeRead(admin, declared[1]);
    try {
      const bad = await run("verify.ts", ["--from", file, "--reader", bob, "--no-duckdb"]);
      expect(bad.stdout).toMatch(new RegExp(`MISMATCH: ${bob}: the catalog hides hr\\.salaries although it is granted`));
      expect(bad.code).toBe(1);
    } finally {
      await grantRead(admin, declared[1]);
    }
  }, 60_000);

  it("status exits 1 naming an unreachable PostgreSQL, and 2 with one clear line (no stack trace) on a bad connection file", async () => {
    const file = path.join(dir, "down.json");
    fs.writeFileSync(file, JSON.stringify({ ...info, catalog: { ...info.catalog, port: 1 } }), { mode: 0o600 });
    const down = await run("status.ts", ["--from", file]);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/reachable\s+PROBLEM\s+connection refused .*npm run local:up/);
    const broken = path.join(dir, "broken.json");
    fs.writeFileSync(broken, JSON.stringify({ ...info, storage: { ...info.storage, bucket: "Bad" } }), { mode: 0o600 });
    const bad = await run("status.ts", ["--from", broken]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^error: storage\.bucket: "Bad" is not a valid bucket name/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
