// The partition specs preview checks partition grants against (postgres/partitionSpec.ts), read from a
// catalog DuckDB 1.5.5 made on PostgreSQL, and the partition values DuckLake really writes per column type
// compared with what model/partitionGrants accepts: a value preview accepts must be one DuckLake can write,
// and DuckLake's own value must be accepted.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { createTestDatabase, dropTestDatabase } from "../support/pg";
import { pgAdmin, PgConnection } from "../support/services";
import { EXT_DIR } from "../support/partitionLake";
import { describeWithExtensionDir } from "../support/lakeSession";
import { duckString } from "../../cli/duckdbSql";
import { readPartitionSpecs, partitionSpecsOrUnavailable } from "../../postgres/partitionSpec";
import { checkPartitionGrants, identityValueProblem, specDdl } from "../../model/partitionGrants";
import { checkAccess } from "../../model/grants";

const suite = describeWithExtensionDir("partitionSpec");

let conn: PgConnection | undefined;
let pg: Client;
let instance: DuckDBInstance;
let duck: DuckDBConnection;
let dataDir: string;

const run = (sql: string) => duck.run(sql);

suite("partition specs of a DuckDB-made catalog (DuckDB 1.5.5, PostgreSQL catalog)", () => {
  beforeAll(async () => {
    conn = await createTestDatabase("partspec");
    pg = new Client(conn);
    await pg.connect();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "partspec-"));
    instance = await DuckDBInstance.create(":memory:", { allow_unsigned_extensions: "true", extension_directory: EXT_DIR });
    duck = await instance.connect();
    for (const ext of ["ducklake", "postgres"]) await run(`LOAD ${ext}`);
    const admin = pgAdmin();
    const libpq = `dbname=${conn.database} host=${admin.host} port=${admin.port} user=${admin.user} password=${admin.password}`;
    await run(
      `ATTACH ${duckString(`ducklake:postgres:${libpq}`)} AS lake (DATA_PATH ${duckString(dataDir + "/")}, METADATA_SCHEMA 'public')`,
    );
    await run("USE lake");
    await run("CREATE SCHEMA hr");
    await run("CREATE TABLE hr.salaries (id INT, ts TIMESTAMP, amount INT)");
    await run("ALTER TABLE hr.salaries SET PARTITIONED BY (year(ts), month(ts))");
    await run("CREATE TABLE hr.people (id INT, name VARCHAR)");
    await run("CREATE TABLE hr.reset (id INT, r VARCHAR)");
    await run("ALTER TABLE hr.reset SET PARTITIONED BY (r)");
    await run("ALTER TABLE hr.reset RESET PARTITIONED BY");
    await run("CREATE TABLE hr.renamed (id INT, region VARCHAR)");
    await run("ALTER TABLE hr.renamed SET PARTITIONED BY (region)");
    await run("ALTER TABLE hr.renamed RENAME COLUMN region TO area");
    await run(
      `CREATE TABLE hr.typed (i8 TINYINT, u64 UBIGINT, b BOOLEAN, d DATE, dec DECIMAL(10,2), u UUID, v VARCHAR, tz TIMESTAMPTZ, f DOUBLE)`,
    );
    await run("ALTER TABLE hr.typed SET PARTITIONED BY (i8, u64, b, d, dec, u, v, year(tz), f)");
  }, 120_000);
  afterAll(async () => {
    duck?.closeSync();
    instance?.closeSync();
    await pg?.end();
    if (conn) await dropTestDatabase(conn);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test("reads each named table's current spec in key order, with current column names and DuckLake types", async () => {
    const specs = await readPartitionSpecs(pg, {
      catalogSchema: "public",
      tables: [
        { schema: "hr", table: "salaries" },
        { schema: "HR", table: "People" }, // matched ignoring case
        { schema: "hr", table: "reset" },
        { schema: "hr", table: "renamed" },
        { schema: "hr", table: "typed" },
        { schema: "hr", table: "missing" },
      ],
    });
    const byName = new Map(specs.map((s) => [s.table, s]));
    expect([...byName.keys()].sort()).toEqual(["people", "renamed", "reset", "salaries", "typed"]);
    expect(byName.get("salaries")!.keys.map((k) => [k.index, k.column, k.type, k.transform])).toEqual([
      [0, "ts", "timestamp", "year"],
      [1, "ts", "timestamp", "month"],
    ]);
    expect(specDdl(byName.get("salaries")!)).toBe("PARTITIONED BY (year(ts), month(ts))");
    expect(byName.get("people")!.keys).toEqual([]);
    expect(byName.get("reset")!.keys).toEqual([]); // RESET leaves an open spec without keys: not partitioned
    expect(specDdl(byName.get("renamed")!)).toBe("PARTITIONED BY (area)"); // the column's current name
    expect(byName.get("typed")!.keys.map((k) => `${k.column}:${k.type}:${k.transform}`)).toEqual([
      "i8:int8:identity",
      "u64:uint64:identity",
      "b:boolean:identity",
      "d:date:identity",
      "dec:decimal(10,2):identity",
      "u:uuid:identity",
      "v:varchar:identity",
      "tz:timestamptz:year",
      "f:float64:identity",
    ]);
  });

  test("the values DuckLake writes per type are exactly the spellings preview accepts", async () => {
    await run(`INSERT INTO hr.typed SELECT (i % 3 - 1)::TINYINT, 18446744073709551615::UBIGINT - i % 2, i % 2 = 0, DATE '2026-01-02' + (i % 2)::INT,
      [3.1, -0.5, 0][i % 3 + 1]::DECIMAL(10,2), '0B7E8A52-3C1D-4F6E-9A2B-5C4D3E2F1A0B'::UUID, 'a/b=c d%', TIMESTAMPTZ '2026-06-01 00:00:00+00', 1.5
      FROM range(12) t(i)`); // 12 rows: above the inlining limit (10), so they go to files
    const { rows } = await pg.query(
      `SELECT c.column_name, c.column_type, v.partition_value
       FROM public.ducklake_file_partition_value v
       JOIN public.ducklake_data_file f USING (data_file_id)
       JOIN public.ducklake_partition_column pc ON pc.partition_id = f.partition_id AND pc.partition_key_index = v.partition_key_index
       JOIN public.ducklake_column c ON c.table_id = pc.table_id AND c.column_id = pc.column_id AND c.end_snapshot IS NULL
       JOIN public.ducklake_table t ON t.table_id = f.table_id AND t.table_name = 'typed' AND t.end_snapshot IS NULL
       WHERE pc.transform = 'identity' AND c.column_type <> 'float64'`,
    );
    const written = new Map<string, Set<string>>();
    for (const r of rows)
      (
        written.get(`${r.column_name}:${r.column_type}`) ??
        written.set(`${r.column_name}:${r.column_type}`, new Set()).get(`${r.column_name}:${r.column_type}`)!
      ).add(r.partition_value);
    expect(Object.fromEntries([...written].map(([k, v]) => [k, [...v].sort()]))).toEqual({
      "b:boolean": ["false", "true"],
      "d:date": ["2026-01-02", "2026-01-03"],
      "dec:decimal(10,2)": ["-0.50", "0.00", "3.10"],
      "i8:int8": ["-1", "0", "1"],
      "u64:uint64": ["18446744073709551614", "18446744073709551615"],
      "u:uuid": ["0b7e8a52-3c1d-4f6e-9a2b-5c4d3e2f1a0b"],
      "v:varchar": ["a/b=c d%"],
    });
    for (const [k, values] of written)
      for (const v of values) expect([k, v, identityValueProblem(k.split(":")[1], v)]).toEqual([k, v, undefined]);
    // Near misses of those spellings are refused.
    for (const [type, v] of [
      ["decimal(10,2)", "3.1"],
      ["uuid", "0B7E8A52-3C1D-4F6E-9A2B-5C4D3E2F1A0B"],
      ["boolean", "TRUE"],
      ["date", "2026-1-2"],
    ])
      expect(identityValueProblem(type, v)).toEqual(expect.any(String));
  });

  test("a grant checked against the live specs: accepted when the table has the keys, refused with the spec otherwise", async () => {
    const grants = checkAccess(
      {
        readers: [{ name: "hr_partner", principal: { projectId: "2002", accessKey: "P2002000000000000001" } }],
        grants: [
          { reader: "hr_partner", schema: "hr", table: "salaries", rows: { "year(ts)": [2026], "month(ts)": [3] } },
          { reader: "hr_partner", schema: "hr", table: "people", rows: { name: ["x"] } },
          { reader: "hr_partner", schema: "hr", table: "typed", rows: { "year(tz)": [2026], dec: ["3.1"] } },
        ],
      },
      { ownerProjectId: "1001" },
    ).access!.grants;
    const admin = pgAdmin();
    const source = await partitionSpecsOrUnavailable(
      { host: admin.host, port: admin.port, database: conn!.database, user: admin.user, password: admin.password, sslmode: "disable" },
      { catalogSchema: "public", tables: grants.map((g) => ({ schema: g.schema, table: g.table! })) },
    );
    const errors = checkPartitionGrants(grants, source).errors;
    expect(errors.map((e) => e.slice(0, e.indexOf(":")))).toEqual([
      'partition grant hr.people [name in ("x")] of "hr_partner"',
      'partition grant hr.typed [dec in ("3.1") and year(tz) in (2026)] of "hr_partner"',
      'partition grant hr.typed [dec in ("3.1") and year(tz) in (2026)] of "hr_partner"',
    ]);
    expect(errors[0]).toContain("hr.people is not partitioned");
    expect(errors[1]).toContain('"3.1" is not a DECIMAL(10,2) as DuckDB writes it (exactly 2 decimals, e.g. "3.00")');
    expect(errors[2]).toContain("year(tz) partitions TIMESTAMPTZ column tz");
    // A database without a DuckLake catalog: every partition grant is refused, saying why.
    const empty = await partitionSpecsOrUnavailable(
      { host: admin.host, port: admin.port, database: "postgres", user: admin.user, password: admin.password, sslmode: "disable" },
      { catalogSchema: "public", tables: [{ schema: "hr", table: "salaries" }] },
    );
    expect(empty).toEqual({ unavailable: "no DuckLake catalog yet" });
  });
});
