// Partition grants on inlined tables without a superuser (issues 16 + 17), with the real DuckDB client: the external
// target's shape — the guard installed by a CREATEROLE/CREATEDB admin as the catalog owner, a writer without BYPASSRLS
// that owns the inlined tables DuckLake creates. Only a table's owner (or a superuser) may put the row filter (RLS +
// policy) on it. With GRANT <writer> TO <owner> the guard, running as the owner, does it at COMMIT (the commit
// trigger's grant sync), so a partition reader reads exactly its rows of an inlined table the writer created after
// the grant: no resync, no superuser. Without that membership the reader's scan fails (fail closed) and the install,
// enforcement_drift and status name the fix.
import { Client } from "pg";
import { grantRows, revokeRows } from "../../postgres/guardClient";
import { rows } from "../support/duckdb";
import {
  failedChecks as problems,
  haveDuckDBExtensions,
  managedLake,
  ManagedLake,
  managedStatusInfo,
  MANAGED_CATALOG,
} from "../fixtures/managedLake";
import { catalogStatus } from "../../cli/status";
import { quoteIdent } from "../../model/names";

const maybe = haveDuckDBExtensions() ? describe : describe.skip;
/** The owner's hr.sales, partitioned by region (made before the guard is installed). */
const createSales = (m: ManagedLake) =>
  m.run(
    m.owner,
    "CREATE SCHEMA lake.hr; CREATE TABLE lake.hr.sales (id INTEGER, region VARCHAR)",
    "ALTER TABLE lake.hr.sales SET PARTITIONED BY (region)",
  );

const EMEA = [{ column: "region", transform: "identity" as const, values: ["emea"] }];

maybe("partition grants on the writer's inlined tables without a superuser", () => {
  let m: ManagedLake;
  let reader: string;
  let writerPg: Client;
  const notices: string[] = [];
  const q = async (c: Client, sql: string, params: unknown[] = []) => (await c.query(sql, params)).rows;
  const write = (...sql: string[]) => m.run(m.writer, ...sql);
  /** The reader's ids of hr.sales through DuckDB (READ_ONLY attach as the reader). */
  const readerIds = async (): Promise<number[]> =>
    (await m.rows(reader, "SELECT id FROM lake.hr.sales ORDER BY id")).map((r) => Number(r[0]));
  /** What the reader must see: the owner's ids of hr.sales in region emea. */
  const emeaIds = async (): Promise<number[]> =>
    (await m.rows(m.owner, "SELECT id FROM lake.hr.sales WHERE region = 'emea' ORDER BY id")).map((r) => Number(r[0]));
  /** hr.sales's newest inlined data table, with its owner, whether it is filtered and whether the reader may SELECT it. */
  const newestInlined = async () =>
    (
      await q(
        m.admin,
        `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner, c.relrowsecurity AS rls,
                has_table_privilege($1, c.oid, 'SELECT') AS reader_select
           FROM ${MANAGED_CATALOG}.ducklake_inlined_data_tables i JOIN ${MANAGED_CATALOG}.ducklake_table t USING (table_id)
           JOIN pg_class c ON c.relname = i.table_name AND c.relnamespace = '${MANAGED_CATALOG}'::regnamespace
          WHERE t.table_name = 'sales' AND t.end_snapshot IS NULL ORDER BY i.schema_version DESC LIMIT 1`,
        [reader],
      )
    )[0];
  const info = () => managedStatusInfo(m, [reader]);

  beforeAll(async () => {
    // Without the membership first: the shape before `pulumi up` adds it (or an admin who left it out).
    m = await managedLake("mg_pinl", { ownerInWriter: false });
    await createSales(m);
    m.admin.on("notice", (n) => notices.push(n.message ?? ""));
    await m.install();
    reader = await m.newRole("mg_preader");
    await grantRows(m.admin, { reader, schema: "hr", table: "sales", rows: EMEA });
    writerPg = await m.connectAs(m.writer);
    const ev = await q(m.admin, "SELECT count(*)::int AS n FROM pg_event_trigger WHERE evtname LIKE 'ducklake_guard%'");
    expect(ev[0].n).toBe(0); // no superuser anywhere: no event trigger
  }, 120000);
  afterAll(async () => {
    await m?.close();
  });

  test("without GRANT <writer> TO <owner>: the install warns, the writer's new inlined table stays closed to the partition reader, drift and status name the fix", async () => {
    expect(notices.join("\n")).toContain(
      `the catalog owner ${m.owner} is not a member of the writer ${m.writer}: new inlined tables of the writer get no row filter`,
    );
    expect(notices.join("\n")).toContain(`GRANT ${m.writer} TO ${m.owner};`);
    expect((await q(m.admin, "SELECT ducklake_guard.inlined_filter_mechanism() AS m"))[0].m).toBe("none");
    // The owner's CREATE TABLE made the first inlined table (owned by the owner, filtered by the guard); a new column
    // makes DuckLake create a new one in the writer's commit, owned by the writer.
    await write(
      "ALTER TABLE lake.hr.sales ADD COLUMN note VARCHAR",
      "INSERT INTO lake.hr.sales VALUES (1, 'emea', 'a'), (2, 'apac', 'b'), (3, 'emea', 'c')",
    );
    const t = await newestInlined();
    expect(t).toMatchObject({ owner: m.writer, rls: false, reader_select: false });
    // Fail closed: PostgreSQL refuses the reader's SELECT; DuckDB 1.5.5's scan fails too (it reports an INTERNAL Error,
    // "Attempted to access index 0 within vector of size 0", rather than PostgreSQL's message) instead of showing rows.
    const rc = await m.connectAs(reader);
    await expect(rc.query(`SELECT id FROM ${MANAGED_CATALOG}.${t.relname}`)).rejects.toThrow(/permission denied/);
    await expect(readerIds()).rejects.toThrow();
    expect(await q(m.admin, "SELECT area, reader, detail FROM ducklake_guard.enforcement_drift()")).toEqual([
      {
        area: "inlined",
        reader,
        detail:
          `cannot read ${MANAGED_CATALOG}.${t.relname} (inlined rows of table id ${/_data_(\d+)_/.exec(t.relname)![1]}, owned by ${m.writer}): ` +
          `it has no row filter; only its owner or a superuser can put it on: make the catalog owner a member of ${m.writer} ` +
          `(run \`pulumi up\`, or as the admin: GRANT ${m.writer} TO ${m.owner};), then as the catalog owner run: SELECT ducklake_guard.resync();`,
      },
    ]);
    const found = problems(await catalogStatus(info()));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          `row filter on new inlined tables: nobody puts it on: partition readers cannot read the inlined tables ${m.writer} creates (fail closed). ` +
            `Repair: run \`pulumi up\` (it makes the catalog owner a member of the writer), or as the admin: GRANT ${quoteIdent(m.writer)} TO ${quoteIdent(m.owner)}; then`,
        ),
        expect.stringContaining(`ACL enforced for ${reader}: cannot read ${MANAGED_CATALOG}.${t.relname}`),
      ]),
    );
  }, 60000);

  test("the repair as printed (GRANT as the admin, resync as the owner) lets the reader read exactly its rows", async () => {
    await m.admin.query(`GRANT ${m.writer} TO ${m.owner}`);
    // What the guard provider's diff reads: with the membership the owner can filter the table now, so `pulumi up` updates
    // the guard (protect_all, whose resync filters and grants it).
    const t = (await newestInlined()).relname;
    expect(await q(m.admin, "SELECT table_name, problem FROM ducklake_guard.unprotected_catalog_tables()")).toEqual([
      { table_name: t, problem: "no row filter: partition readers cannot read it" },
    ]);
    await m.admin.query("SELECT ducklake_guard.resync()");
    expect(await q(m.admin, "SELECT * FROM ducklake_guard.unprotected_catalog_tables()")).toEqual([]);
    expect(await newestInlined()).toMatchObject({ owner: m.writer, rls: true, reader_select: true });
    expect(await readerIds()).toEqual([1, 3]);
    expect(await emeaIds()).toEqual([1, 3]);
    expect(await q(m.admin, "SELECT * FROM ducklake_guard.enforcement_drift()")).toEqual([]);
    expect(problems(await catalogStatus(info()))).toEqual([]);
  }, 60000);

  test("an inlined table the writer creates after the grant is filtered at COMMIT: the reader reads exactly its rows, no resync, no superuser", async () => {
    const before = (await newestInlined()).relname;
    // A new column makes DuckLake create a new inlined data table (a new schema version), owned by the writer.
    await write(
      "ALTER TABLE lake.hr.sales ADD COLUMN code INTEGER",
      "INSERT INTO lake.hr.sales VALUES (4, 'emea', 'x', 7), (5, 'apac', 'y', 8)",
    );
    const t = await newestInlined();
    expect(t.relname).not.toBe(before);
    expect(t).toMatchObject({ owner: m.writer, rls: true, reader_select: true });
    expect(await readerIds()).toEqual(await emeaIds());
    expect(await readerIds()).toEqual([1, 3, 4]);
    // In PostgreSQL too: the reader's own SELECT of the new inlined table returns only its partition's rows.
    const rc = await m.connectAs(reader);
    expect((await q(rc, `SELECT id FROM ${MANAGED_CATALOG}.${t.relname} ORDER BY id`)).map((r) => Number(r.id))).toEqual([4]);
    // The writer (it owns the table) and the owner (not a reader) keep every row.
    expect((await q(writerPg, `SELECT id FROM ${MANAGED_CATALOG}.${t.relname} ORDER BY id`)).map((r) => Number(r.id))).toEqual([4, 5]);
    await m.admin.query(`SET ROLE ${m.owner}`);
    expect((await q(m.admin, `SELECT id FROM ${MANAGED_CATALOG}.${t.relname} ORDER BY id`)).map((r) => Number(r.id))).toEqual([4, 5]);
    await m.admin.query("RESET ROLE");
    expect(await q(m.admin, "SELECT * FROM ducklake_guard.enforcement_drift()")).toEqual([]);
    expect((await q(m.admin, "SELECT ducklake_guard.inlined_filter_mechanism() AS m"))[0].m).toBe("owner_member_of_writer");
  }, 60000);

  test("the membership gives nobody a reader's way around the guard: the owner and the writer stay refused as readers", async () => {
    expect((await q(m.admin, "SELECT pg_has_role($1, $2, 'MEMBER') AS w_in_o", [m.writer, m.owner]))[0].w_in_o).toBe(false);
    for (const role of [m.owner, m.writer])
      await expect(grantRows(m.admin, { reader: role, schema: "hr", table: "sales", rows: EMEA })).rejects.toThrow(
        /cannot be a reader|member of it/,
      );
  });

  test("revoking the partition grant removes SELECT on every inlined table, also where the owner lacks a grant option (PostgreSQL 17's MAINTAIN)", async () => {
    // With the membership the owner may act as the tables' owner, and PostgreSQL records a GRANT/REVOKE under the first role
    // holding the needed grant options. On PostgreSQL 17 the writer's default privileges give the owner no MAINTAIN grant
    // option, so a REVOKE ALL would run as the writer and leave the owner's SELECT grant: emulated here on one table.
    const t = (await newestInlined()).relname;
    await writerPg.query(`REVOKE GRANT OPTION FOR TRIGGER ON ${MANAGED_CATALOG}.${t} FROM ${m.owner}`);
    expect(await revokeRows(m.admin, { reader, schema: "hr", table: "sales", rows: EMEA })).toBe(true);
    const left = await q(
      m.admin,
      `SELECT c.relname FROM pg_class c WHERE c.relnamespace = '${MANAGED_CATALOG}'::regnamespace AND c.relname ~ '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$'
          AND has_table_privilege($1, c.oid, 'SELECT')`,
      [reader],
    );
    expect(left).toEqual([]);
    expect(await q(m.admin, "SELECT * FROM ducklake_guard.enforcement_drift()")).toEqual([]);
  });

  test("inlined_tables(ids) finds exactly the tables of those ids (what the regex over all of pg_class found), by pg_class's name index", async () => {
    const names = [
      "ducklake_inlined_data_900005_1",
      "ducklake_inlined_data_900005_12",
      "ducklake_inlined_data_9000055_1",
      "ducklake_inlined_delete_900005",
      "ducklake_inlined_delete_9000055",
      "ducklake_inlined_data_900005_x",
      "ducklake_inlined_data_900005",
      "ducklake_inlined_delete_900005_1",
    ];
    for (const n of names) await writerPg.query(`CREATE TABLE ${MANAGED_CATALOG}.${quoteIdent(n)} (i integer)`);
    try {
      await m.admin.query(`SET ROLE ${quoteIdent(m.owner)}`);
      const byId = (
        await q(m.admin, "SELECT relname, table_id FROM ducklake_guard.inlined_tables(ARRAY[900005, NULL, 900005]) ORDER BY 1")
      ).map((r) => `${r.relname}:${r.table_id}`);
      const byScan = (
        await q(m.admin, "SELECT relname, table_id FROM ducklake_guard.inlined_tables(NULL) WHERE table_id = 900005 ORDER BY 1")
      ).map((r) => `${r.relname}:${r.table_id}`);
      expect(byId).toEqual([
        "ducklake_inlined_data_900005_1:900005",
        "ducklake_inlined_data_900005_12:900005",
        "ducklake_inlined_delete_900005:900005",
      ]);
      expect(byScan).toEqual(byId);
      // The lookup inlined_tables(ids) runs per id: a range scan of pg_class's (relname, relnamespace) index.
      const inner = (
        await q(
          m.admin,
          `EXPLAIN SELECT c.oid FROM unnest(ARRAY[900005::bigint]) t(id) CROSS JOIN LATERAL (
             SELECT c1.oid FROM pg_class c1 WHERE c1.relnamespace = '${MANAGED_CATALOG}'::regnamespace
               AND c1.relname >= ('ducklake_inlined_data_' || t.id || '_')::name AND c1.relname < ('ducklake_inlined_data_' || t.id || '\`')::name) c`,
        )
      ).map((r) => String(r["QUERY PLAN"]));
      expect(inner.join("\n")).toMatch(/pg_class_relname_nsp_index/);
    } finally {
      await m.admin.query("RESET ROLE");
      for (const n of names) await writerPg.query(`DROP TABLE ${MANAGED_CATALOG}.${quoteIdent(n)}`);
    }
  });
});

maybe("partition grants on inlined tables: the membership in place from the start (what `pulumi up` makes)", () => {
  let m: ManagedLake;
  const notices: string[] = [];
  beforeAll(async () => {
    m = await managedLake("mg_pinl2");
    await createSales(m);
    m.admin.on("notice", (n) => notices.push(n.message ?? ""));
    await m.install();
  }, 120000);
  afterAll(async () => {
    await m?.close();
  });

  test("no install warning; the reader reads exactly its rows of the writer's new inlined tables, no resync, no superuser", async () => {
    expect(notices.join("\n")).not.toContain("new inlined tables of the writer get no row filter");
    expect((await m.admin.query("SELECT value FROM ducklake_guard.setting WHERE key = 'inlined_row_filter'")).rows).toEqual([
      { value: "owner_member_of_writer" },
    ]);
    const reader = await m.newRole("mg_p2reader");
    await grantRows(m.admin, { reader, schema: "hr", table: "sales", rows: EMEA });
    const w = await m.duck(m.writer);
    await w.run("ALTER TABLE lake.hr.sales ADD COLUMN note VARCHAR");
    await w.run("INSERT INTO lake.hr.sales VALUES (1, 'emea', 'a'), (2, 'apac', 'b'), (3, 'emea', 'c')");
    w.closeSync();
    const owners = await m.admin.query(
      `SELECT DISTINCT pg_get_userbyid(relowner) AS owner, relrowsecurity AS rls FROM pg_class
        WHERE relnamespace = '${MANAGED_CATALOG}'::regnamespace AND relname ~ '^ducklake_inlined_data_[0-9]+_[0-9]+$' AND relowner = $1::regrole`,
      [m.writer],
    );
    expect(owners.rows).toEqual([{ owner: m.writer, rls: true }]);
    const r = await m.duck(reader, { readOnly: true });
    expect((await rows(r, "SELECT id FROM lake.hr.sales ORDER BY id")).map((x) => Number(x[0]))).toEqual([1, 3]);
    r.closeSync();
    expect((await m.admin.query("SELECT * FROM ducklake_guard.enforcement_drift()")).rows).toEqual([]);
  }, 60000);
});
