import {
  bucketKey,
  emptyLayout,
  grantPrefixes,
  LakeLayout,
  minimalPrefixes,
  parseDataPath,
  schemaPrefix,
  tableFileLocation,
  tablePrefix,
  tablesReachedBy,
} from "../../model/lakePaths";

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

// DuckLake joins stored paths as plain strings (FromRelativePath: base + path); the CLIs and the policy
// both use these rules, so a path without its final "/" must resolve the same way everywhere.
describe("paths joined as DuckLake joins them", () => {
  function flatLayout(): LakeLayout {
    const l = emptyLayout("s3://lake/data/");
    l.schemas = [
      { name: "flat", path: "flat", pathIsRelative: true }, // no "/": its tables live at data/flat<table path>
      { name: "sales", path: "sales/", pathIsRelative: true },
      { name: "abs", path: "s3://lake", pathIsRelative: false }, // bucket URL without "/": a relative child names another bucket
    ];
    l.tables = [
      { schema: "flat", name: "t", path: "t/", pathIsRelative: true },
      { schema: "sales", name: "loose", path: "loose", pathIsRelative: true },
      { schema: "sales", name: "loose_archive", path: "loose_archive/", pathIsRelative: true },
      { schema: "abs", name: "x", path: "x/", pathIsRelative: true },
    ];
    return l;
  }

  it.each([
    ["flat", "t", "data/flatt/"],
    ["flat", "new_table", "data/flatnew_table/"],
    ["sales", "loose", "data/sales/loose/"], // the folder gets its "/": never the sibling loose_archive
    ["SALES", "LOOSE", "data/sales/loose/"], // case-insensitive, as DuckDB resolves names
  ])("table %s.%s has folder %s", (schema, table, folder) => {
    expect(tablePrefix(flatLayout(), schema, table)).toBe(folder);
  });

  it("schema folders get their final / too; a relative path under a bare bucket URL leaves the bucket", () => {
    expect(schemaPrefix(flatLayout(), "flat")).toBe("data/flat/");
    expect(tablePrefix(flatLayout(), "abs", "x")).toEqual({
      problem: expect.stringMatching(/lives at s3:\/\/lakex\/, outside bucket lake/),
    });
  });

  it.each([
    // [schema, table, file path, relative, location, key (undefined = outside the folder: no grant opens it)]
    ["flat", "t", "f.parquet", true, "s3://lake/data/flatt/f.parquet", "data/flatt/f.parquet"],
    ["sales", "loose", "/f.parquet", true, "s3://lake/data/sales/loose/f.parquet", "data/sales/loose/f.parquet"], // as DuckLake writes it
    ["sales", "loose", "f.parquet", true, "s3://lake/data/sales/loosef.parquet", undefined],
    ["sales", "loose", "_archive/f.parquet", true, "s3://lake/data/sales/loose_archive/f.parquet", undefined], // the sibling's file
    ["sales", "loose_archive", "../loose/f.parquet", true, "s3://lake/data/sales/loose_archive/../loose/f.parquet", undefined],
    [
      "sales",
      "loose_archive",
      "s3://lake/data/sales/loose_archive/a.parquet",
      false,
      "s3://lake/data/sales/loose_archive/a.parquet",
      "data/sales/loose_archive/a.parquet",
    ],
    ["sales", "loose_archive", "s3://lake/imports/a.parquet", false, "s3://lake/imports/a.parquet", undefined],
    [
      "sales",
      "loose_archive",
      "s3://other/data/sales/loose_archive/a.parquet",
      false,
      "s3://other/data/sales/loose_archive/a.parquet",
      undefined,
    ],
    [
      "sales",
      "loose_archive",
      "s3a://lake/data/sales/loose_archive/a.parquet",
      false,
      "s3a://lake/data/sales/loose_archive/a.parquet",
      undefined,
    ],
    ["abs", "x", "f.parquet", true, "s3://lakex/f.parquet", undefined], // the table lives in another bucket
  ])("file of %s.%s at %j (relative %j) is read from %s", (schema, table, path, pathIsRelative, location, key) => {
    const r = tableFileLocation(flatLayout(), schema, table, { path, pathIsRelative });
    expect(r).toEqual(key === undefined ? { location } : { location, key });
  });

  it.each([
    ["s3://lake/data/x.parquet", "data/x.parquet"],
    ["s3://lake", ""],
    ["s3://lake/", ""],
    ["s3://lakex/a", undefined],
    ["s3://other/data/x.parquet", undefined],
    ["/local/file.parquet", undefined],
    ["https://lake/x", undefined],
  ])("bucketKey(%s) = %j", (url, key) => expect(bucketKey(flatLayout(), url)).toBe(key));
});
