// The program's layout reader on a real PostgreSQL catalog with the shapes DuckLake produces (renamed tables,
// UUID folders, schema and table paths stored without their final "/", absolute schema/table/file paths,
// a dropped table): the layout comes back sealed and indexed, its files outside their folder are the ones the
// pre-issue-15 resolution finds (test/support/legacyPolicy, an oracle only), and the bucket policy built from
// it is byte-identical to the pre-issue-15 build for random grants.
import { Client } from "pg";
import { NormalizedGrant, ReaderSpec } from "../../model/accessSpec";
import { buildBucketPolicy } from "../../model/bucketPolicy";
import { layoutIndex, OutsideFile } from "../../model/lakePaths";
import { readCatalogLayout } from "../../postgres/catalogLayout";
import { catalogQuery } from "../../postgres/sqlFiles";
import { buildSampleLake, createDuckLakeCatalog } from "../fixtures/ducklakeCatalog";
import { legacyBuildBucketPolicy } from "../support/legacyPolicy/bucketPolicy";
import * as legacy from "../support/legacyPolicy/lakePaths";
import { createTestDatabase, dropTestDatabase } from "../support/pg";
import { pick, rng } from "../support/random";
import { PgConnection } from "../support/services";

let conn: PgConnection;
let client: Client;
const bucket = "lake-indexed";

beforeAll(async () => {
  conn = await createTestDatabase("layoutix");
  client = new Client(conn);
  await client.connect();
  const b = await createDuckLakeCatalog(client, { catalogSchema: "lake", dataPath: `s3://${bucket}/data/` });
  const lake = await buildSampleLake(b); // renamed table, UUID-named schema/table, dropped table, absolute file elsewhere
  const cols = { columns: [{ name: "x", type: "int64" }] };
  await b.createSchema("flat", { path: "flat" }); // no final "/"
  await b.createSchema("fin", { path: `s3://${bucket}/data/fin-2026/` }); // absolute
  const t = await b.createTable("flat", "t", cols);
  await b.addDataFile(t.tableId);
  const loose = await b.createTable("sales", "loose", { ...cols, path: "loose" }); // no final "/"
  await b.addDataFile(loose.tableId, { path: "/part-0.parquet" });
  await b.addDataFile(loose.tableId, { path: "part-1.parquet" }); // outside: data/sales/loosepart-1.parquet
  await b.createTable("sales", "loose_archive", cols);
  const moved = await b.createTable("fin", "ledger", { ...cols, path: `s3://${bucket}/data/archive/ledger/` });
  await b.addDataFile(moved.tableId, { absolute: true, path: `s3://${bucket}/imports/ledger-2019.parquet` });
  await b.addDataFile(lake.tables["sales.orders"], { path: "../customers/sneaky.parquet" });
}, 60_000);
afterAll(async () => {
  await client?.end();
  if (conn) await dropTestDatabase(conn);
});

describe("readCatalogLayout on real catalog shapes", () => {
  it("returns a sealed, indexed layout whose outside files are those the pre-issue-15 resolution finds", async () => {
    const layout = await readCatalogLayout(client, { catalogSchema: "lake", bucket });
    expect(Object.isFrozen(layout) && Object.isFrozen(layout.tables) && Object.isFrozen(layout.outsideFiles)).toBe(true);
    expect(layoutIndex(layout)).toBe(layoutIndex(layout)); // its own index, built once (a plain layout gets a fresh one per call)
    expect(layoutIndex({ ...layout })).not.toBe(layoutIndex({ ...layout }));
    // Oracle: the same rows resolved one by one with the old scanning functions.
    await client.query("BEGIN; SET LOCAL search_path = lake");
    const rows = (await client.query(catalogQuery("stray_files"))).rows;
    await client.query("COMMIT");
    const plain = JSON.parse(JSON.stringify(layout)) as legacy.LakeLayout;
    const expected: OutsideFile[] = [];
    for (const f of rows) {
      const t = plain.tables.find((x) => x.tableId === Number(f.table_id));
      if (!t) continue;
      const file = legacy.tableFileLocation(plain, t.schema, t.name, { path: f.path, pathIsRelative: f.path_is_relative !== false });
      if (file.key === undefined) expected.push({ schema: t.schema, table: t.name, kind: f.kind, location: file.location });
    }
    expect(layout.outsideFiles).toEqual(expected);
    expect(layout.outsideFiles.map((f) => f.location)).toEqual(
      expect.arrayContaining([`s3://${bucket}/data/sales/loosepart-1.parquet`, `s3://${bucket}/imports/ledger-2019.parquet`]),
    );
    expect(layout.tables.map((t) => t.name)).toEqual(expect.arrayContaining(["loose", "t", "ledger"]));
  });

  it("gives the pre-issue-15 bucket policy byte for byte, for 300 random grant sets over its tables", async () => {
    const layout = await readCatalogLayout(client, { catalogSchema: "lake", bucket });
    const plain = JSON.parse(JSON.stringify(layout));
    const r = rng(2015);
    const names = [...layout.tables.map((t) => [t.schema, t.name] as [string, string]), ["sales", "future_table"], ["new schema", "x"]] as [
      string,
      string,
    ][];
    let problems = 0;
    for (let i = 0; i < 300; i++) {
      const readers: ReaderSpec[] = Array.from({ length: 1 + Math.floor(r() * 4) }, (_, k) => ({
        name: `r${k}`,
        principal: { projectId: "2002", accessKey: `K${String(k).padStart(19, "0")}` },
      }));
      const grants: NormalizedGrant[] = Array.from({ length: Math.floor(r() * 6) }, (_, k) => {
        const [schema, table] = pick(r, names);
        return {
          reader: pick(r, readers).name,
          schema: r() < 0.2 ? schema.toUpperCase() : schema,
          table: r() < 0.3 ? null : table,
          mode: "read",
          key: `g${k}`,
        };
      });
      const opts = { bucket, ownerProjectId: "1001", readers, grants, allowListing: r() < 0.5, limitBytes: Infinity };
      const now = buildBucketPolicy({ ...opts, layout });
      const old = legacyBuildBucketPolicy({ ...opts, layout: plain });
      expect({ i, json: now.json, problems: now.problems, warnings: now.warnings }).toEqual({
        i,
        json: old.json,
        problems: old.problems,
        warnings: old.warnings,
      });
      if (old.problems.length) problems++;
    }
    expect(problems).toBeGreaterThan(20); // overlapping folders, files of ungranted tables in granted folders, UUID names
  });
});
