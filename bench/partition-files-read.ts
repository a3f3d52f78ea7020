// Cost of reading a partition-granted table's file facts at preview (postgres/partitionFiles.ts, sql/queries/partition_*.sql)
// next to the plain layout read of the same catalog in the same run. The catalog is the DuckLake 1.0 spec DDL
// (test/fixtures/ducklakeCatalog.ts SPEC_1_0_TABLES) filled with one table partitioned by (region, year(ts)):
// FILES data files in 20 regions x 50 years = 1,000 hive folders, 2 partition values each, a delete file per 20 data files.
//   LAKE_PG_DIR=/tmp/ducklake-pulumi/pg-<you> bash scripts/local-pg.sh start   (prints the admin connection)
//   BENCH_PG='<that JSON>' npx ts-node --transpile-only bench/partition-files-read.ts
import { Client } from "pg";
import { readCatalogLayout } from "../postgres/catalogLayout";
import { SPEC_1_0_TABLES } from "../test/fixtures/ducklakeCatalog";

const FILES = Number(process.env.BENCH_FILES ?? 200_000);

async function main(): Promise<void> {
  const admin = JSON.parse(process.env.BENCH_PG ?? "{}");
  const db = `bench_partfiles_${process.pid}`;
  const a = new Client(admin);
  await a.connect();
  await a.query(`CREATE DATABASE ${db}`);
  const c = new Client({ ...admin, database: db });
  await c.connect();
  try {
    await c.query("CREATE SCHEMA lake");
    for (const [t, cols] of SPEC_1_0_TABLES) await c.query(`CREATE TABLE lake.${t} (${cols})`);
    await c.query("SET search_path = lake");
    await c.query("INSERT INTO ducklake_metadata (key, value) VALUES ('version','1.0'), ('data_path','s3://lake/data/')");
    await c.query("INSERT INTO ducklake_schema VALUES (0, gen_random_uuid(), 0, NULL, 'hr', 'hr/', true)");
    await c.query("INSERT INTO ducklake_table VALUES (1, gen_random_uuid(), 0, NULL, 0, 'sales', 'sales/', true)");
    await c.query(
      "INSERT INTO ducklake_column (column_id, begin_snapshot, end_snapshot, table_id, column_order, column_name, column_type, nulls_allowed) VALUES (1, 0, NULL, 1, 1, 'region', 'varchar', true), (2, 0, NULL, 1, 2, 'ts', 'timestamp', true)",
    );
    await c.query("INSERT INTO ducklake_partition_info VALUES (1, 1, 0, NULL)");
    await c.query("INSERT INTO ducklake_partition_column VALUES (1, 1, 0, 1, 'identity'), (1, 1, 1, 2, 'year')");
    const t0 = Date.now();
    await c.query(
      `INSERT INTO ducklake_data_file (data_file_id, table_id, begin_snapshot, path, path_is_relative, file_format, record_count, file_size_bytes, partition_id)
       SELECT f, 1, 0, 'region=r' || (f % 20) || '/year=' || (1980 + (f / 20) % 50) || '/ducklake-' || gen_random_uuid() || '.parquet', true, 'parquet', 100, 1000, 1
       FROM generate_series(0, $1::int - 1) f`,
      [FILES],
    );
    await c.query(
      `INSERT INTO ducklake_file_partition_value SELECT f, 1, 0, 'r' || (f % 20) FROM generate_series(0, $1::int - 1) f
       UNION ALL SELECT f, 1, 1, (1980 + (f / 20) % 50)::text FROM generate_series(0, $1::int - 1) f`,
      [FILES],
    );
    await c.query(
      `INSERT INTO ducklake_delete_file (delete_file_id, table_id, begin_snapshot, data_file_id, path, path_is_relative, format, delete_count, file_size_bytes)
       SELECT f, 1, 0, f, 'ducklake-' || gen_random_uuid() || '-delete.parquet', true, 'parquet', 1, 100 FROM generate_series(0, $1::int - 1, 20) f`,
      [FILES],
    );
    await c.query("ANALYZE");
    console.log(
      `catalog: 1 table, ${FILES.toLocaleString("en")} data files, ${FILES / 20} delete files (generated in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
    await c.query("RESET search_path");
    const time = async (f: () => Promise<unknown>) => {
      const ms: number[] = [];
      for (let i = 0; i < 5; i++) {
        const s = process.hrtime.bigint();
        await f();
        ms.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
      return ms.sort((x, y) => x - y)[2];
    };
    const plain = await time(() => readCatalogLayout(c, { catalogSchema: "lake", bucket: "lake" }));
    let groups = 0;
    const withFacts = await time(async () => {
      const l = await readCatalogLayout(c, { catalogSchema: "lake", bucket: "lake", partitionTables: [{ schema: "hr", table: "sales" }] });
      groups = l.partitions![0].groups.length;
    });
    console.log(`| layout read (no partition grants) | ${plain.toFixed(0)} ms |`);
    console.log(
      `| with the table's partition facts (${groups.toLocaleString("en")} file groups) | ${withFacts.toFixed(0)} ms (${(withFacts / plain).toFixed(1)}×) |`,
    );
  } finally {
    await c.end();
    await a.query(`DROP DATABASE ${db}`);
    await a.end();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
