// Attacks on sql/007 found by a security review, each reproduced against the real guard (a catalog made by the real
// DuckDB client, the guard installed by a superuser as in partitionLake):
// F1: the catalog owner owns the schema ducklake_guard, so anything there a superuser runs (a table it reads, a
//     function it calls) is the owner's code running as the superuser: the superuser-owned event trigger function
//     and 007 itself, re-run by a superuser, must read only pg_catalog and their own code.
// F2: a role taken out of ducklake_reader but still holding SELECT on a filtered inlined table read every row (the
//     row filter's policies apply to readers; the others' policy lets every non-reader through): the grant sync
//     must revoke it, and the guard must resolve no grant of a non-member.
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import { DuckDBConnection } from "@duckdb/node-api";
import { describeWithDuckDB } from "../support/duckdb";
import { CATALOG, partitionLake, PartitionLake } from "../support/partitionLake";
import { repoRoot } from "../support/services";
import { grantRows, installGuard } from "../../postgres/guardClient";

const MIGRATION_007 = fs.readFileSync(path.join(repoRoot, "sql", "007_partition_grants.sql"), "utf8");
const MIGRATION_008 = fs.readFileSync(path.join(repoRoot, "sql", "008_external_catalog.sql"), "utf8");

describeWithDuckDB("attacks on the partition guard (sql/007)", () => {
  let lake: PartitionLake;
  let w: DuckDBConnection;
  let owner: Client;
  let tableId: number;

  const q = async (c: Client, sql: string, p: unknown[] = []) => (await c.query(sql, p)).rows;
  const ownerIsSuperuser = async () => (await q(lake.su, "SELECT rolsuper FROM pg_roles WHERE rolname = $1", [lake.owner]))[0].rolsuper;
  /** An owner-made function that makes the owner a superuser when a superuser runs it (as in the review). */
  const plantEscalation = async () =>
    owner.query(`CREATE OR REPLACE FUNCTION ducklake_guard.pwn() RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
          EXECUTE format('ALTER ROLE %I SUPERUSER', ${owner.escapeLiteral(lake.owner)});
        END IF;
        RETURN true;
      END $$`);

  beforeAll(async () => {
    lake = await partitionLake("part_atk");
    owner = await lake.connectAs(lake.owner);
    w = await lake.duck(lake.writer);
    await w.run("CREATE SCHEMA hr; CREATE TABLE hr.sales (id INT, region VARCHAR, amount INT)");
    await w.run("ALTER TABLE hr.sales SET PARTITIONED BY (region)");
    await w.run("INSERT INTO hr.sales VALUES (1, 'eu', 10), (2, 'us', 20), (3, 'eu', 30)"); // inlined
    tableId = Number(
      (await q(owner, `SELECT table_id FROM ${CATALOG}.ducklake_table WHERE table_name = 'sales' AND end_snapshot IS NULL`))[0].table_id,
    );
  }, 180_000);
  afterAll(async () => {
    await lake?.close();
  });

  test("F2: a partition reader taken out of ducklake_reader loses SELECT on the inlined table at the next sync, and is resolved to nothing", async () => {
    const reader = await lake.newReader("part_atk_r");
    expect(
      await grantRows(lake.su, {
        reader,
        schema: "hr",
        table: "sales",
        rows: [{ column: "region", transform: "identity", values: ["eu"] }],
      }),
    ).toBe(true);
    const inlined = String(
      (
        await q(
          owner,
          `SELECT table_name FROM ${CATALOG}.ducklake_inlined_data_tables WHERE table_id = $1 ORDER BY schema_version DESC LIMIT 1`,
          [tableId],
        )
      )[0].table_name,
    );
    const rc = await lake.connectAs(reader);
    expect((await q(rc, `SELECT id FROM ${CATALOG}.${inlined} ORDER BY id`)).map((r) => Number(r.id))).toEqual([1, 3]);

    // The role keeps USAGE on the catalog schema by other means (a catalog in public, say), as in the review.
    await lake.su.query(`GRANT USAGE ON SCHEMA ${CATALOG} TO ${reader}`);
    await lake.su.query(`REVOKE ducklake_reader FROM ${reader}`);
    await owner.query("SELECT ducklake_guard.resync()");
    // Before the fix the sync revoked from readers only: the role kept SELECT and, as a non-reader, saw every row.
    await expect(rc.query(`SELECT id FROM ${CATALOG}.${inlined}`)).rejects.toThrow(/permission denied for table/);
    const oid = (await q(lake.su, "SELECT oid FROM pg_roles WHERE rolname = $1", [reader]))[0].oid;
    expect(await q(lake.su, "SELECT kind, object_id FROM ducklake_guard.visible WHERE role_oid = $1", [oid])).toEqual([]);
    expect(await q(lake.su, "SELECT * FROM ducklake_guard.expected_visible($1)", [oid])).toEqual([]);
    expect(await q(lake.su, "SELECT * FROM ducklake_guard.enforcement_drift()")).toEqual([]);

    // Enrolled again: its partition grant (still in the ACL) applies again at the next sync.
    await lake.su.query(`GRANT ducklake_reader TO ${reader}`);
    await owner.query("SELECT ducklake_guard.resync()");
    expect((await q(rc, `SELECT id FROM ${CATALOG}.${inlined} ORDER BY id`)).map((r) => Number(r.id))).toEqual([1, 3]);
  });

  test("F1 (vector B): a superuser re-running 007 runs none of the owner's functions (catalog_schema() replaced by the owner)", async () => {
    await lake.su.query(`ALTER ROLE ${lake.owner} NOSUPERUSER`);
    await plantEscalation();
    await owner.query(`CREATE OR REPLACE FUNCTION ducklake_guard.catalog_schema() RETURNS text LANGUAGE sql STABLE
      AS $$ SELECT CASE WHEN ducklake_guard.pwn() THEN ${owner.escapeLiteral(CATALOG)} END $$`);
    expect(await ownerIsSuperuser()).toBe(false);
    await lake.su.query(MIGRATION_007);
    expect(await ownerIsSuperuser()).toBe(false);
    // The re-run still did its job.
    expect((await q(lake.su, "SELECT evtname FROM pg_event_trigger WHERE evtname = 'ducklake_guard_a_inlined_row_filter'")).length).toBe(1);
  });

  test("F1, what the owner can still do: DROP … CASCADE of the superuser's function only stops the filter (fail closed, named by enforcement_drift)", async () => {
    const reader = await lake.newReader("part_atk_d");
    const us = [{ column: "region", transform: "identity" as const, values: ["us"] }];
    expect(await grantRows(lake.su, { reader, schema: "hr", table: "sales", rows: us })).toBe(true);
    // The owner owns the schema ducklake_guard, so it may drop what is in it; CASCADE takes the event trigger along.
    await owner.query("DROP FUNCTION ducklake_guard.on_create_inlined_table() CASCADE");
    expect((await q(lake.su, "SELECT evtname FROM pg_event_trigger WHERE evtname = 'ducklake_guard_a_inlined_row_filter'")).length).toBe(0);
    await w.run("ALTER TABLE hr.sales ADD COLUMN note VARCHAR");
    await w.run("INSERT INTO hr.sales VALUES (4, 'us', 40, 'n'), (5, 'eu', 50, 'n')");
    const newest = String(
      (
        await q(
          owner,
          `SELECT table_name FROM ${CATALOG}.ducklake_inlined_data_tables WHERE table_id = $1 ORDER BY schema_version DESC LIMIT 1`,
          [tableId],
        )
      )[0].table_name,
    );
    expect(
      (await q(lake.su, "SELECT relrowsecurity FROM pg_class WHERE oid = $1::regclass", [`${CATALOG}.${newest}`]))[0].relrowsecurity,
    ).toBe(false);
    const rc = await lake.connectAs(reader);
    await expect(rc.query(`SELECT id FROM ${CATALOG}.${newest}`)).rejects.toThrow(/permission denied for table/);
    const drift = await q(lake.su, "SELECT area, reader, detail FROM ducklake_guard.enforcement_drift()");
    expect(drift).toContainEqual(expect.objectContaining({ area: "inlined", reader, detail: expect.stringContaining(`${newest} `) }));
    expect(drift.find((d) => d.reader === reader)?.detail).toMatch(/it has no row filter/);
    // A superuser re-running 007 puts it back; the reader then reads its rows only.
    await lake.su.query(MIGRATION_007);
    expect((await q(rc, `SELECT id FROM ${CATALOG}.${newest} ORDER BY id`)).map((r) => Number(r.id))).toEqual([4]);
    expect(await q(lake.su, "SELECT * FROM ducklake_guard.enforcement_drift()")).toEqual([]);
  });

  test("F1 (installer): installGuard as a superuser calls no guard function as the superuser (set_catalog_writer replaced by the owner)", async () => {
    await lake.su.query(`ALTER ROLE ${lake.owner} NOSUPERUSER`);
    await plantEscalation();
    await owner.query(`CREATE OR REPLACE FUNCTION ducklake_guard.set_catalog_writer(p_writer name) RETURNS boolean LANGUAGE sql
      AS $$ SELECT ducklake_guard.pwn() $$`);
    await installGuard(lake.su, { catalogSchema: CATALOG, catalogOwner: lake.owner, catalogWriter: lake.writer });
    expect(await ownerIsSuperuser()).toBe(false);
    expect((await q(lake.su, "SELECT current_user AS u"))[0].u).toBe((await q(lake.su, "SELECT session_user AS u"))[0].u);
  });

  test("F1: the superuser's event trigger reads no table of the owner's (setting replaced by a view calling the owner's code)", async () => {
    await lake.su.query(`ALTER ROLE ${lake.owner} NOSUPERUSER`); // (when the previous test failed)
    await plantEscalation();
    await owner.query("ALTER TABLE ducklake_guard.setting RENAME TO setting_real");
    await owner.query("CREATE VIEW ducklake_guard.setting AS SELECT * FROM ducklake_guard.setting_real WHERE ducklake_guard.pwn()");
    const wc = await lake.connectAs(lake.writer);
    await wc.query(`CREATE TABLE ${CATALOG}.ducklake_inlined_data_99_1 (row_id bigint)`);
    expect(await ownerIsSuperuser()).toBe(false);
    // And the trigger still put the row filter on (the catalog schema is written into its body).
    const t = await q(
      lake.su,
      `SELECT c.relrowsecurity, (SELECT array_agg(p.polname::text ORDER BY p.polname) FROM pg_policy p WHERE p.polrelid = c.oid) AS pols
         FROM pg_class c WHERE c.oid = $1::regclass`,
      [`${CATALOG}.ducklake_inlined_data_99_1`],
    );
    expect(t).toEqual([{ relrowsecurity: true, pols: ["ducklake_guard_others", "ducklake_guard_rows"] }]);
    // Re-running 007 as a superuser refuses to read the replaced setting (and the owner stays what it was).
    await expect(lake.su.query(MIGRATION_007)).rejects.toThrow(/must be plain tables owned by the owner of schema ducklake_guard/);
    await lake.su.query("ROLLBACK");
    expect(await ownerIsSuperuser()).toBe(false);
    // So does the next migration (the same check at its top).
    await expect(lake.su.query(MIGRATION_008)).rejects.toThrow(/must be plain tables owned by the owner of schema ducklake_guard/);
    await lake.su.query("ROLLBACK");
    expect(await ownerIsSuperuser()).toBe(false);
  });
});
