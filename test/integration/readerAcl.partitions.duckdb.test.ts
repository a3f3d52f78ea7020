// The ReaderAcl and UndeclaredAcl providers with partition grants against the real guard (sql/007) on a
// catalog made by DuckDB: create → list_grants shows the filters; diff ignores order; update adds and removes
// exactly the changed entries (the ACL log shows one change per changed entry); read (refresh) sees an entry
// granted by hand and the next update revokes it; delete revokes everything; the sweep revokes partition
// entries of undeclared roles.
import { Client } from "pg";
import { DuckDBConnection } from "@duckdb/node-api";
import { describeWithDuckDB } from "../support/duckdb";
import { partitionLake, PartitionLake } from "../support/partitionLake";
import { grantRows, listGrants, readAclLog } from "../../postgres/guardClient";
import { readerAclProvider, undeclaredAclProvider } from "../../providers/readerAcl";
import { CatalogConnection } from "../../model/connection";
import { describeRows } from "../../model/rowFilter";

describeWithDuckDB("ReaderAcl with partition grants (real guard, DuckDB-made catalog)", () => {
  let lake: PartitionLake;
  let w: DuckDBConnection;
  let conn: CatalogConnection;
  let reader: string;
  let log: Client;

  const y = (...values: string[]) => ({ column: "ts", transform: "year" as const, values });
  const region = (...values: string[]) => ({ column: "region", transform: "identity" as const, values });
  /** The reader's live ACL, each entry as a review shows it. */
  const live = async (r = reader) =>
    (await listGrants(lake.su, r)).map((g) => `${g.schema}.${g.table ?? "*"}${g.rows ? ` [${describeRows(g.rows)}]` : ""}`).sort();
  const inputs = (grants: unknown[]) => ({ connection: conn, reader, grants });
  const checked = async (grants: unknown[]) => {
    const res = await readerAclProvider.check!({}, inputs(grants));
    expect(res.failures ?? []).toEqual([]);
    return res.inputs as any;
  };
  const changesSince = async (id: number) =>
    (await readAclLog(log, { reader, limit: 1000 })).filter((e) => e.id > id).map((e) => `${e.action} ${e.schema}.${e.table ?? "*"}`);
  const lastLogId = async () => Math.max(0, ...(await readAclLog(log, { reader, limit: 1000 })).map((e) => e.id));

  beforeAll(async () => {
    lake = await partitionLake("acl_part");
    w = await lake.duck(lake.writer);
    await w.run("CREATE SCHEMA hr; CREATE TABLE hr.salaries (id INT, region VARCHAR, ts TIMESTAMP); CREATE TABLE hr.other (i INT)");
    await w.run("ALTER TABLE hr.salaries SET PARTITIONED BY (region, year(ts))");
    await w.run(
      "INSERT INTO hr.salaries SELECT i, ['emea', 'apac'][i % 2 + 1], TIMESTAMP '2025-06-01' + INTERVAL (i * 10) DAY FROM range(60) t(i)",
    );
    reader = await lake.newReader("acl_part_r");
    const c = lake.conn;
    // The superuser connection stands in for the owner's: the provider calls the same owner-only functions.
    conn = { host: c.host, port: c.port, database: c.database, user: c.user, password: c.password, sslmode: "disable" };
    log = lake.su;
  }, 180_000);
  afterAll(async () => {
    await lake?.close();
  });

  test("check canonicalises filters (any order is one input) and refuses malformed ones", async () => {
    const a = await checked([
      { schema: "hr", table: "salaries", rows: [y("2026", "2025"), region("emea")] },
      { schema: "hr", table: "other" },
    ]);
    const b = await checked([
      { schema: "hr", table: "other" },
      { schema: "hr", table: "salaries", rows: [region("emea"), y("2025", "2026", "2025")] },
    ]);
    expect(a.grants).toEqual(b.grants);
    expect(b.grants).toEqual([
      { schema: "hr", table: "other" },
      { schema: "hr", table: "salaries", rows: [region("emea"), y("2025", "2026")] },
    ]);
    const bad = await readerAclProvider.check!({}, inputs([{ schema: "hr", rows: [{ column: "", transform: "week", values: [] }] }]));
    expect((bad.failures ?? []).map((f) => `${f.property}: ${f.reason}`)).toEqual([
      "grants[0].rows: a partition grant (rows) needs a table",
      "grants[0].rows: rows[0].column is empty",
      'grants[0].rows: rows[0].transform "week" is not identity, year, month, day or hour',
      "grants[0].rows: rows[0].values must be a non-empty list of strings and nulls (canonical partition values)",
    ]);
  });

  test("create → update (exactly one entry removed, one added) → refresh sees a hand-made entry → update revokes it → delete", async () => {
    const first = await checked([
      { schema: "hr", table: "salaries", rows: [y("2026")] },
      { schema: "hr", table: "salaries", rows: [region("emea")] },
      { schema: "hr", table: "salaries", rows: [region("apac"), y("2025")] },
      { schema: "hr", table: "other" },
    ]);
    const created = await readerAclProvider.create(first);
    expect(await live()).toEqual([
      "hr.other",
      'hr.salaries [region in ("apac") and year(ts) in (2025)]',
      'hr.salaries [region in ("emea")]',
      "hr.salaries [year(ts) in (2026)]",
    ]);

    // The same list in another order: no diff.
    const reordered = await checked([
      { schema: "hr", table: "other" },
      { schema: "hr", table: "salaries", rows: [y("2025"), region("apac")] },
      { schema: "hr", table: "salaries", rows: [region("emea")] },
      { schema: "hr", table: "salaries", rows: [y("2026")] },
    ]);
    expect((await readerAclProvider.diff!(created.id, created.outs, reordered)).changes).toBe(false);

    // Remove {region emea}, add {region emea, year 2026}: exactly one revoke and one grant reach the ACL.
    const next = await checked([
      { schema: "hr", table: "other" },
      { schema: "hr", table: "salaries", rows: [y("2025"), region("apac")] },
      { schema: "hr", table: "salaries", rows: [region("emea"), y("2026")] },
      { schema: "hr", table: "salaries", rows: [y("2026")] },
    ]);
    expect((await readerAclProvider.diff!(created.id, created.outs, next)).changes).toBe(true);
    const before = await lastLogId();
    const updated = await readerAclProvider.update!(created.id, created.outs, next);
    expect((await changesSince(before)).sort()).toEqual(["grant hr.salaries", "revoke hr.salaries"]);
    expect(await live()).toEqual([
      "hr.other",
      'hr.salaries [region in ("apac") and year(ts) in (2025)]',
      'hr.salaries [region in ("emea") and year(ts) in (2026)]',
      "hr.salaries [year(ts) in (2026)]",
    ]);

    // A partition grant made by hand: refresh shows it, the next update revokes exactly it.
    await grantRows(lake.su, { reader, schema: "hr", table: "salaries", rows: [y("2025")] });
    const read = await readerAclProvider.read!(created.id, updated.outs);
    expect(read.props.grants).toContainEqual({ schema: "hr", table: "salaries", rows: [y("2025")] });
    expect((await readerAclProvider.diff!(created.id, read.props, next)).changes).toBe(true);
    const mark = await lastLogId();
    const repaired = await readerAclProvider.update!(created.id, read.props, next);
    expect(await changesSince(mark)).toEqual(["revoke hr.salaries"]);
    expect(await live()).not.toContain("hr.salaries [year(ts) in (2025)]");
    expect((await readerAclProvider.read!(created.id, repaired.outs)).props.grants).toEqual(next.grants);

    await readerAclProvider.delete!(created.id, repaired.outs);
    expect(await live()).toEqual([]);
  });

  test("the sweep revokes partition entries of roles that are not declared readers", async () => {
    const stranger = await lake.newReader("acl_part_x");
    await grantRows(lake.su, { reader: stranger, schema: "hr", table: "salaries", rows: [region("emea")] });
    const sweep = await undeclaredAclProvider.check!({}, { connection: conn, declaredReaders: [reader], entries: [] });
    const read = await undeclaredAclProvider.read!("undeclared", { ...(sweep.inputs as any), entries: [] });
    expect(read.props.entries).toContainEqual({ reader: stranger, schema: "hr", table: "salaries", rows: [region("emea")] });
    await undeclaredAclProvider.update!("undeclared", read.props, sweep.inputs);
    expect(await live(stranger)).toEqual([]);
  });
});
