// Partition grants in the access list (GrantSpec.rows): parsing, canonical values, identity, refusals with
// their exact messages, and the renderings reviewers read.
import { accessMatrix, checkAccess, grantKey, grantTarget, renderAccessReview } from "../../model/grants";
import { canonicalValue, compareValues, describeRows, parseRowKey, rowsKeySegments } from "../../model/rowFilter";
import { AccessSpec } from "../../model/accessSpec";
import { rng } from "../support/random";

const ctx = { ownerProjectId: "1001", dataPrefix: "data/" };
const reader = (name: string, n: number) => ({ name, principal: { projectId: "2002", accessKey: `P2002${String(n).padStart(15, "0")}` } });
const spec = (...grants: any[]): AccessSpec => ({ readers: [reader("hr_partner", 1), reader("emea", 2)], grants });
const hr = (rows: any, extra: object = {}) => ({ reader: "hr_partner", schema: "hr", table: "salaries", rows, ...extra });

describe("partition grants: parsing and canonical form", () => {
  it("canonicalises values to DuckLake's partition_value text, sorted and unique", () => {
    const c = checkAccess(
      spec(hr({ "year(ts)": [2026, "2025", 2026, null] }), { reader: "emea", schema: "s", table: "o", rows: { flag: [true, "false"] } }),
      ctx,
    );
    expect(c.errors).toEqual([]);
    const [g1, g2] = c.access!.grants;
    expect(g1.rows).toEqual([{ key: "flag", column: "flag", transform: "identity", values: ["false", "true"] }]);
    expect(g2.rows).toEqual([{ key: "year(ts)", column: "ts", transform: "year", values: [null, "2025", "2026"] }]);
  });

  it("a number and its digits are the same value; strings are kept byte for byte", () => {
    expect(canonicalValue(2026)).toEqual({ value: "2026" });
    expect(canonicalValue("2026")).toEqual({ value: "2026" });
    expect(canonicalValue(-0)).toEqual({ value: "0" });
    expect(canonicalValue(" emea")).toEqual({ value: " emea" });
    expect(canonicalValue(false)).toEqual({ value: "false" });
    expect(canonicalValue(1.5)).toEqual({
      problem:
        '1.5 is not a whole number below 2^53; write it as a string exactly as DuckDB prints it (e.g. "3.10" for DECIMAL(10,2), "9007199254740993" for a BIGINT)',
    });
  });

  it("orders values NULL first, integers by value, then text: a total order", () => {
    const vals = ["b", "10", null, "9", "-3", "a", "007"];
    expect([...vals].sort(compareValues)).toEqual([null, "-3", "9", "10", "007", "a", "b"]);
    const r = rng(16);
    for (let i = 0; i < 50; i++) {
      const shuffled = [...vals].sort(() => r() - 0.5);
      expect(shuffled.sort(compareValues)).toEqual([null, "-3", "9", "10", "007", "a", "b"]);
    }
  });

  it("parses keys like DuckLake's DDL: identity, temporal transforms in any case, quoted odd names", () => {
    expect(parseRowKey("region")).toEqual({ column: "region", transform: "identity", key: "region" });
    expect(parseRowKey(" YEAR( ts ) ")).toEqual({ column: "ts", transform: "year", key: "year(ts)" });
    expect(parseRowKey('month("paid at")')).toEqual({ column: "paid at", transform: "month", key: 'month("paid at")' });
    expect(parseRowKey('"year(ts)"')).toEqual({ column: "year(ts)", transform: "identity", key: '"year(ts)"' });
    expect(parseRowKey("year")).toEqual({ column: "year", transform: "identity", key: "year" });
  });

  it("the same grant written in any order (keys, values, spelling of keys) is one grant with one key", () => {
    const a = checkAccess(spec(hr({ region: ["emea", "apac"], "year(ts)": [2026, 2025] })), ctx).access!;
    const b = checkAccess(spec(hr({ "YEAR(ts)": ["2025", 2026], region: ["apac", "emea"] })), ctx).access!;
    expect(a.grants).toEqual(b.grants);
    expect(a.grants[0].key).toBe("hr_partner/hr/salaries/region=apac,emea/year(ts)=2025,2026");
  });

  it("keys are injective and stay in the characters Pulumi names allow, also for odd names and values (seed 16)", () => {
    const r = rng(16);
    const alphabet = ["a", "Z", "0", "=", ",", "/", "(", ")", " ", "%", '"', "ä", "-", ".", "_", ":"];
    const word = () => Array.from({ length: 1 + Math.floor(r() * 4) }, () => alphabet[Math.floor(r() * alphabet.length)]).join("");
    const seen = new Map<string, string>();
    for (let i = 0; i < 400; i++) {
      const rows = [{ key: "", column: word().trim() || "c", transform: "identity" as const, values: [word(), r() < 0.2 ? null : word()] }];
      const k = grantKey("r", "s", "t", rows);
      expect(k).toMatch(/^[A-Za-z0-9_.%\-/=,()]+$/);
      const identity =
        JSON.stringify(rowsKeySegments(rows)) + JSON.stringify([rows[0].column, [...new Set(rows[0].values)].sort(compareValues)]);
      if (seen.has(k)) expect(seen.get(k)).toBe(identity);
      seen.set(k, identity);
    }
    // NULL and the string "null" (or "(null)") are different partitions, and so are their keys.
    const one = (v: string | null) => grantKey("r", "s", "t", [{ key: "c", column: "c", transform: "identity", values: [v] }]);
    expect(new Set([one(null), one("null"), one("(null)"), one("")]).size).toBe(4);
    expect(one(null)).toBe("r/s/t/c=(null)");
    expect(one("(null)")).toBe("r/s/t/c=%28null%29");
  });

  it("renders the target readably for messages, the matrix and the review", () => {
    const c = checkAccess(
      spec(hr({ "year(ts)": [2026, 2025] }), { reader: "emea", schema: "sales", table: "orders", rows: { region: ["emea", null] } }),
      ctx,
    );
    const g = c.access!.grants.find((x) => x.reader === "hr_partner")!;
    expect(grantTarget(g.schema, g.table, g.rows)).toBe("hr.salaries [year(ts) in (2025, 2026)]");
    expect(describeRows(c.access!.grants.find((x) => x.reader === "emea")!.rows!)).toBe('region in (null, "emea")');
    expect(accessMatrix(c.access!)).toEqual({
      emea: { schemas: [], tables: [], partitions: [{ schema: "sales", table: "orders", rows: 'region in (null, "emea")' }] },
      hr_partner: { schemas: [], tables: [], partitions: [{ schema: "hr", table: "salaries", rows: "year(ts) in (2025, 2026)" }] },
    });
    expect(renderAccessReview(c.access!)).toContain(
      "| hr_partner | p2002:P2002000000000000001 | (server allow-list) | hr.salaries [year(ts) in (2025, 2026)] |",
    );
  });

  it("several partition grants of one table are separate grants (OR), each its own resource", () => {
    const c = checkAccess(spec(hr({ "year(ts)": [2025] }), hr({ "year(ts)": [2026] })), ctx);
    expect(c.errors).toEqual([]);
    expect(c.access!.grants.map((g) => g.key)).toEqual(["hr_partner/hr/salaries/year(ts)=2025", "hr_partner/hr/salaries/year(ts)=2026"]);
  });
});

describe("partition grants: refusals, each with its exact message", () => {
  const label = (rows: any, extra = "") => `grants[0] { reader: "hr_partner", schema: "hr"${extra}, rows: ${JSON.stringify(rows)} }`;
  const errorsOf = (...grants: any[]) => checkAccess(spec(...grants), ctx).errors;
  const cases: [string, any, string][] = [
    ["not an object", ["year"], 'rows is not an object; write rows: { "year(ts)": [2026] } (partition key → list of values)'],
    ["no keys", {}, "rows lists no partition key; name at least one, or leave rows out to grant the whole table"],
    [
      "empty list",
      { "year(ts)": [] },
      "rows year(ts) lists no values; list at least one value, or remove the key to grant every value of it",
    ],
    ["not a list", { "year(ts)": 2026 }, 'rows year(ts) is not a list; write "year(ts)": [value, ...]'],
    ["month out of range", { "month(ts)": [13] }, "rows month(ts): 13 is not a month of the year, 1-12"],
    ["day out of range", { "day(ts)": [0] }, "rows day(ts): 0 is not a day of the month, 1-31"],
    ["hour out of range", { "hour(ts)": [24] }, "rows hour(ts): 24 is not an hour of the day, 0-23"],
    ["year not whole", { "year(ts)": ["2026.0"] }, 'rows year(ts): "2026.0" is not a year'],
    ["year with a leading zero", { "year(ts)": ["02026"] }, 'rows year(ts): "02026" is not a year as DuckLake writes it; write 2026'],
    ["temporal boolean", { "year(ts)": [true] }, "rows year(ts): true is not a year"],
    [
      "a fraction",
      { amount: [1.5] },
      'rows amount: 1.5 is not a whole number below 2^53; write it as a string exactly as DuckDB prints it (e.g. "3.10" for DECIMAL(10,2), "9007199254740993" for a BIGINT)',
    ],
    [
      "an object value",
      { region: [{ a: 1 }] },
      'rows region: {"a":1} is not a partition value; use strings, whole numbers, booleans or null',
    ],
    ["NUL in a value", { region: ["a\u0000"] }, 'rows region: "a\\u0000" contains a NUL character, which no partition value holds'],
    [
      "bucket transform",
      { "bucket(8, id)": [1] },
      'rows key "bucket(8, id)": bucket partitions cannot be granted (a bucket number says nothing about the rows in it); grant by an identity or year/month/day/hour key',
    ],
    [
      "unknown transform",
      { "week(ts)": [1] },
      'rows key "week(ts)": unknown transform "week"; use a column name, or year(col), month(col), day(col) or hour(col)',
    ],
    ["empty key", { " ": [1] }, "rows a key is empty: write a partition column name or year(col), month(col), day(col), hour(col)"],
    [
      "stray parenthesis",
      { "year(ts": [1] },
      'rows key "year(ts": "year(ts" is not a column name: write the name alone, or double-quote it ("my (col)")',
    ],
    [
      "same key twice",
      { "year(ts)": [2025], "YEAR(TS)": [2026] },
      'rows names year(TS) twice (as "year(ts)" and "YEAR(TS)"; DuckDB column names are case-insensitive): merge the value lists into one key',
    ],
  ];
  it.each(cases)("%s", (_name, rows, message) => {
    expect(errorsOf(hr(rows))).toEqual([`${label(rows, ', table: "salaries"')}: ${message}`]);
  });

  it("rows without a table", () => {
    expect(errorsOf({ reader: "hr_partner", schema: "hr", rows: { "year(ts)": [2026] } })).toEqual([
      `${label({ "year(ts)": [2026] })}: rows needs a table: a partition grant selects rows of one table; name the table, or leave rows out to grant the whole schema`,
    ]);
  });

  it("a duplicate partition grant, in any order of keys and values", () => {
    expect(errorsOf(hr({ "year(ts)": [2025, 2026], region: ["a"] }), hr({ region: ["a"], "year(ts)": [2026, 2025] }))).toEqual([
      `grants[1] { reader: "hr_partner", schema: "hr", table: "salaries", rows: {"region":["a"],"year(ts)":[2026,2025]} }: duplicate of grants[0]; remove one of them`,
    ]);
    // Values differing in letter case are different partitions; column names are not.
    expect(errorsOf(hr({ region: ["EMEA"] }), hr({ region: ["emea"] }))).toEqual([]);
    expect(errorsOf(hr({ region: ["emea"] }), hr({ Region: ["emea"] }))[0]).toMatch(/differs from grants\[0\] only in letter case/);
  });

  it("a partition grant next to the whole table or its schema for the same reader: says which to keep", () => {
    expect(errorsOf(hr({ "year(ts)": [2026] }), { reader: "hr_partner", schema: "hr", table: "Salaries" })).toEqual([
      `${label({ "year(ts)": [2026] }, ', table: "salaries"')}: "hr_partner" also has the whole table (grants[1] { reader: "hr_partner", schema: "hr", table: "Salaries" }), which includes every row of hr.salaries; keep that grant to give the whole table, or remove it to give only the rows [year(ts) in (2026)]`,
    ]);
    expect(errorsOf(hr({ "year(ts)": [2026] }), { reader: "hr_partner", schema: "hr" })).toEqual([
      `${label({ "year(ts)": [2026] }, ', table: "salaries"')}: "hr_partner" also has the whole schema (grants[1] { reader: "hr_partner", schema: "hr" }), which includes every row of hr.salaries; keep that grant to give the whole schema, or remove it to give only the rows [year(ts) in (2026)]`,
    ]);
    // Another reader's table grant is no conflict.
    expect(errorsOf(hr({ "year(ts)": [2026] }), { reader: "emea", schema: "hr", table: "salaries" })).toEqual([]);
  });

  it("warns (does not refuse) for month/day/hour without year", () => {
    const c = checkAccess(spec(hr({ "month(ts)": [3] }), hr({ "year(ts)": [2026], "month(ts)": [3] })), ctx);
    expect(c.errors).toEqual([]);
    expect(c.warnings).toEqual([
      `${label({ "month(ts)": [3] }, ', table: "salaries"')}: rows month(ts) without year(ts) selects that month in every year; add "year(ts)": [...] to limit it to certain years`,
      'reader "emea" has no grants; it can log in but sees no tables',
    ]);
  });
});
