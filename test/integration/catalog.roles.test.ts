// The Catalog component's role design on a real PostgreSQL. The component creates these grants through
// @pulumi/postgresql (not runnable here: no provider plugins), so this test issues the same statements
// that provider issues for each resource, then plays DuckLake's parts: the owner creates catalog
// tables, the writer writes rows and creates inlined-data tables, the owner maintains them.
import { randomBytes } from "crypto";
import { spawnSync } from "child_process";
import { Client } from "pg";
import { withClient } from "../support/pg";
import { pgAdmin } from "../support/services";
import { roleAttachSql as duckLakeAttachSql } from "../../model/attach";
import { quoteIdent, quoteLiteral } from "../../model/names";

const suffix = randomBytes(4).toString("hex");
const owner = `t_owner_${suffix}`;
const writer = `t_writer_${suffix}`;
const other = `t_other_${suffix}`;
const database = `catalog_roles_${suffix}`;
const password = randomBytes(12).toString("hex");

const as = (user: string) => ({ ...pgAdmin(), database, user, password });
async function run(user: string, sql: string): Promise<unknown[]> {
  const c = new Client(as(user));
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe("catalog roles (owner, BYPASSRLS writer) on a real PostgreSQL", () => {
  beforeAll(async () => {
    await withClient(pgAdmin(), async (c) => {
      for (const [role, extra] of [
        [owner, ""],
        [writer, " BYPASSRLS"],
        [other, ""],
      ] as const)
        await c.query(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD ${quoteLiteral(password)}${extra}`);
      await c.query(`CREATE DATABASE ${quoteIdent(database)} OWNER ${quoteIdent(owner)} ENCODING 'UTF8' TEMPLATE template0`);
    });
    await withClient({ ...pgAdmin(), database }, async (c) => {
      await c.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(database)} TO ${quoteIdent(writer)}`);
      await c.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${quoteIdent(writer)}`);
      await c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${quoteIdent(writer)}`);
      await c.query(
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(owner)} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${quoteIdent(writer)}`,
      );
      await c.query(
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(writer)} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLES TO ${quoteIdent(owner)}`,
      );
    });
    // The owner's first ATTACH creates the catalog tables; RLS hides rows from ordinary roles.
    await run(
      owner,
      "CREATE TABLE ducklake_data_file (data_file_id bigint, table_id bigint, path text); " +
        "ALTER TABLE ducklake_data_file ENABLE ROW LEVEL SECURITY; ALTER TABLE ducklake_data_file FORCE ROW LEVEL SECURITY; " +
        "CREATE POLICY only_table_1 ON ducklake_data_file USING (table_id = 1)",
    );
  });

  afterAll(async () => {
    await withClient(pgAdmin(), async (c) => {
      await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [database]);
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)}`);
      for (const role of [owner, writer, other]) await c.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
    });
  });

  it("the writer writes catalog rows and sees every row despite row-level security (BYPASSRLS)", async () => {
    await run(
      writer,
      "INSERT INTO ducklake_data_file VALUES (1, 1, 'a.parquet'), (2, 2, 'b.parquet'); UPDATE ducklake_data_file SET path = 'b2.parquet' WHERE data_file_id = 2",
    );
    expect(await run(writer, "SELECT count(*)::int AS n FROM ducklake_data_file")).toEqual([{ n: 2 }]);
    // the owner is subject to FORCE RLS here, which is why maintenance must run as a BYPASSRLS role or superuser
    expect(await run(owner, "SELECT count(*)::int AS n FROM ducklake_data_file")).toEqual([{ n: 1 }]);
  });

  it("the owner can maintain the inlined-data tables the writer creates", async () => {
    await run(
      writer,
      "CREATE TABLE ducklake_inlined_data_2_1 (row_id bigint, v text); INSERT INTO ducklake_inlined_data_2_1 VALUES (1, 'x')",
    );
    await run(owner, "DELETE FROM ducklake_inlined_data_2_1 WHERE row_id = 1; TRUNCATE ducklake_inlined_data_2_1");
    expect(await run(owner, "SELECT count(*)::int AS n FROM ducklake_inlined_data_2_1")).toEqual([{ n: 0 }]);
  });

  it("the writer cannot drop or alter the owner's catalog tables", async () => {
    await expect(run(writer, "DROP TABLE ducklake_data_file")).rejects.toThrow(/must be owner of table ducklake_data_file/);
    await expect(run(writer, "ALTER TABLE ducklake_data_file NO FORCE ROW LEVEL SECURITY")).rejects.toThrow(/must be owner/);
  });

  it("a role without grants reads nothing", async () => {
    await expect(run(other, "SELECT * FROM ducklake_data_file")).rejects.toThrow(/permission denied for table ducklake_data_file/);
  });

  it("the ATTACH statement's libpq string connects as the role it names", () => {
    const sql = duckLakeAttachSql(
      { ...pgAdmin(), database, user: writer, sslmode: "disable" },
      { dataPath: "s3://lake/data/", metadataSchema: "public" },
    );
    const conninfo = /^ATTACH 'ducklake:postgres:(.*)' AS "lake" \(DATA_PATH 's3:\/\/lake\/data\/', METADATA_SCHEMA 'public'\)$/.exec(
      sql,
    )![1];
    const psql = spawnSync("psql", [conninfo, "-XtAc", "SELECT current_user || '@' || current_database()"], {
      env: { ...process.env, PGPASSWORD: password },
      encoding: "utf8",
    });
    expect(psql.stderr).toBe("");
    expect(psql.stdout.trim()).toBe(`${writer}@${database}`);
  });

  it("quotes odd values in the ATTACH statement instead of breaking out of it", () => {
    const sql = duckLakeAttachSql(
      { host: "h", port: 5432, database: "d", user: "u", sslmode: "verify-full", sslRootCert: "my ca's.pem" },
      { dataPath: "s3://b/it's/", metadataSchema: "public", alias: 'x"y', readOnly: true },
    );
    expect(sql).toBe(
      `ATTACH 'ducklake:postgres:dbname=d host=h port=5432 user=u sslmode=verify-full sslrootcert=''my ca\\''s.pem''' AS "x""y" (DATA_PATH 's3://b/it''s/', METADATA_SCHEMA 'public', READ_ONLY)`,
    );
  });
});
