// Reads the layout of a spec-1.0 DuckLake catalog on real PostgreSQL, then proves on real Ceph RGW that the
// policy built from it opens exactly the files the catalog lists for the granted tables.
import { GetObjectCommand, PutBucketPolicyCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Client } from "pg";
import { buildBucketPolicy } from "../../model/bucketPolicy";
import { grantPrefixes } from "../../model/lakePaths";
import { readCatalogLayout } from "../../postgres/catalogLayout";
import { buildSampleLake, createDuckLakeCatalog, CatalogBuilder, SampleLake } from "../fixtures/ducklakeCatalog";
import { createTestDatabase, dropTestDatabase } from "../support/pg";
import { createTestBucket, s3Client } from "../support/s3";
import { PgConnection, rgw } from "../support/services";

const svc = rgw();
let conn: PgConnection;
let client: Client;
let bucket: string;
let b: CatalogBuilder;
let lake: SampleLake;

beforeAll(async () => {
  conn = await createTestDatabase("layout");
  client = new Client(conn);
  await client.connect();
  bucket = await createTestBucket("layout");
  b = await createDuckLakeCatalog(client, { catalogSchema: "lake", dataPath: `s3://${bucket}/data/` });
  lake = await buildSampleLake(b);
  // A schema stored in a custom folder, and a file of sales.orders registered outside its folder.
  await b.createSchema("finance", { path: "fin-2026/" });
  const ledger = await b.createTable("finance", "ledger", { columns: [{ name: "x", type: "int64" }] });
  await b.addDataFile(ledger.tableId);
  await b.addDataFile(lake.tables["sales.orders"], { absolute: true, path: `s3://${bucket}/imports/orders-2019.parquet` });
});
afterAll(async () => {
  await client.end();
  await dropTestDatabase(conn);
});

/** Every current file of the catalog as bucket key → "schema.table". */
async function catalogFiles(): Promise<Map<string, string>> {
  const { rows } = await client.query(`
    SELECT s.schema_name, t.table_name, s.path AS sp, t.path AS tp, f.path AS fp, f.path_is_relative AS rel
    FROM lake.ducklake_data_file f JOIN lake.ducklake_table t ON t.table_id = f.table_id AND t.end_snapshot IS NULL
    JOIN lake.ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL WHERE f.end_snapshot IS NULL`);
  const files = new Map<string, string>();
  for (const r of rows) {
    const key = r.rel ? `data/${r.sp}${r.tp}${r.fp}` : String(r.fp).replace(/^s3:\/\/[^/]+\//, "");
    if (String(r.fp).startsWith("s3://elsewhere/")) continue; // another bucket: not ours to test
    files.set(key, `${r.schema_name}.${r.table_name}`);
  }
  return files;
}

describe("readCatalogLayout", () => {
  it("reads data_path and the current schema/table paths (renamed, dropped and UUID-named tables included)", async () => {
    const layout = await readCatalogLayout(client, { catalogSchema: "lake", bucket });
    expect(layout).toMatchObject({ dataPath: `s3://${bucket}/data/`, bucket, dataPrefix: "data/" });
    expect(layout.schemas.map((s) => s.name).sort()).toEqual(["finance", "hr", "main", "odd schema;--", "sales"]);
    const names = layout.tables.map((t) => `${t.schema}.${t.name}`).sort();
    expect(names).toEqual(Object.keys(lake.tables).concat("finance.ledger").sort());
    expect(names).not.toContain("sales.staging"); // dropped
    expect(grantPrefixes(layout, { schema: "sales", table: "returns" }).prefixes).toEqual(["data/sales/returns_v1/"]); // renamed keeps its folder
    expect(grantPrefixes(layout, { schema: "finance", table: "ledger" }).prefixes).toEqual(["data/fin-2026/ledger/"]);
    const odd = layout.tables.find((t) => t.tableId === lake.uuidPathTableId)!;
    expect(odd.path).toMatch(/^[0-9a-f-]{36}\/$/);
  });

  it("reports files registered outside their table's folder, in and outside the bucket", async () => {
    const layout = await readCatalogLayout(client, { catalogSchema: "lake", bucket });
    expect(layout.outsideFiles.map((f) => `${f.schema}.${f.table} ${f.kind} ${f.location}`).sort()).toEqual([
      "main.events data s3://elsewhere/events/part-0.parquet",
      "main.events data s3://elsewhere/events/part-0.parquet",
      `sales.orders data s3://${bucket}/imports/orders-2019.parquet`,
    ]);
    expect(grantPrefixes(layout, { schema: "sales", table: "orders" }).warnings.join()).toMatch(
      /1 file\(s\) outside its folder.*imports\/orders-2019/,
    );
  });

  it("refuses a catalog whose data_path is in another bucket, and a bad catalog schema name", async () => {
    await expect(readCatalogLayout(client, { catalogSchema: "lake", bucket: "other-bucket" })).rejects.toThrow(
      /not "other-bucket".*DATA_PATH 's3:\/\/other-bucket\/<prefix>\/'/,
    );
    await expect(readCatalogLayout(client, { catalogSchema: "", bucket })).rejects.toThrow(/catalogSchema is empty/);
  });

  it("opens on RGW exactly the files the catalog lists for the granted tables", async () => {
    const layout = await readCatalogLayout(client, { catalogSchema: "lake", bucket });
    const files = await catalogFiles();
    const admin = s3Client(svc.admin);
    await Promise.all([...files.keys()].map((Key) => admin.send(new PutObjectCommand({ Bucket: bucket, Key, Body: "parquet" }))));
    const key = svc.readers[0];
    const reader = { name: "analyst", principal: { projectId: svc.readerProject, accessKey: key.accessKey } };
    const grants = [
      { reader: "analyst", schema: "sales", table: "orders", mode: "read" as const, key: "analyst/sales/orders" },
      { reader: "analyst", schema: "odd schema;--", table: null, mode: "read" as const, key: "analyst/odd" },
    ];
    const policy = buildBucketPolicy({ bucket, ownerProjectId: svc.adminProject, readers: [reader], grants, layout });
    expect(policy.problems).toEqual([]);
    expect(policy.warnings.join()).toMatch(/imports\/orders-2019\.parquet/);
    await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy.json }));
    const c = s3Client(key);
    const results = await Promise.all(
      [...files].map(async ([Key, table]) => {
        let code = 200;
        try {
          await c.send(new GetObjectCommand({ Bucket: bucket, Key }));
        } catch (e) {
          code = (e as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode;
        }
        const inFolder = !Key.startsWith("imports/");
        const expected = (table === "sales.orders" || table.startsWith("odd schema;--.")) && inFolder ? 200 : 403;
        return { Key, table, code, expected };
      }),
    );
    expect(results.filter((r) => r.code !== r.expected)).toEqual([]);
    expect(results.filter((r) => r.code === 200).length).toBeGreaterThanOrEqual(4); // 3 orders files + the odd table's file
  });
});
