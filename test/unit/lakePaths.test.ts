import { emptyLayout, grantPrefixes, LakeLayout, minimalPrefixes, parseDataPath, tablesReachedBy } from "../../model/lakePaths";

function layout(): LakeLayout {
  const l = emptyLayout("s3://lake/data/");
  l.schemas = [
    { name: "sales", path: "sales/", pathIsRelative: true },
    { name: "Fin", path: "s3://lake/data/finance-2026/", pathIsRelative: false },
    { name: "odd name", path: "6f1c0a52-0000-4000-8000-000000000000/", pathIsRelative: true },
    { name: "ext", path: "s3://other/x/", pathIsRelative: false },
    { name: "root", path: "", pathIsRelative: true },
  ];
  l.tables = [
    { schema: "sales", name: "orders", path: "orders/", pathIsRelative: true },
    { schema: "sales", name: "moved", path: "s3://lake/data/archive/moved/", pathIsRelative: false },
    { schema: "sales", name: "wild", path: "w*ld/", pathIsRelative: true },
    { schema: "sales", name: "bak", path: "s3://lake/backups/t/", pathIsRelative: false },
    { schema: "Fin", name: "ledger", path: "ledger/", pathIsRelative: true },
  ];
  return l;
}

describe("parseDataPath / emptyLayout", () => {
  it.each([
    ["s3://lake/data/", { bucket: "lake", prefix: "data/" }],
    ["s3://lake/", { bucket: "lake", prefix: "" }],
    ["s3://lake", { bucket: "lake", prefix: "" }],
  ])("parses %s", (p, expected) => expect(parseDataPath(p)).toEqual(expected));
  it.each(["/var/lake/", "s3://lake/data", "gcs://lake/data/"])("refuses %s with the fix", (p) => {
    expect(() => emptyLayout(p)).toThrow(/s3:\/\/|end with/);
  });
});

describe("grantPrefixes", () => {
  it.each([
    [{ schema: "sales", table: "orders" }, ["data/sales/orders/"]],
    [{ schema: "sales", table: "moved" }, ["data/archive/moved/"]],
    [{ schema: "fin", table: "ledger" }, ["data/finance-2026/ledger/"]], // case-insensitive, absolute schema path
    [{ schema: "sales", table: "future_table" }, ["data/sales/future_table/"]], // DuckLake's default for a new table
    [{ schema: "new_schema", table: "t-1" }, ["data/new_schema/t-1/"]],
    [{ schema: "new_schema", table: null }, ["data/new_schema/"]],
    [{ schema: "odd name", table: null }, ["data/6f1c0a52-0000-4000-8000-000000000000/"]],
  ])("%j opens %j", (grant, prefixes) => {
    const r = grantPrefixes(layout(), grant);
    expect(r.problems).toEqual([]);
    expect(r.prefixes).toEqual(prefixes);
  });

  it("a schema grant adds its tables stored elsewhere and reports the unsafe ones", () => {
    const r = grantPrefixes(layout(), { schema: "sales", table: null });
    expect(r.prefixes).toEqual(["data/archive/moved/", "data/sales/"]);
    expect(r.problems.join("\n")).toMatch(/"sales"."bak".*"backups\/t\/".*not strictly inside the lake's data path/);
  });

  it.each([
    [{ schema: "sales", table: "wild" }, /containing \*, \? or/],
    [{ schema: "sales", table: "bak" }, /not strictly inside the lake's data path/],
    [{ schema: "ext", table: null }, /outside bucket lake/],
    [{ schema: "root", table: null }, /not strictly inside the lake's data path/],
    [{ schema: "sales", table: "new table" }, /does not exist yet.*random UUID folder/],
    [{ schema: "new schema", table: null }, /schema "new schema" does not exist yet.*UUID/],
  ])("refuses %j", (grant, message) => {
    const r = grantPrefixes(layout(), grant);
    expect(r.prefixes).toEqual([]);
    expect(r.problems.join("\n")).toMatch(message);
  });

  it("honours a custom backups prefix", () => {
    const l = emptyLayout("s3://lake/");
    expect(grantPrefixes(l, { schema: "backups", table: null }).problems.join()).toMatch(/backups prefix "backups\/"/);
    expect(grantPrefixes(l, { schema: "backups", table: null }, { backupsPrefix: "dumps/" }).prefixes).toEqual(["backups/"]);
  });
});

describe("helpers", () => {
  it("minimalPrefixes drops contained folders but keeps siblings sharing a name prefix", () => {
    expect(minimalPrefixes(["a/b/", "a/", "a/b/c/", "ab/", "a/"])).toEqual(["a/", "ab/"]);
  });
  it("tablesReachedBy finds tables whose folder overlaps", () => {
    expect(tablesReachedBy(layout(), ["data/sales/"]).map((t) => t.name)).toEqual(["orders", "wild"]);
  });
});
