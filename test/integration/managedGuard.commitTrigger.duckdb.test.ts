// New inlined tables granted at COMMIT without an event trigger and without resync() (issue 17): the guard's
// deferred trigger on ducklake_snapshot. The real DuckDB writer (no BYPASSRLS) writes; a reader of schema
// `sales` (granted) and a reader of hr.salaries only (not granted anything in sales) check each new table.
import { Client } from "pg";
import { grantRead, resyncGuard } from "../../postgres/guardClient";
import { rows } from "../support/duckdb";
import { haveDuckDBExtensions, managedLake, ManagedLake } from "../fixtures/managedLake";
import { quoteIdent } from "../../model/names";

const maybe = haveDuckDBExtensions() ? describe : describe.skip;

maybe("the commit trigger grants new inlined tables to exactly the right readers (no superuser, no resync)", () => {
  let m: ManagedLake;
  let rSales: string, rHr: string;
  let seen: Set<string>;
  /** Inlined tables created since the last call. */
  const newInlinedTables = async (): Promise<string[]> => {
    const { rows: r } = await m.admin.query(
      "SELECT relname FROM pg_class WHERE relnamespace = 'lake'::regnamespace AND relname ~ '^ducklake_inlined_(data|delete)_' ORDER BY 1",
    );
    const fresh = r.map((x) => x.relname as string).filter((n) => !seen.has(n));
    fresh.forEach((n) => seen.add(n));
    return fresh;
  };
  const canSelect = async (role: string, table: string) =>
    (await m.admin.query("SELECT has_table_privilege($1, format('lake.%I', $2::text), 'SELECT') AS ok", [role, table])).rows[0].ok;
  const write = (...sql: string[]) => m.run(m.writer, ...sql);
  const readAs = (role: string, sql: string) => m.rows(role, sql);

  beforeAll(async () => {
    m = await managedLake("mg_commit");
    await m.run(
      m.owner,
      "CREATE SCHEMA lake.sales; CREATE SCHEMA lake.hr",
      "CREATE TABLE lake.sales.customers (id INTEGER); CREATE TABLE lake.hr.salaries (id INTEGER)",
    );
    await m.install();
    rSales = await m.newRole("mg_csales");
    rHr = await m.newRole("mg_chr");
    await grantRead(m.admin, { reader: rSales, schema: "sales" });
    await grantRead(m.admin, { reader: rHr, schema: "hr", table: "salaries" });
    const { rows: r } = await m.admin.query(
      "SELECT relname FROM pg_class WHERE relnamespace = 'lake'::regnamespace AND relname ~ '^ducklake_inlined_'",
    );
    seen = new Set(r.map((x) => x.relname));
    const ev = await m.admin.query("SELECT count(*)::int AS n FROM pg_event_trigger WHERE evtname = 'ducklake_guard_create_table'");
    expect(ev.rows[0].n).toBe(0); // no event trigger could be made without superuser: only the commit trigger acts
  }, 120000);
  afterAll(async () => {
    await m?.close();
  });

  test("a new table in a granted schema: its inlined data table is granted at commit", async () => {
    await write("CREATE TABLE lake.sales.returns (id INTEGER)", "INSERT INTO lake.sales.returns VALUES (9)");
    const fresh = await newInlinedTables();
    expect(fresh).toEqual([expect.stringMatching(/^ducklake_inlined_data_\d+_\d+$/)]);
    expect(await canSelect(rSales, fresh[0])).toBe(true);
    expect(await canSelect(rHr, fresh[0])).toBe(false);
    expect(await readAs(rSales, "SELECT id FROM lake.sales.returns")).toEqual([[9]]);
  });

  test("ALTER TABLE … ADD COLUMN (a new inlined version of an existing table) is granted at commit", async () => {
    await write("INSERT INTO lake.sales.customers VALUES (1)");
    await newInlinedTables();
    await write("ALTER TABLE lake.sales.customers ADD COLUMN city VARCHAR", "INSERT INTO lake.sales.customers VALUES (2, 'Oslo')");
    const fresh = await newInlinedTables();
    expect(fresh).toEqual([expect.stringMatching(/^ducklake_inlined_data_\d+_\d+$/)]);
    expect(await canSelect(rSales, fresh[0])).toBe(true);
    expect(await canSelect(rHr, fresh[0])).toBe(false);
    expect(await readAs(rSales, "SELECT id, city FROM lake.sales.customers ORDER BY id")).toEqual([
      [1, null],
      [2, "Oslo"],
    ]);
  });

  test("an inlined delete table is granted at commit: the reader's count reflects the deletion", async () => {
    await write("CREATE TABLE lake.sales.big AS SELECT range AS id FROM range(5000)");
    await newInlinedTables();
    await write("DELETE FROM lake.sales.big WHERE id = 3");
    const fresh = await newInlinedTables();
    expect(fresh).toEqual([expect.stringMatching(/^ducklake_inlined_delete_\d+$/)]);
    expect(await canSelect(rSales, fresh[0])).toBe(true);
    expect(await canSelect(rHr, fresh[0])).toBe(false);
    expect(await readAs(rSales, "SELECT count(*)::INTEGER FROM lake.sales.big")).toEqual([[4999]]);
  });

  test("a table in a schema the reader was not granted stays ungranted", async () => {
    await write("CREATE TABLE lake.hr.bonus (id INTEGER)", "INSERT INTO lake.hr.bonus VALUES (1)");
    const fresh = await newInlinedTables();
    expect(fresh).toHaveLength(1);
    expect(await canSelect(rSales, fresh[0])).toBe(false);
    expect(await canSelect(rHr, fresh[0])).toBe(false); // hr.salaries only
    expect(await readAs(rHr, "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = 'lake'")).toEqual([
      ["hr.salaries"],
    ]);
  });

  test("an error inside the trigger does not fail the writer's commit; the table stays unreadable (fail closed)", async () => {
    // The owner loses its grant option on tables the writer creates: sync_inlined_grants' GRANT fails.
    const dp = (verb: "REVOKE" | "GRANT") =>
      m.admin.query(
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(m.writer)} IN SCHEMA lake ${verb} ${verb === "GRANT" ? "ALL ON TABLES TO" : "ALL ON TABLES FROM"} ${quoteIdent(m.owner)}${verb === "GRANT" ? " WITH GRANT OPTION" : ""}`,
      );
    // …and its membership in the writer (GRANT <writer> TO <owner>), through which it could still grant as the tables' owner.
    await dp("REVOKE");
    await m.admin.query(`REVOKE ${quoteIdent(m.writer)} FROM ${quoteIdent(m.owner)}`);
    try {
      await write("CREATE TABLE lake.sales.late (id INTEGER)", "INSERT INTO lake.sales.late VALUES (7)");
    } finally {
      await dp("GRANT");
    }
    const fresh = await newInlinedTables();
    expect(fresh).toHaveLength(1);
    expect(await canSelect(rSales, fresh[0])).toBe(false);
    // The commit held: the writer reads its row.
    const w = await m.duck(m.writer);
    expect(await rows(w, "SELECT id FROM lake.sales.late")).toEqual([[7]]);
    w.closeSync();
    // The warning names the repair (the same failure, fired early with SET CONSTRAINTS … IMMEDIATE and rolled back).
    const tableId = /^ducklake_inlined_data_(\d+)_/.exec(fresh[0])![1];
    const c: Client = await m.connectAs(m.writer);
    const warnings: string[] = [];
    c.on("notice", (n) => warnings.push(n.message ?? ""));
    await c.query("BEGIN");
    await c.query(
      "INSERT INTO lake.ducklake_snapshot SELECT max(snapshot_id) + 1, now(), max(schema_version), max(next_catalog_id), max(next_file_id) FROM lake.ducklake_snapshot",
    );
    await c.query(
      `CREATE TABLE lake.${quoteIdent(`ducklake_inlined_delete_${tableId}`)} (file_id BIGINT, row_id BIGINT, begin_snapshot BIGINT)`,
    );
    await c.query(`REVOKE ALL ON lake.${quoteIdent(`ducklake_inlined_delete_${tableId}`)} FROM ${quoteIdent(m.owner)}`);
    await c.query("SET CONSTRAINTS ALL IMMEDIATE");
    await c.query("ROLLBACK");
    expect(warnings.join("\n")).toMatch(
      new RegExp(
        `ducklake_guard could not grant the inlined tables of DuckLake table ids \\{${tableId}\\}: permission denied.*resync\\(\\)`,
      ),
    );
    await m.admin.query(`SET ROLE ${quoteIdent(m.writer)}`);
    await m.admin.query(`GRANT ALL ON lake.${quoteIdent(fresh[0])} TO ${quoteIdent(m.owner)} WITH GRANT OPTION`);
    await m.admin.query("RESET ROLE");
    await resyncGuard(m.admin);
    expect(await canSelect(rSales, fresh[0])).toBe(true);
    expect(await readAs(rSales, "SELECT id FROM lake.sales.late")).toEqual([[7]]);
    await m.admin.query(`GRANT ${quoteIdent(m.writer)} TO ${quoteIdent(m.owner)}`);
  });

  test("control: with the commit trigger disabled the same write leaves the new table ungranted (no event trigger here)", async () => {
    await m.admin.query("ALTER TABLE lake.ducklake_snapshot DISABLE TRIGGER ducklake_guard_snapshot_at_commit");
    let fresh: string[];
    try {
      await write("CREATE TABLE lake.sales.untriggered (id INTEGER)", "INSERT INTO lake.sales.untriggered VALUES (3)");
      fresh = await newInlinedTables();
      expect(fresh).toHaveLength(1);
      expect(await canSelect(rSales, fresh[0])).toBe(false);
    } finally {
      await m.admin.query("SELECT ducklake_guard.protect_all()"); // re-attaches (and enables) it, and resyncs
    }
    const { rows: r } = await m.admin.query("SELECT tgenabled FROM pg_trigger WHERE tgname = 'ducklake_guard_snapshot_at_commit'");
    expect(r).toEqual([{ tgenabled: "A" }]);
    expect(await canSelect(rSales, fresh[0])).toBe(true);
  });
});
