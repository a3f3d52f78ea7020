// Partition grants against the tables' current partition specs (model/partitionGrants.ts): each refusal
// with its exact message, the values each DuckDB type can take, and what passes.
import { checkAccess } from "../../model/grants";
import { checkPartitionGrants, identityValueProblem, specDdl, TablePartitionSpec } from "../../model/partitionGrants";

const ctx = { ownerProjectId: "1001", dataPrefix: "data/" };
const grantsOf = (...grants: any[]) => {
  const c = checkAccess(
    { readers: [{ name: "hr_partner", principal: { projectId: "2002", accessKey: "P2002000000000000001" } }], grants },
    ctx,
  );
  if (!c.access) throw new Error(c.errors.join("\n"));
  return c.access.grants;
};
const key = (index: number, column: string, type: string, transform = "identity") => ({
  index,
  columnId: index + 10,
  column,
  type,
  transform,
});
const salaries: TablePartitionSpec = {
  tableId: 1,
  schema: "hr",
  table: "salaries",
  keys: [key(0, "ts", "timestamp", "year"), key(1, "ts", "timestamp", "month")],
};
const tables: TablePartitionSpec[] = [
  salaries,
  { tableId: 2, schema: "hr", table: "people", keys: [] },
  {
    tableId: 3,
    schema: "sales",
    table: "orders",
    keys: [
      key(0, "region", "varchar"),
      key(1, "n", "int16"),
      key(2, "ok", "boolean"),
      key(3, "day", "date"),
      key(4, "amount", "decimal(10,2)"),
      key(5, "id", "uuid"),
      key(6, "at", "timestamptz", "year"),
      key(7, "f", "float64"),
      key(8, "tags", "list"),
      key(9, "k", "int32", "year"),
      key(10, "b", "int64", "bucket(8)"),
      key(11, "u", "uint8"),
    ],
  },
];
const check = (rows: any, schema = "sales", table = "orders") =>
  checkPartitionGrants(grantsOf({ reader: "hr_partner", schema, table, rows }), { tables }).errors;

describe("checkPartitionGrants", () => {
  it("passes grants of keys the table has, with values its types can take", () => {
    expect(check({ "year(ts)": [2025, 2026], "month(ts)": [3] }, "hr", "salaries")).toEqual([]);
    expect(check({ "YEAR(TS)": [2026] }, "HR", "Salaries")).toEqual([]); // DuckDB names are case-insensitive
    expect(
      check({
        region: ["emea", "", null, "__HIVE_DEFAULT_PARTITION__"],
        n: [-32768, "32767"],
        ok: [true],
        day: ["2026-02-28"],
        amount: ["3.10", "-0.50", "12345678.00"],
        id: ["0b7e8a52-3c1d-4f6e-9a2b-5c4d3e2f1a0b"],
        u: [0, 255],
      }),
    ).toEqual([]);
  });

  it("refuses NULL of a VARCHAR key without the text that shares its folder (storage could not tell them apart)", () => {
    expect(check({ region: ["emea", null] })).toEqual([
      'partition grant sales.orders [region in (null, "emea")] of "hr_partner": null of VARCHAR column region is stored in folder region=__HIVE_DEFAULT_PARTITION__/, where rows whose value is the text "__HIVE_DEFAULT_PARTITION__" land too, so storage would open them as well: grant "__HIVE_DEFAULT_PARTITION__" with null (both), or leave null out',
    ]);
    expect(check({ n: [1, null] })).toEqual([]); // an integer key cannot hold that text
  });

  it("renders the spec as DDL in key order", () => {
    expect(specDdl(salaries)).toBe("PARTITIONED BY (year(ts), month(ts))");
    expect(specDdl({ keys: [key(1, "b c", "int64", "bucket(8)"), key(0, "r", "varchar")] })).toBe('PARTITIONED BY (r, bucket(8, "b c"))');
    expect(specDdl({ keys: [] })).toBe("not partitioned");
  });

  const P = (rows: string, target = "sales.orders") => `partition grant ${target} [${rows}] of "hr_partner"`;
  const ORDERS =
    "sales.orders is PARTITIONED BY (region, n, ok, day, amount, id, year(at), f, tags, year(k), bucket(8, b), u), which has no key";
  const cases: [string, any, string[], string?, string?][] = [
    [
      "missing table",
      { "year(ts)": [2026] },
      [
        `${P("year(ts) in (2026)", "hr.wages")}: table hr.wages does not exist in the catalog: fix the name, or create the table and partition it (ALTER TABLE hr.wages SET PARTITIONED BY (…)) first`,
      ],
      "hr",
      "wages",
    ],
    [
      "not partitioned",
      { region: ["x"] },
      [
        `${P('region in ("x")', "hr.people")}: hr.people is not partitioned, so none of its files holds only these rows: partition it first (ALTER TABLE hr.people SET PARTITIONED BY (…); only rows written afterwards are in partitions), or grant the whole table`,
      ],
      "hr",
      "people",
    ],
    [
      "wrong transform",
      { "day(ts)": [1], "year(ts)": [2026] },
      [
        `${P("day(ts) in (1) and year(ts) in (2026)", "hr.salaries")}: hr.salaries is PARTITIONED BY (year(ts), month(ts)), which has no key day(ts) (ts is partitioned by year(ts), month(ts), not day(ts)): grant one of its keys, or change the table's partitioning first (ALTER TABLE hr.salaries SET PARTITIONED BY (…))`,
      ],
      "hr",
      "salaries",
    ],
    [
      "no such column",
      { paid_at: ["2026"] },
      [
        `${P("paid_at in (2026)", "hr.salaries")}: hr.salaries is PARTITIONED BY (year(ts), month(ts)), which has no key paid_at: grant one of its keys, or change the table's partitioning first (ALTER TABLE hr.salaries SET PARTITIONED BY (…))`,
      ],
      "hr",
      "salaries",
    ],
    [
      "identity granted where the table has a transform",
      { ts: ["2026"] },
      [
        `${P("ts in (2026)", "hr.salaries")}: hr.salaries is PARTITIONED BY (year(ts), month(ts)), which has no key ts (ts is partitioned by year(ts), month(ts), not ts): grant one of its keys, or change the table's partitioning first (ALTER TABLE hr.salaries SET PARTITIONED BY (…))`,
      ],
      "hr",
      "salaries",
    ],
    [
      "bucket key granted as identity",
      { b: [1] },
      [
        `${P("b in (1)")}: ${ORDERS} b (b is partitioned by bucket(8, b), not b): grant one of its keys, or change the table's partitioning first (ALTER TABLE sales.orders SET PARTITIONED BY (…))`,
      ],
    ],
    [
      "TIMESTAMPTZ temporal",
      { "year(at)": [2026] },
      [
        `${P("year(at) in (2026)")}: year(at) partitions TIMESTAMPTZ column at, and which year a row lands in depends on the TimeZone of the session that wrote it (2026-01-01 02:00 UTC written from New York lands in year 2025), so the grant could not say which rows it gives: partition sales.orders by a TIMESTAMP or DATE column instead (e.g. ts_utc TIMESTAMP holding ts AT TIME ZONE 'UTC')`,
      ],
    ],
    [
      "temporal of an integer",
      { "year(k)": [2026] },
      [
        `${P("year(k) in (2026)")}: year(k) partitions INTEGER column k; year/month/day/hour partitions can only be granted on DATE and TIMESTAMP columns: grant by the column's values (k) or partition by a DATE/TIMESTAMP column`,
      ],
    ],
    [
      "DOUBLE identity",
      { f: ["1.5"] },
      [
        `${P('f in ("1.5")')}: f is a DOUBLE column, which cannot be a granted partition key: its text form is not canonical (1.5 and 1.50 are one DOUBLE but two partition texts); partition by an integer or DECIMAL column instead`,
      ],
    ],
    [
      "LIST identity",
      { tags: ["[0]"] },
      [
        `${P('tags in ("[0]")')}: tags is a LIST column, which cannot be a granted partition key: nested values cannot be granted; partition by a scalar column instead`,
      ],
    ],
    [
      "values a SMALLINT cannot take",
      { n: ["x", 40000, "007"] },
      [
        `${P('n in (40000, "007", "x")')}: 40000 is outside SMALLINT's range -32768..32767, so it can never be a partition of SMALLINT column n (sales.orders is PARTITIONED BY (region, n, ok, day, amount, id, year(at), f, tags, year(k), bucket(8, b), u)): fix the value`,
        `${P('n in (40000, "007", "x")')}: "007" is not a whole number as DuckDB writes it (digits, no leading zeros, no +), so it can never be a partition of SMALLINT column n (sales.orders is PARTITIONED BY (region, n, ok, day, amount, id, year(at), f, tags, year(k), bucket(8, b), u)): fix the value`,
        `${P('n in (40000, "007", "x")')}: "x" is not a whole number as DuckDB writes it (digits, no leading zeros, no +), so it can never be a partition of SMALLINT column n (sales.orders is PARTITIONED BY (region, n, ok, day, amount, id, year(at), f, tags, year(k), bucket(8, b), u)): fix the value`,
      ],
    ],
  ];
  it.each(cases.map((c) => [c[0], c]))("refuses: %s", (_n, c) => {
    const [, rows, errors, schema, table] = c as (typeof cases)[number];
    expect(check(rows, schema, table)).toEqual(errors);
  });

  it("when the catalog cannot be read, every partition grant is refused and says why", () => {
    expect(
      checkPartitionGrants(grantsOf({ reader: "hr_partner", schema: "hr", table: "salaries", rows: { "year(ts)": [2026] } }), {
        unavailable: "no DuckLake catalog yet",
      }).errors,
    ).toEqual([
      `${P("year(ts) in (2026)", "hr.salaries")}: cannot be checked, the catalog's partition specs could not be read (no DuckLake catalog yet); a partition grant needs its table to exist and be partitioned: create and partition hr.salaries first, then run the update again`,
    ]);
    // Grants of whole tables are not this check's business.
    expect(checkPartitionGrants(grantsOf({ reader: "hr_partner", schema: "hr", table: "salaries" }), { unavailable: "x" }).errors).toEqual(
      [],
    );
  });
});

describe("identityValueProblem: the partition text DuckDB writes per type", () => {
  const ok: [string, string][] = [
    ["int8", "-128"],
    ["uint64", "18446744073709551615"],
    ["int128", "-170141183460469231731687303715884105728"],
    ["boolean", "false"],
    ["date", "2024-02-29"],
    ["date", "0044-03-15"],
    ["decimal(10,2)", "0.50"],
    ["decimal(4,0)", "9999"],
    ["decimal(18,3)", "-1.000"],
    ["varchar", "a/b=c d%"],
    ["uuid", "00000000-0000-0000-0000-000000000000"],
  ];
  it.each(ok)("%s %s is a possible value", (type, v) => expect(identityValueProblem(type, v)).toBeUndefined());
  const bad: [string, string][] = [
    ["int8", "128"],
    ["uint8", "-1"],
    ["int32", "1.0"],
    ["int32", "+1"],
    ["boolean", "TRUE"],
    ["boolean", "1"],
    ["date", "2025-02-29"],
    ["date", "2026-1-5"],
    ["decimal(10,2)", "3.1"],
    ["decimal(10,2)", "3"],
    ["decimal(10,2)", "-0.00"],
    ["decimal(4,2)", "123.00"],
    ["decimal(4,0)", "1.0"],
    ["uuid", "0B7E8A52-3C1D-4F6E-9A2B-5C4D3E2F1A0B"],
    ["timestamp", "2026-01-01 00:00:00"],
    ["blob", "x"],
  ];
  it.each(bad)("%s %s is refused", (type, v) => expect(identityValueProblem(type, v)).toEqual(expect.any(String)));
});
