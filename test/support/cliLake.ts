// A deployed lake for the CLI tests: the fixture catalog with the real catalog guard on a test database, two
// reader roles with their grants, a real object at every data file's location and the storage guard's bucket
// policy on a test bucket of the real RGW. Call from beforeAll; `dispose` from afterAll.
// In the external shape (test/support/catalogShape.ts: the integration-managed jest project) the catalog is set up as the
// external target does it (test/support/externalCatalog.ts): no superuser; the connection file holds the owner
// login, as the program's lakeConnection output does.
import { randomBytes } from "crypto";
import { Client } from "pg";
import { PutBucketPolicyCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createTestDatabase, dropTestDatabase, withClient } from "./pg";
import { createTestBucket, s3Client, testStorage } from "./s3";
import { pgAdmin, rgw } from "./services";
import { buildSampleLake, createDuckLakeCatalog, SampleLake } from "../fixtures/ducklakeCatalog";
import { installGuard, grantRead } from "../../postgres/guardClient";
import { readCatalogLayout } from "../../postgres/catalogLayout";
import { buildBucketPolicy } from "../../model/bucketPolicy";
import { grantKey } from "../../model/grants";
import { NormalizedGrant } from "../../model/accessSpec";
import { quoteIdent, quoteLiteral } from "../../model/names";
import { LakeConnectionInfo, parseLakeConnectionInfo } from "../../cli/connectionInfo";
import { catalogShape } from "./catalogShape";
import { ExternalCatalog, setUpExternalCatalog } from "./externalCatalog";

export type Grant = { reader: string; schema: string; table: string | null };
export type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

/** Two readers `<rolePrefix>_alice_<hex>` / `<rolePrefix>_bob_<hex>`: alice reads sales.orders, bob all of hr. */
export function cliLakeReaders(rolePrefix: string) {
  const hex = randomBytes(3).toString("hex");
  const alice = `${rolePrefix}_alice_${hex}`;
  const bob = `${rolePrefix}_bob_${hex}`;
  const declared: Grant[] = [
    { reader: alice, schema: "sales", table: "orders" },
    { reader: bob, schema: "hr", table: null },
  ];
  return { alice, bob, declared };
}

export interface CliLake {
  conn: TestDatabase;
  admin: Client;
  bucket: string;
  lake: SampleLake;
  /** The connection file of the lake, with the declared grants. */
  info: LakeConnectionInfo;
  /** The connection file for `database` (same bucket and readers); without grants when `withGrants` is false. */
  connectionInfo(database: string, withGrants?: boolean): LakeConnectionInfo;
  /** Applies the bucket policy the storage guard builds for `grants`. */
  applyPolicy(grants: Grant[]): Promise<void>;
  /** Closes the admin client, drops the database, then `extra` databases, then the reader roles. */
  dispose(...extra: (TestDatabase | undefined)[]): Promise<void>;
}

/** Puts a real object at every current data file's location inside the bucket. */
async function putDataFiles(client: Client, bucket: string): Promise<number> {
  const { rows } = await client.query(`
    SELECT m.value AS data_path, s.path AS sp, t.path AS tp, t.path_is_relative AS trel, f.path AS fp, f.path_is_relative AS frel
    FROM ducklake_data_file f JOIN ducklake_table t ON t.table_id = f.table_id AND t.end_snapshot IS NULL
    JOIN ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL
    CROSS JOIN (SELECT value FROM ducklake_metadata WHERE key = 'data_path' AND scope IS NULL) m
    WHERE f.end_snapshot IS NULL`);
  let n = 0;
  for (const r of rows) {
    const url = !r.frel ? r.fp : `${r.trel ? r.data_path + r.sp + r.tp : r.tp}${r.fp}`;
    const prefix = `s3://${bucket}/`;
    if (!url.startsWith(prefix)) continue;
    await s3Client(rgw().admin).send(new PutObjectCommand({ Bucket: bucket, Key: url.slice(prefix.length), Body: "PAR1 fixture PAR1" }));
    n++;
  }
  return n;
}

/** Deploys the lake for `readers` on a fresh bucket and database named after `tag`. */
export async function createCliLake(tag: string, readers: { alice: string; bob: string; declared: Grant[] }): Promise<CliLake> {
  const { alice, bob, declared } = readers;
  const names = [alice, bob];
  const passwords: Record<string, string> = { [alice]: randomBytes(9).toString("hex"), [bob]: randomBytes(9).toString("hex") };
  const bucket = await createTestBucket(tag);
  const external: ExternalCatalog | undefined = catalogShape() === "external" ? await setUpExternalCatalog(`${tag}x`) : undefined;
  const conn = external ? external.owner : await createTestDatabase(tag);
  const admin = new Client(conn);
  await admin.connect();

  const connectionInfo = (database: string, withGrants = true): LakeConnectionInfo => {
    const svc = rgw();
    const pg = external ? external.owner : pgAdmin();
    return parseLakeConnectionInfo({
      stack: "test",
      catalog: { host: pg.host, port: pg.port, database, user: pg.user, password: pg.password, sslmode: "disable" },
      storage: testStorage(bucket),
      readers: names.map((name, i) => ({
        name,
        password: passwords[name],
        s3: { projectId: svc.readerProject, ...svc.readers[i] },
        ...(withGrants
          ? {
              grants: declared
                .filter((g) => g.reader === name)
                .map((g) => (g.table ? { schema: g.schema, table: g.table } : { schema: g.schema })),
            }
          : {}),
      })),
    });
  };

  const applyPolicy = async (grants: Grant[]): Promise<void> => {
    const svc = rgw();
    const layout = await readCatalogLayout(admin, { bucket });
    const normalized: NormalizedGrant[] = grants.map((g) => ({ ...g, mode: "read", key: grantKey(g.reader, g.schema, g.table) }));
    const policy = buildBucketPolicy({
      bucket,
      ownerProjectId: svc.adminProject,
      layout,
      grants: normalized,
      readers: names.map((name, i) => ({ name, principal: { projectId: svc.readerProject, accessKey: svc.readers[i].accessKey } })),
    });
    expect(policy.problems).toEqual([]);
    await s3Client(svc.admin).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy.json }));
  };

  const dispose = async (...extra: (TestDatabase | undefined)[]): Promise<void> => {
    await admin.end();
    for (const db of extra) if (db) await dropTestDatabase(db); // first: readers' grants there would keep their roles
    if (external) await external.drop(names);
    else await dropTestDatabase(conn);
    await withClient(pgAdmin(), async (c) => {
      for (const r of names) await c.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
    });
  };

  let lake: SampleLake;
  try {
    lake = await buildSampleLake(await createDuckLakeCatalog(admin, { dataPath: `s3://${bucket}/data/` }));
    await installGuard(admin, { catalogWriter: external?.writer.user });
    for (const r of names)
      if (external) await external.createReader(r, passwords[r]);
      else await admin.query(`CREATE ROLE ${quoteIdent(r)} LOGIN PASSWORD ${quoteLiteral(passwords[r])}`);
    for (const g of declared) await grantRead(admin, g);
    expect(await putDataFiles(admin, bucket)).toBeGreaterThan(5);
    await applyPolicy(declared);
  } catch (e) {
    await dispose(); // a half-deployed lake leaves no roles or database behind
    throw e;
  }
  return { conn, admin, bucket, lake, info: connectionInfo(conn.database), connectionInfo, applyPolicy, dispose };
}
