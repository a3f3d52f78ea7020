// The TypeScript side of partition grants (postgres/guardClient.ts) over a recorded query function: what travels to
// grant_rows/revoke_rows, how list_grants' `rows` comes back, and which ACL entry findGrant picks.
import { findGrant, grantRows, listGrantDetails, revokeRows, rowFilterJson } from "../../postgres/guardClient";

type Call = { sql: string; params: unknown[] };
function fakeClient(rows: Record<string, unknown>[] = []) {
  const calls: Call[] = [];
  return {
    calls,
    query: (async (sql: string, params: unknown[] = []) => {
      calls.push({ sql, params });
      return { rows: /grant_rows|revoke_rows/.test(sql) ? [{ changed: true, revoked: true }] : rows };
    }) as never,
  };
}

const entry = (table: string | null, rows: unknown) => ({
  reader: "hr_partner",
  schema_name: "hr",
  table_name: table,
  schema_id: "1",
  table_id: table ? "2" : null,
  current_schema_name: "hr",
  current_table_name: table,
  status: "active",
  rows,
});
const YEARS = [{ column: "ts", transform: "year", values: ["2025", "2026"] }];

test("grant_rows/revoke_rows get the filter as JSON text parameters, without RowFilterKey's key", async () => {
  const c = fakeClient();
  const rows = [{ key: "year(ts)", column: "ts", transform: "year" as const, values: ["2026", null] }];
  expect(await grantRows(c, { reader: "hr_partner", schema: "hr", table: "salaries", rows })).toBe(true);
  expect(await revokeRows(c, { reader: "hr_partner", schema: "hr", table: "salaries", rows })).toBe(true);
  expect(c.calls.map((x) => x.params)).toEqual([
    ["hr_partner", "hr", "salaries", '[{"column":"ts","transform":"year","values":["2026",null]}]'],
    ["hr_partner", "hr", "salaries", '[{"column":"ts","transform":"year","values":["2026",null]}]'],
  ]);
  expect(c.calls[0].sql).toMatch(/ducklake_guard\.grant_rows\(\$1, \$2, \$3, \$4::jsonb\)/);
  expect(rowFilterJson([{ column: "region", transform: "identity", values: ["a'b"] }])).toBe(
    '[{"column":"region","transform":"identity","values":["a\'b"]}]',
  );
});

test("grantRows refuses a grant without table or keys before any query", async () => {
  const c = fakeClient();
  await expect(grantRows(c, { reader: "hr_partner", schema: "hr", table: "", rows: [] })).rejects.toThrow(
    /a partition grant needs a table.*at least one partition key/,
  );
  expect(c.calls).toEqual([]);
});

test("listGrantDetails returns rows (with the DDL key) for partition grants only", async () => {
  const c = fakeClient([entry(null, null), entry("salaries", YEARS)]);
  const d = await listGrantDetails(c, "hr_partner");
  expect(d[0]).not.toHaveProperty("rows");
  expect(d[1].rows).toEqual([{ key: "year(ts)", column: "ts", transform: "year", values: ["2025", "2026"] }]);
});

test("findGrant: a table grant never matches a partition grant; a partition grant matches whatever the order of values", async () => {
  const c = fakeClient([entry("salaries", YEARS)]);
  expect(await findGrant(c, { reader: "hr_partner", schema: "hr", table: "salaries" })).toBeUndefined();
  const found = await findGrant(c, {
    reader: "hr_partner",
    schema: "hr",
    table: "salaries",
    rows: [{ key: "year(ts)", column: "ts", transform: "year", values: ["2026", "2025"] }],
  });
  expect(found?.rows?.[0].values).toEqual(["2025", "2026"]);
  expect(
    await findGrant(c, {
      reader: "hr_partner",
      schema: "hr",
      table: "salaries",
      rows: [{ key: "year(ts)", column: "ts", transform: "year", values: ["2026"] }],
    }),
  ).toBeUndefined();
});
