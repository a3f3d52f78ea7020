import { splitStatements } from "../../cli/statements";
import { expectedTables, grantCovers } from "../../cli/expectedAccess";
import { compareRowCounts } from "../../cli/catalogConsistency";
import { formatTable } from "../../cli/table";
import { explainError, CliError } from "../../cli/errors";
import { LakeTable } from "../../cli/lakeInventory";
import { sqlFile } from "../../postgres/sqlFiles";
import { catalogQuery } from "../../postgres/sqlFiles";

describe("splitStatements", () => {
  it.each([
    ["SELECT 1;", ["SELECT 1"], ""],
    ["SELECT 1; SELECT 2", ["SELECT 1"], " SELECT 2"],
    ["SELECT ';';", ["SELECT ';'"], ""],
    ["SELECT 'it''s;';", ["SELECT 'it''s;'"], ""],
    ['SELECT 1 AS ";";', ['SELECT 1 AS ";"'], ""],
    ["SELECT $$a;b$$;", ["SELECT $$a;b$$"], ""],
    ["SELECT $x$a;b$x$;", ["SELECT $x$a;b$x$"], ""],
    ["-- a; comment\nSELECT 1;", ["-- a; comment\nSELECT 1"], ""],
    ["/* ; */ SELECT 1;", ["/* ; */ SELECT 1"], ""],
    ["SELECT 'open;", [], "SELECT 'open;"],
    [";;  ;", [], ""],
    ["-- only a comment;\n;", [], ""],
    ["SELECT $1;", ["SELECT $1"], ""],
  ])("%j", (text, statements, rest) => {
    expect(splitStatements(text)).toEqual({ statements, rest });
  });
});

const tables: LakeTable[] = [
  { tableId: "1", schema: "sales", table: "orders", folder: "data/sales/orders/" },
  { tableId: "2", schema: "sales", table: "customers", folder: "data/sales/customers/" },
  { tableId: "3", schema: "hr", table: "salaries", folder: "data/hr/salaries/" },
];

describe("expected access", () => {
  it("schema grants cover every table of the schema, table grants one, and names must match exactly", () => {
    expect(grantCovers({ schema: "sales" }, { schema: "sales", table: "x" })).toBe(true);
    expect(grantCovers({ schema: "sales", table: null }, { schema: "sales", table: "x" })).toBe(true);
    expect(grantCovers({ schema: "sales", table: "x" }, { schema: "sales", table: "X" })).toBe(false);
    expect(grantCovers({ schema: "Sales" }, { schema: "sales", table: "x" })).toBe(false);
    const r = expectedTables([{ schema: "sales", table: "orders" }, { schema: "hr" }, { schema: "nope", table: "t" }], tables);
    expect([...r.ids].sort()).toEqual(["1", "3"]);
    expect(r.unmatched).toEqual([{ schema: "nope", table: "t" }]);
  });
});

describe("compareRowCounts", () => {
  const owner = new Map([
    [
      "ducklake_data_file",
      new Map([
        ["1", 3],
        ["3", 2],
      ]),
    ],
    ["ducklake_delete_file", new Map([["1", 1]])],
  ]);
  it("is silent when the reader sees exactly the granted rows", () => {
    const reader = new Map([
      ["ducklake_data_file", new Map([["1", 3]])],
      ["ducklake_delete_file", new Map([["1", 1]])],
    ]);
    expect(compareRowCounts(owner, reader, new Set(["1"]))).toEqual([]);
  });
  it("reports hidden rows that are visible, granted rows that are missing, and unreadable tables", () => {
    const reader = new Map<string, Map<string, number> | undefined>([
      [
        "ducklake_data_file",
        new Map([
          ["1", 2],
          ["3", 2],
        ]),
      ],
      ["ducklake_delete_file", undefined],
    ]);
    expect(compareRowCounts(owner, reader, new Set(["1"]))).toEqual([
      { catalogTable: "ducklake_data_file", tableId: "1", kind: "granted-rows-missing", owner: 3, reader: 2 },
      { catalogTable: "ducklake_data_file", tableId: "3", kind: "hidden-rows-visible", owner: 2, reader: 2 },
      { catalogTable: "ducklake_delete_file", tableId: "1", kind: "not-readable", owner: 1, reader: 0 },
    ]);
  });
});

describe("sql files", () => {
  it("are read from cli/sql and sql/queries, and a missing one is named with where it was looked for", () => {
    expect(sqlFile("probe_files")).toMatch(/FROM ducklake_data_file/);
    expect(catalogQuery("current_tables")).toMatch(/FROM ducklake_table t/);
    expect(() => catalogQuery("no_such_query")).toThrow(/no_such_query\.sql not found \(looked in \S+sql\/queries, /);
    expect(() => sqlFile("no_such_query")).toThrow(/no_such_query\.sql not found \(looked in \S+cli\/sql, /);
  });
});

describe("small helpers", () => {
  it("formats tables with padded columns, NULLs and escaped newlines", () => {
    expect(
      formatTable(
        ["a", "long"],
        [
          [1, null],
          ["xy\nz", "v"],
        ],
      ),
    ).toBe("a      long\n-----  ----\n1      NULL\nxy\\nz  v");
  });
  it("explains low-level errors in words", () => {
    expect(explainError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }))).toMatch(
      /npm run local:up/,
    );
    expect(explainError(Object.assign(new Error("password authentication failed"), { code: "28P01" }))).toMatch(/rejected the password/);
    expect(explainError(new Error('IO Error: Failed to download extension "ducklake" at URL "http://x"\nmore'))).toMatch(
      /DuckDB extension ducklake is not available/,
    );
    expect(explainError(new CliError("exact"))).toBe("exact");
  });
});
