// Partition grants end to end through the program's own apply path (test/support/lakeApply.ts: validation, the
// preview check against the live partition specs, the ReaderAcl provider, the bucket policy builder) on real
// PostgreSQL + the catalog guard + Ceph RGW, with a lake written by the real DuckDB client: the reader's
// READ_ONLY DuckDB session counts exactly the granted partitions' rows, GetObject answers 200/403 per
// partition, a grant the table cannot honour is refused before anything changes, and removing the grant
// removes the access in both layers.
import { randomBytes } from "crypto";
import { Client } from "pg";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { describeWithDuckDB } from "../support/duckdb";
import { adminLakeInfo, openTestLakeSession } from "../support/lakeSession";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { createTestBucket, objectStatus, s3Client } from "../support/s3";
import { pgAdmin, rgw, PgConnection, S3Key } from "../support/services";
import { AccessStack, livePolicy, testAccessTarget } from "../support/lakeApply";
import { parseLakeConnectionInfo, LakeConnectionInfo } from "../../cli/connectionInfo";
import { accessMatrix } from "../../cli/accessMatrix";
import { verifyLake } from "../../cli/verify";
import { installGuard, listGrants } from "../../postgres/guardClient";
import { AccessSpec } from "../../model/accessSpec";
import { describeRows } from "../../model/rowFilter";
import { quoteIdent, quoteLiteral } from "../../model/names";

const SCHEMA = "public";
const hex = randomBytes(4).toString("hex");
const HR = `pae_hr_${hex}`; // granted year(ts) = 2026 of hr.sales
const OTHER = `pae_other_${hex}`; // granted the whole table hr.other
const PW = `pw${randomBytes(8).toString("hex")}`;

describeWithDuckDB("partition grants end to end: lakeApply on PostgreSQL + guard + RGW, read with DuckDB", () => {
  const svc = rgw();
  const [hrKey, otherKey] = svc.readers as [S3Key, S3Key];
  let conn: PgConnection;
  let owner: Client;
  let bucket: string;
  let stack: AccessStack;
  let instance: DuckDBInstance;
  let duck: DuckDBConnection;
  let info: LakeConnectionInfo;

  const spec = (hrRows: Record<string, number[]> | undefined): AccessSpec => ({
    readers: [
      { name: HR, principal: { projectId: svc.readerProject, accessKey: hrKey.accessKey } },
      { name: OTHER, principal: { projectId: svc.readerProject, accessKey: otherKey.accessKey } },
    ],
    grants: [
      ...(hrRows ? [{ reader: HR, schema: "hr", table: "sales", rows: hrRows }] : []),
      { reader: OTHER, schema: "hr", table: "other" },
    ],
  });
  const status = (key: S3Key, objectKey: string) => objectStatus(s3Client(key), bucket, objectKey);
  const fileOf = async (folder: RegExp): Promise<string> => {
    const r = await s3Client(svc.admin).send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "data/hr/sales/" }));
    const hit = (r.Contents ?? []).map((o) => o.Key!).find((k) => folder.test(k));
    if (!hit) throw new Error(`no file matching ${folder}`);
    return hit;
  };
  /** count(*) of hr.sales in a READ_ONLY DuckDB session as the reader (its PostgreSQL login and its S3 key). */
  const readerCount = async (name: string, key: S3Key): Promise<string> => {
    const reader = { name, password: PW, s3: { ...key, projectId: svc.readerProject } };
    const session = await openTestLakeSession(info, { reader });
    try {
      // sum(id) makes DuckDB read the files (a bare count(*) can come from the catalog's record counts).
      const [[n, sum]] = (await session.c.runAndReadAll("SELECT count(*), sum(id) FROM lake.hr.sales")).getRowsJson();
      return `${n} rows, sum ${sum}`;
    } finally {
      session.close();
    }
  };
  /** The CLIs' connection info with the readers and their declared grants (rows as lakeConnection exports them). */
  const withReaders = (declared: AccessSpec) =>
    parseLakeConnectionInfo({
      ...JSON.parse(JSON.stringify(info)),
      readers: declared.readers.map((rd) => ({
        name: rd.name,
        password: PW,
        s3: { projectId: svc.readerProject, ...(rd.name === HR ? hrKey : otherKey) },
        grants: declared.grants
          .filter((g) => g.reader === rd.name)
          .map((g) => ({
            schema: g.schema,
            table: g.table,
            ...(g.rows ? { rows: Object.entries(g.rows).map(([key, values]) => ({ key, values })) } : {}),
          })),
      })),
    });
  const liveAcl = async (reader: string) =>
    (await listGrants(owner, reader)).map((g) => `${g.schema}.${g.table ?? "*"}${g.rows ? ` [${describeRows(g.rows)}]` : ""}`);

  beforeAll(async () => {
    bucket = await createTestBucket("partacc");
    conn = await createTestDatabase("partacc");
    owner = new Client(conn);
    await owner.connect();
    info = parseLakeConnectionInfo(adminLakeInfo(conn.database, bucket, SCHEMA));
    ({ instance, c: duck } = await openTestLakeSession(info));
    await duck.run("USE lake; CREATE SCHEMA hr; CREATE TABLE hr.sales (id INT, ts TIMESTAMP); CREATE TABLE hr.other (i INT)");
    await duck.run("ALTER TABLE hr.sales SET PARTITIONED BY (year(ts))");
    // 40 rows per year in one insert each: above the inlining limit (10), so they go to files.
    await duck.run("INSERT INTO hr.sales SELECT i, TIMESTAMP '2025-03-01' + INTERVAL (i) DAY FROM range(40) t(i)");
    await duck.run("INSERT INTO hr.sales SELECT 100 + i, TIMESTAMP '2026-03-01' + INTERVAL (i) HOUR FROM range(30) t(i)");
    await duck.run("INSERT INTO hr.other SELECT range FROM range(20)");
    await installGuard(owner, { catalogSchema: SCHEMA });
    await withClient(pgAdmin(), async (a) => {
      for (const r of [HR, OTHER]) await a.query(`CREATE ROLE ${quoteIdent(r)} LOGIN PASSWORD ${quoteLiteral(PW)} IN ROLE ducklake_reader`);
    });
    stack = new AccessStack(testAccessTarget(conn, SCHEMA, owner, bucket));
  }, 180_000);
  afterAll(async () => {
    duck?.closeSync();
    instance?.closeSync();
    await owner?.end();
    if (conn) await dropTestDatabase(conn);
    await withClient(pgAdmin(), async (a) => {
      for (const r of [HR, OTHER]) await a.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
    });
  });

  test("up grants year(ts) = 2026 in both layers: the reader counts exactly the 2026 rows, GetObject 200 on 2026 files, 403 on 2025", async () => {
    const r = await stack.up(spec({ "year(ts)": [2026] }));
    expect(r.acl).toEqual({ [HR]: "create", [OTHER]: "create" });
    expect(await liveAcl(HR)).toEqual(["hr.sales [year(ts) in (2026)]"]);
    const [[n, sum]] = (await duck.runAndReadAll("SELECT count(*), sum(id) FROM hr.sales WHERE year(ts) = 2026")).getRowsJson();
    expect(`${n} rows, sum ${sum}`).toBe("30 rows, sum 3435");
    expect(await readerCount(HR, hrKey)).toBe("30 rows, sum 3435");
    expect(await status(hrKey, await fileOf(/\/year=2026\//))).toBe(200);
    expect(await status(hrKey, await fileOf(/\/year=2025\//))).toBe(403);
    expect(await status(otherKey, await fileOf(/\/year=2026\//))).toBe(403);
    // `npm run access`: the partition cell shows the same filter declared and in the catalog.
    const m = await accessMatrix(withReaders(spec({ "year(ts)": [2026] })));
    expect(m.problems).toEqual([]);
    expect(m.cells.find((c) => c.reader === HR && c.table === "hr.sales")).toEqual({
      reader: HR,
      table: "hr.sales",
      declared: true,
      declaredRows: ["year(ts) in (2026)"],
      catalog: true,
      catalogRows: ["year(ts) in (2026)"],
      agree: true,
    });
    // Declared 2025 while the catalog holds 2026: the layers disagree, named.
    expect((await accessMatrix(withReaders(spec({ "year(ts)": [2025] })))).problems).toEqual([
      `${HR} on hr.sales: layers disagree (declared rows [year(ts) in (2025)], catalog rows [year(ts) in (2026)])`,
    ]);
    // The same list again, keys and values reordered/respelled: nothing changes.
    const again = await stack.up(spec({ "YEAR(ts)": [2026, 2026] }));
    expect(again.acl).toEqual({ [HR]: "same", [OTHER]: "same" });
    expect(again.policyApplied).toBe(false);
  }, 120_000);

  test("npm run verify agrees: the partition reader's catalog view and storage are what the grant says", async () => {
    // Runs after the first test's `up` (year(ts) = 2026 applied).
    const v = await verifyLake(withReaders(spec({ "year(ts)": [2026] })));
    expect(v.problems).toEqual([]);
    expect(v.rows.filter((row) => !row.ok)).toEqual([]);
  });

  test("a grant the table cannot honour is refused before anything changes", async () => {
    const policyBefore = await livePolicy(s3Client(svc.admin), bucket);
    await expect(stack.up(spec({ "month(ts)": [3] }))).rejects.toThrow(
      'partition grant hr.sales [month(ts) in (3)] of "' +
        HR +
        '": hr.sales is PARTITIONED BY (year(ts)), which has no key month(ts) (ts is partitioned by year(ts), not month(ts))',
    );
    expect(await liveAcl(HR)).toEqual(["hr.sales [year(ts) in (2026)]"]);
    expect(await livePolicy(s3Client(svc.admin), bucket)).toBe(policyBefore);
  });

  test("widening to 2025 and 2026 replaces the entry; removing the grant removes the access in both layers", async () => {
    await stack.up(spec({ "year(ts)": [2025, 2026] }));
    expect(await liveAcl(HR)).toEqual(["hr.sales [year(ts) in (2025, 2026)]"]);
    expect(await readerCount(HR, hrKey)).toBe("70 rows, sum 4215"); // 0..39 (2025) and 100..129 (2026)
    expect(await status(hrKey, await fileOf(/\/year=2025\//))).toBe(200);
    const r = await stack.up(spec(undefined));
    expect(r.acl[HR]).toBe("update");
    expect(await liveAcl(HR)).toEqual([]);
    expect(await liveAcl(OTHER)).toEqual(["hr.other"]);
    expect(await status(hrKey, await fileOf(/\/year=2026\//))).toBe(403);
    expect(await status(hrKey, await fileOf(/\/year=2025\//))).toBe(403);
  }, 120_000);
});
