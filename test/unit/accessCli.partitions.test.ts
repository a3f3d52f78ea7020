// Partition grants in the access CLIs: `npm run access:diff` (who gains or loses which rows) and the text of
// `npm run access` (the live matrix), readably: `hr.salaries [year(ts) in (2025, 2026)]`.
import { diffAccess, renderAccessDiff } from "../../cli/accessDiff";
import { formatAccessMatrix } from "../../cli/accessMatrix";
import { AccessSpec } from "../../model/accessSpec";

const reader = (name: string, n: number) => ({ name, principal: { projectId: "2002", accessKey: `P2002${String(n).padStart(15, "0")}` } });
const spec = (...grants: any[]): AccessSpec => ({ readers: [reader("hr_partner", 1), reader("emea", 2)], grants });

describe("access:diff with partition grants", () => {
  it("shows a new partition grant as a gain of the table's rows", () => {
    expect(diffAccess(spec(), spec({ reader: "hr_partner", schema: "hr", table: "salaries", rows: { "year(ts)": [2026, 2025] } }))).toEqual(
      [{ reader: "hr_partner", gains: ["hr.salaries [year(ts) in (2025, 2026)]"], loses: [], notes: [] }],
    );
  });

  it("shows a narrowed filter as losing the old rows and gaining the new ones; reordering is no change", () => {
    const base = spec({ reader: "emea", schema: "sales", table: "orders", rows: { region: ["emea", "apac"], "year(d)": [2026] } });
    const reordered = spec({ reader: "emea", schema: "sales", table: "orders", rows: { "YEAR(d)": ["2026"], region: ["apac", "emea"] } });
    expect(diffAccess(base, reordered)).toEqual([]);
    const narrowed = spec({ reader: "emea", schema: "sales", table: "orders", rows: { region: ["emea"], "year(d)": [2026] } });
    expect(diffAccess(base, narrowed)).toEqual([
      {
        reader: "emea",
        gains: ['sales.orders [region in ("emea") and year(d) in (2026)]'],
        loses: ['sales.orders [region in ("apac", "emea") and year(d) in (2026)]'],
        notes: [],
      },
    ]);
  });

  it("a partition grant widened to the whole table (or its schema) gains the table and loses nothing", () => {
    const base = spec({ reader: "hr_partner", schema: "hr", table: "salaries", rows: { "year(ts)": [2026] } });
    expect(diffAccess(base, spec({ reader: "hr_partner", schema: "hr", table: "salaries" }))).toEqual([
      { reader: "hr_partner", gains: ["hr.salaries"], loses: [], notes: [] },
    ]);
    expect(diffAccess(base, spec({ reader: "hr_partner", schema: "hr" }))).toEqual([
      { reader: "hr_partner", gains: ["hr.*"], loses: [], notes: [] },
    ]);
    // and back: the rows stay, the rest of the table goes
    expect(diffAccess(spec({ reader: "hr_partner", schema: "hr", table: "salaries" }), base)).toEqual([
      { reader: "hr_partner", gains: ["hr.salaries [year(ts) in (2026)]"], loses: ["hr.salaries"], notes: [] },
    ]);
  });

  it("an invalid filter shows as written, never as the whole table", () => {
    const head = spec({ reader: "hr_partner", schema: "hr", table: "salaries", rows: { "week(ts)": [1] } });
    expect(diffAccess(spec(), head)).toEqual([
      { reader: "hr_partner", gains: ['hr.salaries [invalid rows {"week(ts)":[1]}]'], loses: [], notes: [] },
    ]);
  });

  it("renders the partition targets in the markdown table", () => {
    const changes = diffAccess(spec(), spec({ reader: "hr_partner", schema: "hr", table: "salaries", rows: { "year(ts)": [2026] } }));
    expect(renderAccessDiff("origin/main", "HEAD", changes, [], [])).toContain("| hr_partner | hr.salaries [year(ts) in (2026)] | — | — |");
  });
});

describe("npm run access: partition cells", () => {
  it("shows the filters each layer holds and flags a disagreement", () => {
    const text = formatAccessMatrix({
      cells: [
        {
          reader: "hr_partner",
          table: "hr.salaries",
          declared: true,
          declaredRows: ["year(ts) in (2026)"],
          catalog: true,
          catalogRows: ["year(ts) in (2026)"],
          agree: true,
        },
        {
          reader: "emea",
          table: "hr.salaries",
          declared: true,
          declaredRows: ["year(ts) in (2026)"],
          catalog: true,
          catalogRows: ["year(ts) in (2025, 2026)"],
          agree: false,
        },
        { reader: "emea", table: "sales.orders", declared: true, catalog: true, storage: true, agree: true },
      ],
      problems: ["emea on hr.salaries: layers disagree (declared rows [year(ts) in (2026)], catalog rows [year(ts) in (2025, 2026)])"],
    });
    const lines = text.split("\n");
    expect(lines.find((l) => l.startsWith("hr_partner"))).toMatch(
      /^hr_partner\s+hr\.salaries\s+rows \[year\(ts\) in \(2026\)\]\s+rows \[year\(ts\) in \(2026\)\]\s+\(partitions: npm run verify\)\s+ok$/,
    );
    expect(lines.find((l) => l.startsWith("emea") && l.includes("salaries"))).toMatch(/rows \[year\(ts\) in \(2025, 2026\)\].*DISAGREE$/);
    expect(text).toContain(
      "DISAGREE: emea on hr.salaries: layers disagree (declared rows [year(ts) in (2026)], catalog rows [year(ts) in (2025, 2026)])",
    );
  });
});
