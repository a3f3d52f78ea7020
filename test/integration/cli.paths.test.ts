// Stored paths without their final "/": DuckLake joins catalog paths as plain strings, so schema "flat" +
// table "t/" is the folder "flatt/". The bucket policy (program) and verify/access (CLIs) used to resolve
// such paths with two different implementations; now both use model/lakePaths.ts. On real PostgreSQL and
// Ceph RGW, with objects put where DuckLake itself would read them (plain string join, computed here), the
// policy opens exactly those objects and verify probes exactly them.
import { randomBytes } from "crypto";
import { Client } from "pg";
import { GetObjectCommand, PutBucketPolicyCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { createTestBucket, s3Client, testStorage } from "../support/s3";
import { pgAdmin, rgw } from "../support/services";
import { createDuckLakeCatalog } from "../fixtures/ducklakeCatalog";
import { installGuard, grantRead } from "../../postgres/guardClient";
import { readCatalogLayout } from "../../postgres/catalogLayout";
import { buildBucketPolicy } from "../../model/bucketPolicy";
import { grantKey } from "../../model/grants";
import { quoteIdent, quoteLiteral } from "../../model/names";
import { parseLakeConnectionInfo, LakeConnectionInfo } from "../../cli/connectionInfo";
import { verifyLake, VerifyReport } from "../../cli/verify";
import { accessMatrix } from "../../cli/accessMatrix";

const hex = randomBytes(3).toString("hex");
const alice = `clip_alice_${hex}`;
const bob = `clip_bob_${hex}`;
const readers = [alice, bob];
const passwords: Record<string, string> = { [alice]: randomBytes(9).toString("hex"), [bob]: randomBytes(9).toString("hex") };
const grants = [
  { reader: alice, schema: "flat", table: "t" },
  { reader: alice, schema: "sales", table: "loose" },
  { reader: bob, schema: "sales", table: "loose_archive" },
];

let conn: Awaited<ReturnType<typeof createTestDatabase>>;
let admin: Client;
let bucket: string;
let info: LakeConnectionInfo;
/** Bucket key of every current data file, as DuckLake reads it → "schema.table". */
const duckLakeKeys = new Map<string, string>();

beforeAll(async () => {
  const svc = rgw();
  bucket = await createTestBucket("clipaths");
  conn = await createTestDatabase("clipaths");
  admin = new Client(conn);
  await admin.connect();
  const b = await createDuckLakeCatalog(admin, { dataPath: `s3://${bucket}/data/` });
  await b.createSchema("flat", { path: "flat" }); // no "/": DuckLake puts its tables at data/flat<table path>
  await b.createSchema("sales");
  const cols = { columns: [{ name: "x", type: "int64" }] };
  const t = await b.createTable("flat", "t", cols);
  await b.addDataFile(t.tableId);
  const loose = await b.createTable("sales", "loose", { ...cols, path: "loose" }); // no "/" on the table
  await b.addDataFile(loose.tableId, { path: "/part-0.parquet" }); // as DuckLake writes it under such a path
  await b.addDataFile(loose.tableId, { path: "part-1.parquet" }); // read as data/sales/loosepart-1.parquet
  const archive = await b.createTable("sales", "loose_archive", cols); // the sibling a folder without "/" would open
  await b.addDataFile(archive.tableId);

  // DuckLake's own rule, written out here independently of the code under test: strings joined as stored.
  const { rows } = await admin.query(`
    SELECT s.schema_name, t.table_name, m.value || s.path || t.path || f.path AS url
    FROM ducklake_data_file f JOIN ducklake_table t ON t.table_id = f.table_id AND t.end_snapshot IS NULL
    JOIN ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL
    CROSS JOIN (SELECT value FROM ducklake_metadata WHERE key = 'data_path' AND scope IS NULL) m
    WHERE f.end_snapshot IS NULL`);
  const s3 = s3Client(svc.admin);
  for (const r of rows) {
    const key = String(r.url).slice(`s3://${bucket}/`.length);
    duckLakeKeys.set(key, `${r.schema_name}.${r.table_name}`);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "PAR1 fixture PAR1" }));
  }

  await installGuard(admin);
  for (const r of readers) await admin.query(`CREATE ROLE ${quoteIdent(r)} LOGIN PASSWORD ${quoteLiteral(passwords[r])}`);
  for (const g of grants) await grantRead(admin, g);
  const pg = pgAdmin();
  info = parseLakeConnectionInfo({
    stack: "test",
    catalog: { host: pg.host, port: pg.port, database: conn.database, user: pg.user, password: pg.password, sslmode: "disable" },
    storage: testStorage(bucket),
    readers: readers.map((name, i) => ({
      name,
      password: passwords[name],
      s3: { projectId: svc.readerProject, ...svc.readers[i] },
      grants: grants.filter((g) => g.reader === name).map((g) => ({ schema: g.schema, table: g.table })),
    })),
  });
}, 120_000);

afterAll(async () => {
  await admin?.end();
  if (conn) await dropTestDatabase(conn);
  await withClient(pgAdmin(), async (c) => {
    for (const r of readers) await c.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
  });
});

const row = (r: VerifyReport, reader: string, object: string) => r.rows.find((x) => x.reader === reader && x.object === object);

describe("paths stored without their final /", () => {
  it("the policy from the program's layout and verify / access agree, on the objects DuckLake reads", async () => {
    const svc = rgw();
    const keys = [...duckLakeKeys.keys()];
    expect(keys).toHaveLength(4);
    expect(keys).toEqual(expect.arrayContaining(["data/sales/loose/part-0.parquet", "data/sales/loosepart-1.parquet"]));
    expect(keys.filter((k) => /^data\/flatt\/ducklake-[0-9a-f-]+\.parquet$/.test(k))).toHaveLength(1);
    expect(keys.filter((k) => /^data\/sales\/loose_archive\/ducklake-[0-9a-f-]+\.parquet$/.test(k))).toHaveLength(1);
    const layout = await readCatalogLayout(admin, { bucket });
    expect(layout.outsideFiles.map((f) => `${f.schema}.${f.table} ${f.location}`)).toEqual([
      `sales.loose s3://${bucket}/data/sales/loosepart-1.parquet`,
    ]);
    const policy = buildBucketPolicy({
      bucket,
      ownerProjectId: svc.adminProject,
      layout,
      grants: grants.map((g) => ({ ...g, mode: "read" as const, key: grantKey(g.reader, g.schema, g.table) })),
      readers: readers.map((name, i) => ({ name, principal: { projectId: svc.readerProject, accessKey: svc.readers[i].accessKey } })),
    });
    expect(policy.problems).toEqual([]);
    expect(policy.json).toContain(`arn:aws:s3:::${bucket}/data/flatt/*`);
    expect(policy.json).toContain(`arn:aws:s3:::${bucket}/data/sales/loose/*`);
    await s3Client(svc.admin).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy.json }));
    // Every object where DuckLake reads it: 200 for the reader granted its table, 403 for everyone else; the
    // file outside its table's folder stays closed even to the granted reader (the layout reports it).
    const got = await Promise.all(
      [...duckLakeKeys].flatMap(([Key, table]) =>
        readers.map(async (reader, i) => {
          let code = 200;
          try {
            await s3Client(svc.readers[i]).send(new GetObjectCommand({ Bucket: bucket, Key }));
          } catch (e) {
            code = (e as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode;
          }
          const granted = grants.some((g) => g.reader === reader && `${g.schema}.${g.table}` === table);
          return { Key, reader, code, expected: granted && Key !== "data/sales/loosepart-1.parquet" ? 200 : 403 };
        }),
      ),
    );
    expect(got.filter((x) => x.code !== x.expected)).toEqual([]);

    const r = await verifyLake(info);
    expect(r.problems).toEqual([]);
    expect(row(r, alice, "flat.t")).toMatchObject({ expected: "read", catalog: "visible", s3: "200", ok: true });
    expect(row(r, alice, "sales.loose")).toMatchObject({ expected: "read", catalog: "visible", s3: "200", ok: true });
    expect(row(r, alice, "sales.loose_archive")).toMatchObject({ expected: "none", catalog: "hidden", s3: "403", ok: true });
    expect(row(r, bob, "flat.t")).toMatchObject({ expected: "none", catalog: "hidden", s3: "403", ok: true });
    expect(row(r, bob, "sales.loose")).toMatchObject({ expected: "none", catalog: "hidden", s3: "403", ok: true });
    expect(row(r, bob, "sales.loose_archive")).toMatchObject({ expected: "read", catalog: "visible", s3: "200", ok: true });

    const m = await accessMatrix(info);
    expect(m.problems).toEqual([]);
    expect(m.cells.find((c) => c.reader === alice && c.table === "flat.t")).toMatchObject({ declared: true, catalog: true, storage: true });
  });
});

describe("a catalog whose data_path is in another bucket", () => {
  it("verify and access stop and say so (the policy of that bucket could not guard it either)", async () => {
    const other = { ...info, storage: { ...info.storage, bucket: "another-bucket" } };
    await expect(verifyLake(other)).rejects.toThrow(/data_path s3:\/\/\S+\/data\/ is in bucket "\S+", not "another-bucket"/);
    await expect(accessMatrix(other)).rejects.toThrow(/not "another-bucket".*DATA_PATH 's3:\/\/another-bucket\/<prefix>\/'/);
  });
});
