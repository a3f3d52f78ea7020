// The roles the Catalog component creates, together with the catalog guard, on a real PostgreSQL: the
// catalog is owned by a non-superuser owner (as in prod), the guard is installed by a superuser, and the
// BYPASSRLS writer creates inlined-data tables, which granted readers must be able to read at once
// (and others must not), as DuckLake writes them whenever a writer inserts a few rows.
import { Client } from "pg";
import { randomBytes } from "crypto";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { pgAdmin, PgConnection } from "../support/services";
import { createDuckLakeCatalog, buildSampleLake, SampleLake } from "../fixtures/ducklakeCatalog";
import { grantRead, installGuard, revokeRead } from "../../postgres/guardClient";
import { quoteIdent } from "../../model/names";

const sfx = randomBytes(4).toString("hex");
const owner = `t_owner_${sfx}`,
  writer = `t_writer_${sfx}`,
  granted = `t_granted_${sfx}`,
  other = `t_other_${sfx}`;
const PW = `pw-${sfx}`;
let conn: PgConnection;
let lake: SampleLake;

const as = async <T>(role: string, fn: (c: Client) => Promise<T>) => withClient({ ...conn, user: role, password: PW }, fn);

beforeAll(async () => {
  conn = await createTestDatabase("writer_guard");
  await withClient(conn, async (su) => {
    for (const [role, extra] of [
      [owner, ""],
      [writer, " BYPASSRLS"],
      [granted, ""],
      [other, ""],
    ])
      await su.query(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD '${PW}'${extra}`);
    await su.query(`ALTER DATABASE ${quoteIdent(conn.database)} OWNER TO ${quoteIdent(owner)}`);
    await su.query(`CREATE SCHEMA lake AUTHORIZATION ${quoteIdent(owner)}`);
    // What components/catalog.ts grants: the writer reads/writes the owner's tables; the owner maintains the writer's.
    await su.query(`GRANT USAGE, CREATE ON SCHEMA lake TO ${quoteIdent(writer)}`);
    await su.query(
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(owner)} IN SCHEMA lake GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${quoteIdent(writer)}`,
    );
    await su.query(
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(writer)} IN SCHEMA lake GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLES TO ${quoteIdent(owner)} WITH GRANT OPTION`,
    );
    // DuckLake's first ATTACH (as the owner) creates the catalog tables.
    await su.query(`SET ROLE ${quoteIdent(owner)}`);
    lake = await buildSampleLake(await createDuckLakeCatalog(su, { catalogSchema: "lake" }));
    await su.query("RESET ROLE");
    await installGuard(su, { catalogSchema: "lake", catalogOwner: owner });
    await grantRead(su, { reader: granted, schema: "sales", table: "orders" });
  });
});

afterAll(async () => {
  await dropTestDatabase(conn);
  await withClient(pgAdmin(), async (a) => {
    for (const r of [owner, writer, granted, other]) await a.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
  });
});

describe("the BYPASSRLS writer and the catalog guard", () => {
  it("a new inlined-data table created by the writer is readable by exactly the readers granted its table", async () => {
    const orders = lake.tables["sales.orders"];
    const salaries = lake.tables["hr.salaries"];
    await as(writer, async (w) => {
      await w.query(
        `CREATE TABLE lake.ducklake_inlined_data_${orders}_901 (row_id bigint, begin_snapshot bigint, end_snapshot bigint, v text)`,
      );
      await w.query(`INSERT INTO lake.ducklake_inlined_data_${orders}_901 VALUES (1, 1, NULL, 'new order')`);
      await w.query(
        `CREATE TABLE lake.ducklake_inlined_data_${salaries}_901 (row_id bigint, begin_snapshot bigint, end_snapshot bigint, v text)`,
      );
      await w.query(`INSERT INTO lake.ducklake_inlined_data_${salaries}_901 VALUES (1, 1, NULL, 'ceo 999999')`);
    });
    expect(await as(granted, async (r) => (await r.query(`SELECT v FROM lake.ducklake_inlined_data_${orders}_901`)).rows)).toEqual([
      { v: "new order" },
    ]);
    await expect(as(granted, (r) => r.query(`SELECT v FROM lake.ducklake_inlined_data_${salaries}_901`))).rejects.toThrow(
      /permission denied/,
    );
    await expect(as(other, (r) => r.query(`SELECT v FROM lake.ducklake_inlined_data_${orders}_901`))).rejects.toThrow(/permission denied/);
    // Revoking the grant takes the writer's table away too; the owner keeps its own privileges on it.
    await withClient(conn, (su) => revokeRead(su, { reader: granted, schema: "sales", table: "orders" }));
    await expect(as(granted, (r) => r.query(`SELECT v FROM lake.ducklake_inlined_data_${orders}_901`))).rejects.toThrow(
      /permission denied/,
    );
    expect(
      await as(owner, async (o) => (await o.query(`SELECT count(*)::int AS n FROM lake.ducklake_inlined_data_${orders}_901`)).rows),
    ).toEqual([{ n: 1 }]);
    await withClient(conn, (su) => grantRead(su, { reader: granted, schema: "sales", table: "orders" }));
  });

  it("the writer sees every catalog row despite row-level security, readers only their grants", async () => {
    const all = await as(writer, async (w) => (await w.query("SELECT count(*)::int AS n FROM lake.ducklake_table")).rows[0].n);
    const seen = await as(
      granted,
      async (r) => (await r.query("SELECT table_name FROM lake.ducklake_table WHERE end_snapshot IS NULL")).rows,
    );
    expect(all).toBeGreaterThan(5);
    expect(seen).toEqual([{ table_name: "orders" }]);
  });
});
