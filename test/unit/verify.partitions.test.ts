// verify's view of partition grants (cli/expectedAccess.ts): which tables are granted only in part, and their labels.
import { grantLabel, isPartitionGrantLike, partitionOnlyTables } from "../../cli/expectedAccess";
import { RowFilterKey } from "../../model/accessSpec";

const year: RowFilterKey[] = [{ key: "year(ts)", column: "ts", transform: "year", values: ["2025", "2026"] }];
const tables = [
  { tableId: "1", schema: "hr", table: "sales", folder: "data/hr/sales/" },
  { tableId: "2", schema: "hr", table: "people", folder: "data/hr/people/" },
  { tableId: "3", schema: "fin", table: "ledger", folder: "data/fin/ledger/" },
];

test("a table is partition-only when every grant covering it has rows; a table or schema grant of it makes it whole", () => {
  expect([...partitionOnlyTables([{ schema: "hr", table: "sales", rows: year }], tables)]).toEqual(["1"]);
  expect([
    ...partitionOnlyTables(
      [
        { schema: "hr", table: "sales", rows: year },
        { schema: "hr", table: "sales" },
      ],
      tables,
    ),
  ]).toEqual([]);
  expect([...partitionOnlyTables([{ schema: "hr", table: "sales", rows: year }, { schema: "hr" }], tables)]).toEqual([]);
  expect([...partitionOnlyTables([{ schema: "hr", table: "sales", rows: [] }], tables)]).toEqual([]);
  expect(isPartitionGrantLike({ schema: "hr", table: null, rows: year })).toBe(false);
});

test("labels name the partitions", () => {
  expect(grantLabel({ schema: "hr", table: "sales", rows: year })).toBe("hr.sales [year(ts)=2025,2026]");
  expect(
    grantLabel({
      schema: "hr",
      table: "sales",
      rows: [{ key: "region", column: "region", transform: "identity", values: [null, "emea"] }],
    }),
  ).toBe("hr.sales [region=null,emea]");
  expect(grantLabel({ schema: "hr", table: "sales" })).toBe("hr.sales");
  expect(grantLabel({ schema: "hr" })).toBe("hr.*");
});
