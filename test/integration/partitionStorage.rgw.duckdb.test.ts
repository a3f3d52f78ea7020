// Partition grants in storage (issue 16) on a real Ceph RGW with a DuckLake written by the real DuckDB client:
// the bucket policy built from the catalog's file facts opens exactly the granted partitions' folders and the
// table's delete files, and a DuckDB reader with the reader's S3 key reads the granted rows and nothing else.
import { Client } from "pg";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { ListObjectsV2Command, PutBucketPolicyCommand } from "@aws-sdk/client-s3";
import { createTestDatabase, dropTestDatabase } from "../support/pg";
import { createTestBucket, objectStatus, s3Client, testStorage } from "../support/s3";
import { pgAdmin, rgw, PgConnection, S3Key } from "../support/services";
import { adminLakeInfo, describeWithExtensionDir, openTestLakeSession } from "../support/lakeSession";
import { parseLakeConnectionInfo, LakeConnectionInfo } from "../../cli/connectionInfo";
import { duckString } from "../../cli/duckdbSql";
import { readCatalogLayout } from "../../postgres/catalogLayout";
import { buildBucketPolicy, BucketPolicy } from "../../model/bucketPolicy";
import { NormalizedGrant, ReaderSpec, RowFilterKey } from "../../model/accessSpec";
import { policyGrammarProblems } from "../../model/policyGrammar";
import { hiveEscape } from "../../model/partitionFolders";
import { IndexedLayout } from "../../model/lakePaths";
import { randomBytes } from "crypto";
import { grantRead, grantRows, installGuard } from "../../postgres/guardClient";
import { verifyLake } from "../../cli/verify";
import { quoteIdent, quoteLiteral } from "../../model/names";

const suite = describeWithExtensionDir("partitionStorage");

const SCHEMA = "public";
const svc = rgw();
const admin = s3Client(svc.admin);
const [yearKey, regionKey, otherKey] = svc.readers as [S3Key, S3Key, S3Key];
const reader = (name: string, k: S3Key): ReaderSpec => ({ name, principal: { projectId: svc.readerProject, accessKey: k.accessKey } });
const READERS = [reader("by_year", yearKey), reader("by_region", regionKey), reader("nobody", otherKey)];
// A region value with characters DuckDB percent-encodes (and `*`, which a policy would read as a wildcard).
const ODD = `a+b&'"\\* ~z`;

function rowsGrant(r: string, keys: RowFilterKey[]): NormalizedGrant {
  return { reader: r, schema: "hr", table: "sales", mode: "read", rows: keys, key: `${r}/hr/sales/${JSON.stringify(keys)}` };
}
const GRANTS: NormalizedGrant[] = [
  // year(ts) is the spec's second key: its folders need `region=*/` before `year=2026/`.
  rowsGrant("by_year", [{ key: "year(ts)", column: "ts", transform: "year", values: ["2026"] }]),
  // a leading key, including a value that has no files when the policy is applied
  rowsGrant("by_region", [{ key: "region", column: "region", transform: "identity", values: ["emea", ODD].sort() }]),
];

let conn: PgConnection | undefined;
let pg: Client;
let bucket: string;
let info: LakeConnectionInfo;
let instance: DuckDBInstance;
let duck: DuckDBConnection;
let policy: BucketPolicy;
let layout: IndexedLayout;

async function run(sql: string): Promise<void> {
  await duck.run(sql);
}
const status = (key: S3Key, objectKey: string) => objectStatus(s3Client(key), bucket, objectKey);
/** The keys under data/hr/sales/, table-relative. */
async function keys(): Promise<string[]> {
  const prefix = "data/hr/sales/";
  const r = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
}
const one = (all: string[], re: RegExp): string => {
  const hits = all.filter((k) => re.test(k));
  expect(hits.length).toBeGreaterThanOrEqual(1);
  return `data/hr/sales/${hits[0]}`;
};

async function applyPolicy(grants: NormalizedGrant[] = GRANTS): Promise<void> {
  layout = await readCatalogLayout(pg, { bucket, catalogSchema: SCHEMA, partitionTables: [{ schema: "hr", table: "sales" }] });
  policy = buildBucketPolicy({ bucket, ownerProjectId: svc.adminProject, readers: READERS, grants, layout });
  expect(policy.problems).toEqual([]);
  expect(policyGrammarProblems(policy.json)).toEqual([]);
  await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy.json }));
}

/** A DuckDB session with the owner's catalog login but the given S3 key: only the storage guard stands in the way. */
async function storageOnlySession(key: S3Key): Promise<{ c: DuckDBConnection; close: () => void }> {
  const asKey = parseLakeConnectionInfo({ ...JSON.parse(JSON.stringify(rawInfo)), storage: { ...testStorage(bucket), admin: key } });
  const { c, close } = await openTestLakeSession(asKey);
  return { c, close };
}
let rawInfo: unknown;

suite("partitionStorage: partition grants in the bucket policy (RGW + DuckDB 1.5.5)", () => {
  beforeAll(async () => {
    bucket = await createTestBucket("partstore");
    conn = await createTestDatabase("partstore");
    pg = new Client(conn);
    await pg.connect();
    rawInfo = adminLakeInfo(conn.database, bucket, SCHEMA);
    info = parseLakeConnectionInfo(rawInfo);
    ({ instance, c: duck } = await openTestLakeSession(info));
    await run("USE lake");
    await run("CREATE SCHEMA hr");
    await run("CREATE TABLE hr.sales (id INT, region VARCHAR, ts TIMESTAMP, amount INT)");
    // Rows written before the table was partitioned: a file at the table root.
    await run("INSERT INTO hr.sales SELECT i, 'emea', TIMESTAMP '2026-02-01', 1 FROM range(20) t(i)");
    await run("ALTER TABLE hr.sales SET PARTITIONED BY (region, year(ts))");
    await run(`INSERT INTO hr.sales SELECT i, ['emea', 'apac'][i % 2 + 1], [TIMESTAMP '2025-05-01', TIMESTAMP '2026-05-01'][i // 2 % 2 + 1], i
               FROM range(100, 500) t(i)`);
    // ducklake_add_data_files: an absolute path outside the table folder (its partition values come from the path).
    const added = `s3://${bucket}/imports/region=emea/year=2026/added.parquet`;
    await run(`COPY (SELECT 999 AS id, 'emea' AS region, TIMESTAMP '2026-07-01' AS ts, 5 AS amount) TO ${duckString(added)}`);
    await run(`CALL ducklake_add_data_files('lake', 'sales', ${duckString(added)}, schema => 'hr')`);
    // Deletes large enough for delete files (not inlined): one in a granted partition, one in another.
    await run("DELETE FROM hr.sales WHERE region = 'emea' AND year(ts) = 2026 AND id < 300");
    await run("DELETE FROM hr.sales WHERE region = 'apac' AND year(ts) = 2025 AND id < 300");
    await applyPolicy();
  }, 120_000);
  const role = `ps_year_${randomBytes(3).toString("hex")}`;
  const readerPassword = randomBytes(9).toString("hex");
  const verifyInfo = () =>
    parseLakeConnectionInfo({
      ...JSON.parse(JSON.stringify(rawInfo)),
      readers: [
        {
          name: role,
          password: readerPassword,
          s3: { projectId: svc.readerProject, ...yearKey },
          grants: [{ schema: "hr", table: "sales", rows: { "year(ts)": [2026] } }],
        },
      ],
    });

  afterAll(async () => {
    duck?.closeSync();
    instance?.closeSync();
    await pg?.end();
    if (conn) await dropTestDatabase(conn);
    const c = new Client(pgAdmin());
    await c.connect();
    await c.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
    await c.end();
  });

  test("the policy: year(ts) behind a `region=*/` wildcard, region folders by DuckDB's encoding (also for a value without files), the delete-file pattern; warnings name the closed files", () => {
    const arn = (p: string) => `arn:aws:s3:::${bucket}/data/hr/sales/${p}`;
    const del = "ducklake-????????-????-????-????-????????????-delete.parquet";
    const resources = (who: ReaderSpec) =>
      policy.document.Statement.filter((s) => JSON.stringify(s.Principal.AWS).includes(who.principal.accessKey)).flatMap((s) => s.Resource);
    expect(resources(READERS[0]).sort()).toEqual([arn(del), arn("region=*/year=2026/*")].sort());
    expect(resources(READERS[1]).sort()).toEqual([arn(del), arn(`region=${hiveEscape(ODD)}/*`), arn("region=emea/*")].sort());
    expect(hiveEscape(ODD)).toBe("a%2Bb%26%27%22%5C%2A%20~z");
    const w = policy.warnings.join("\n");
    expect(w).toMatch(/by_year.*1 data file of the table was written without partitioning/);
    expect(w).toMatch(
      /by_region.*1 data file of granted partitions lies outside the table's folder .*imports\/region=emea\/year=2026\/added\.parquet/,
    );
    // The added file is 2026 too: by_year is warned as well.
    expect(w).toMatch(/by_year.*1 data file of granted partitions lies outside the table's folder/);
  });

  test("GetObject: 200 on granted partitions' files, 403 on other partitions, the pre-partitioning file and the add_data_files file; delete files readable table-wide (the documented leak)", async () => {
    const all = await keys();
    const emea26 = one(all, /^region=emea\/year=2026\/ducklake-[^/]+\.parquet$/);
    const apac26 = one(all, /^region=apac\/year=2026\//);
    const emea25 = one(all, /^region=emea\/year=2025\//);
    const apac25 = one(all, /^region=apac\/year=2025\//);
    const root = one(all, /^ducklake-[0-9a-f-]{36}\.parquet$/);
    const deletes = all.filter((k) => /^ducklake-[0-9a-f-]{36}-delete\.parquet$/.test(k)).map((k) => `data/hr/sales/${k}`);
    expect(deletes.length).toBe(2);
    const added = `imports/region=emea/year=2026/added.parquet`;
    const expected: Array<[S3Key, string, number]> = [
      [yearKey, emea26, 200],
      [yearKey, apac26, 200],
      [yearKey, emea25, 403],
      [yearKey, apac25, 403],
      [yearKey, root, 403],
      [yearKey, added, 403],
      [regionKey, emea26, 200],
      [regionKey, emea25, 200],
      [regionKey, apac26, 403],
      [regionKey, apac25, 403],
      [regionKey, root, 403],
      [regionKey, added, 403],
      [otherKey, emea26, 403],
      [otherKey, deletes[0], 403],
      ...deletes.flatMap((d): Array<[S3Key, string, number]> => [
        [yearKey, d, 200],
        [regionKey, d, 200],
      ]),
    ];
    const got = await Promise.all(expected.map(([k, key]) => status(k, key)));
    expect(expected.map(([k, key], i) => `${k.accessKey} ${key} ${got[i]}`)).toEqual(
      expected.map(([k, key, s]) => `${k.accessKey} ${key} ${s}`),
    );
  }, 60_000);

  test("files written after the policy: a new region's 2026 file and the first file of a granted value are readable without re-applying it; a 2027 file is not", async () => {
    const before = new Set(await keys());
    await run(`INSERT INTO hr.sales SELECT i, 'latam', TIMESTAMP '2026-09-01', 1 FROM range(20) t(i)`);
    await run(`INSERT INTO hr.sales SELECT i, ${duckString(ODD)}, TIMESTAMP '2027-01-01', 1 FROM range(20) t(i)`);
    const fresh = (await keys()).filter((k) => !before.has(k));
    const latam = one(fresh, /^region=latam\/year=2026\//);
    const odd = one(fresh, /\/year=2027\//);
    // DuckLake (through DuckDB's partitioned COPY) names the folder exactly as hiveEscape predicted.
    expect(odd.startsWith(`data/hr/sales/region=${hiveEscape(ODD)}/year=2027/`)).toBe(true);
    expect([
      await status(yearKey, latam),
      await status(regionKey, latam),
      await status(yearKey, odd),
      await status(regionKey, odd),
    ]).toEqual([200, 403, 403, 200]);
  }, 60_000);

  test("DuckDB with the reader's S3 key: the granted rows read as the owner reads them; another partition's file by path gets 403", async () => {
    // DuckLake skips files by their catalog statistics: this filter leaves out the closed files (the pre-partitioning
    // file and the added file have amounts 1 and 5) and the 2025/2027 partitions, so only granted folders are read.
    const where = "ts >= TIMESTAMP '2026-01-01' AND ts < TIMESTAMP '2027-01-01' AND amount >= 100";
    const owner = (
      await duck.runAndReadAll(`SELECT count(*)::INT AS n, sum(amount)::BIGINT AS s FROM hr.sales WHERE ${where}`)
    ).getRowObjectsJson();
    const s = await storageOnlySession(yearKey);
    try {
      const mine = (
        await s.c.runAndReadAll(`SELECT count(*)::INT AS n, sum(amount)::BIGINT AS s FROM lake.hr.sales WHERE ${where}`)
      ).getRowObjectsJson();
      expect(mine).toEqual(owner);
      expect(Number(owner[0].n)).toBeGreaterThan(0);
      const emea25 = one(await keys(), /^region=emea\/year=2025\//);
      await expect(s.c.run(`SELECT count(*) FROM read_parquet(${duckString(`s3://${bucket}/${emea25}`)})`)).rejects.toThrow(
        /403|Forbidden|Access/i,
      );
      // The whole table touches closed files: the storage guard alone refuses it.
      await expect(s.c.run("SELECT sum(amount) FROM lake.hr.sales")).rejects.toThrow(/403|Forbidden|Access/i);
    } finally {
      s.close();
    }
  }, 120_000);

  test("verify: for the partition grant, a granted partition's file gives 200 and another partition's 403; a policy granting the whole table, or nothing, is reported", async () => {
    // The catalog guard with the same partition grant (sql/007, p16-guard), so verify's catalog checks run too.
    await installGuard(pg);
    await pg.query(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD ${quoteLiteral(readerPassword)}`);
    await grantRows(pg, { reader: role, schema: "hr", table: "sales", rows: [{ column: "ts", transform: "year", values: ["2026"] }] });
    const check = () => verifyLake(verifyInfo(), { probeWrites: false, duckdb: false });
    const ok = await check();
    const partitionRows = ok.rows
      .filter((r) => r.object.startsWith("hr.sales "))
      .map((r) => [r.object.replace(/\(region=[^/]+\/year=\d+\//, "(<other>/"), r.expected, r.s3, r.ok]);
    expect(partitionRows).toEqual([
      ["hr.sales [year(ts)=2026]", "read", "200", true],
      ["hr.sales (<other>/, not granted)", "none", "403", true],
    ]);
    expect(ok.rows.find((r) => r.object === "hr.sales")).toMatchObject({ expected: "read", s3: "partitions" });
    expect(ok.problems).toEqual([]);

    await applyPolicy([{ reader: "by_year", schema: "hr", table: "sales", mode: "read", key: "by_year/hr/sales" }]);
    expect((await check()).problems).toEqual([
      expect.stringMatching(/lets it read a file of another partition of hr.sales .* the bucket policy grants too much/),
    ]);
    await applyPolicy([]);
    expect((await check()).problems).toEqual([
      expect.stringMatching(/S3 refuses a file of granted partitions hr.sales \[year\(ts\)=2026\] \(403 .* lacks the partition grant/),
    ]);
    await applyPolicy();
  }, 120_000);

  test("DuckDB as the reader (its catalog login under the partition guard + its S3 key): its scan equals the owner's filtered count; the add_data_files file is hidden in the catalog as it is closed in storage; other partitions' files get 403", async () => {
    const asReader = parseLakeConnectionInfo({
      ...JSON.parse(JSON.stringify(rawInfo)),
      readers: [{ name: role, password: readerPassword, s3: { projectId: svc.readerProject, ...yearKey } }],
    });
    const { c, close } = await openTestLakeSession(asReader, { reader: asReader.readers[0] });
    try {
      // The owner's rows of year 2026 outside the file written before partitioning (ts 2026-02-01, hidden in both layers).
      const owner = (
        await duck.runAndReadAll(
          "SELECT count(*)::INT AS n, sum(amount)::BIGINT AS s FROM hr.sales WHERE year(ts) = 2026 AND ts <> TIMESTAMP '2026-02-01' AND id <> 999",
        )
      ).getRowObjectsJson();
      // The file added with ducklake_add_data_files (id 999; its path says region=emea/year=2026) lies outside the
      // table's folder: storage keeps it closed and the catalog guard hides it too, so the reader's plain scan works
      // and equals the owner's filtered rows without it (the preview warns about it).
      const mine = (await c.runAndReadAll("SELECT count(*)::INT AS n, sum(amount)::BIGINT AS s FROM lake.hr.sales")).getRowObjectsJson();
      expect(mine).toEqual(owner);
      expect(Number(owner[0].n)).toBeGreaterThan(0);
      expect(
        (await duck.runAndReadAll("SELECT count(*)::INT AS n FROM hr.sales WHERE id = 999 AND year(ts) = 2026")).getRowObjectsJson(),
      ).toEqual([{ n: 1 }]);
      // Reading the added file by path still gets 403.
      await expect(
        c.run(`SELECT count(*) FROM read_parquet(${duckString(`s3://${bucket}/imports/region=emea/year=2026/added.parquet`)})`),
      ).rejects.toThrow(/403/);
      // Another partition's file by path: 403.
      const emea25 = one(await keys(), /^region=emea\/year=2025\//);
      await expect(c.run(`SELECT count(*) FROM read_parquet(${duckString(`s3://${bucket}/${emea25}`)})`)).rejects.toThrow(/403/);
    } finally {
      close();
    }
  }, 120_000);

  test("verify: a catalog that shows the whole table to a reader declared with a partition grant is reported (files of other partitions, table-wide stats)", async () => {
    await grantRead(pg, { reader: role, schema: "hr", table: "sales" });
    const problems = (await verifyLake(verifyInfo(), { probeWrites: false, duckdb: false })).problems.join("\n");
    expect(problems).toMatch(/ducklake_data_file shows \d+ data file\(s\) of table hr.sales .* outside its granted partitions/);
    expect(problems).toMatch(/ducklake_table_stats shows table-wide rows of table hr.sales/);
  }, 120_000);

  test("hive_file_pattern = false: the partition grant opens no folder for new files, counts the files at the table root, and they stay closed (403)", async () => {
    await run("CREATE TABLE hr.flat (id INT, y INT)");
    await run("ALTER TABLE hr.flat SET PARTITIONED BY (y)");
    await run("CALL lake.set_option('hive_file_pattern', false, schema => 'hr', table_name => 'flat')");
    await run("INSERT INTO hr.flat SELECT i, 2024 + i % 2 FROM range(40) t(i)");
    const l = await readCatalogLayout(pg, { bucket, catalogSchema: SCHEMA, partitionTables: [{ schema: "hr", table: "flat" }] });
    expect(l.partitions?.map((f) => [f.table, f.hiveFilePattern])).toEqual([["flat", false]]);
    const p = buildBucketPolicy({
      bucket,
      ownerProjectId: svc.adminProject,
      readers: READERS,
      grants: [
        {
          reader: "by_year",
          schema: "hr",
          table: "flat",
          mode: "read",
          rows: [{ key: "y", column: "y", transform: "identity", values: ["2025"] }],
          key: "f",
        },
      ],
      layout: l,
    });
    expect(p.problems).toEqual([]);
    expect(p.readerPrefixes.by_year).toEqual(["data/hr/flat/ducklake-????????-????-????-????-????????????-delete.parquet"]);
    expect(p.warnings.join("\n")).toMatch(/writes files without hive folders/);
    expect(p.warnings.join("\n")).toMatch(/1 data file of granted partitions lies outside the partition folders/);
    await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: p.json }));
    const r = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "data/hr/flat/" }));
    const files = (r.Contents ?? []).map((o) => o.Key!);
    expect(files).toHaveLength(2);
    for (const k of files) expect(await status(yearKey, k)).toBe(403);
    await applyPolicy();
  }, 60_000);

  test("re-partitioning: folders of the grant's files under an earlier spec are granted too; a folder name that meant another key before is refused", async () => {
    // hist: PARTITIONED BY (y), then (r, y): y=2025 lives in y=2025/, y=2026 in r=x/y=2026/.
    await run("CREATE TABLE hr.hist (id INT, r VARCHAR, y INT)");
    await run("ALTER TABLE hr.hist SET PARTITIONED BY (y)");
    await run("INSERT INTO hr.hist SELECT i, 'x', 2025 FROM range(20) t(i)");
    await run("ALTER TABLE hr.hist SET PARTITIONED BY (r, y)");
    await run("INSERT INTO hr.hist SELECT i, 'x', 2026 + i % 2 FROM range(40) t(i)");
    // clash: first an identity column named `year`, then year(ts): both write year=2026/ folders.
    await run("CREATE TABLE hr.clash (id INT, year INT, ts TIMESTAMP)");
    await run("ALTER TABLE hr.clash SET PARTITIONED BY (year)");
    await run("INSERT INTO hr.clash SELECT i, 2026, TIMESTAMP '2024-01-01' FROM range(20) t(i)");
    await run("ALTER TABLE hr.clash SET PARTITIONED BY (year(ts))");
    await run("INSERT INTO hr.clash SELECT i, 0, TIMESTAMP '2026-01-01' FROM range(20) t(i)");
    const l = await readCatalogLayout(pg, {
      bucket,
      catalogSchema: SCHEMA,
      partitionTables: [
        { schema: "hr", table: "hist" },
        { schema: "hr", table: "clash" },
      ],
    });
    const grant = (table: string, rows: RowFilterKey[]): NormalizedGrant => ({
      reader: "by_year",
      schema: "hr",
      table,
      mode: "read",
      rows,
      key: table,
    });
    const hist = buildBucketPolicy({
      bucket,
      ownerProjectId: svc.adminProject,
      readers: READERS,
      grants: [grant("hist", [{ key: "y", column: "y", transform: "identity", values: ["2025", "2026"] }])],
      layout: l,
    });
    expect(hist.problems).toEqual([]);
    expect(hist.readerPrefixes.by_year).toEqual([
      "data/hr/hist/ducklake-????????-????-????-????-????????????-delete.parquet",
      "data/hr/hist/r=*/y=2025/",
      "data/hr/hist/r=*/y=2026/",
      "data/hr/hist/y=2025/",
    ]);
    await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: hist.json }));
    const keysOf = async (prefix: string) =>
      ((await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
    const histKeys = await keysOf("data/hr/hist/");
    const got = await Promise.all(histKeys.map(async (k) => `${k.replace(/ducklake-.*$/, "<file>")} ${await status(yearKey, k)}`));
    expect(got.sort()).toEqual([
      "data/hr/hist/r=x/y=2026/<file> 200",
      "data/hr/hist/r=x/y=2027/<file> 403",
      "data/hr/hist/y=2025/<file> 200",
    ]);

    const clash = buildBucketPolicy({
      bucket,
      ownerProjectId: svc.adminProject,
      readers: READERS,
      grants: [grant("clash", [{ key: "year(ts)", column: "ts", transform: "year", values: ["2026"] }])],
      layout: l,
    });
    expect(clash.problems).toEqual([
      expect.stringMatching(
        /folder "data\/hr\/clash\/year=2026\/" would also open 1 file outside the grant .*written under partition spec #\d+/,
      ),
    ]);
    await applyPolicy();
  }, 60_000);
});
