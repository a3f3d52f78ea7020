// The PR access diff: evaluates access.ts text without running its imports, and says who gains/loses what.
import { accessDiffReport, diffAccess, evaluateAccess, renderAccessDiff } from "../../cli/accessDiff";
import { AccessSpec } from "../../model/accessSpec";

const p = (n: number) => ({ projectId: "2002", accessKey: `P2002${String(n).padStart(15, "0")}` });
const base: AccessSpec = {
  readers: [
    { name: "alice", principal: p(1) },
    { name: "bob", principal: p(2) },
    { name: "carol", principal: p(3) },
  ],
  grants: [
    { reader: "alice", schema: "sales", table: "orders" },
    { reader: "bob", schema: "hr" },
    { reader: "carol", schema: "sales", table: "orders" },
  ],
};

describe("access diff", () => {
  it("evaluates access.ts as data, with type-only imports", () => {
    const src = `import type { AccessSpec } from "./model/accessSpec";\nexport const access: AccessSpec = { readers: [], grants: [{ reader: "a", schema: "s" }] };`;
    expect(evaluateAccess(src)).toEqual({ readers: [], grants: [{ reader: "a", schema: "s" }] });
  });

  it("refuses an access.ts that imports modules (it must stay plain data)", () => {
    expect(() =>
      evaluateAccess(`import * as cp from "child_process"; cp.execSync("id"); export const access = { readers: [], grants: [] };`),
    ).toThrow('access.ts must be plain data; it imports "child_process" (use `import type`)');
    expect(() => evaluateAccess(`export const x = 1;`)).toThrow("access.ts does not export `access`");
  });

  it("says who gains and who loses, folding tables into new schema grants", () => {
    const head: AccessSpec = {
      readers: [
        { name: "alice", principal: p(1) },
        { name: "bob", principal: p(9), allowedIps: ["10.0.0.0/8"] },
        { name: "dave", principal: p(4) },
      ],
      grants: [
        { reader: "alice", schema: "sales" },
        { reader: "bob", schema: "hr", table: "people" },
        { reader: "dave", schema: "x y", table: "t" },
      ],
    };
    expect(diffAccess(base, head)).toEqual([
      { reader: "alice", gains: ["sales.*"], loses: [], notes: [] },
      {
        reader: "bob",
        gains: ["hr.people"],
        loses: ["hr.*"],
        notes: [
          "S3 key changes from p2002:P2002000000000000002 to p2002:P2002000000000000009",
          "PostgreSQL allow-list changes from [] to [10.0.0.0/8]",
        ],
      },
      { reader: "carol", gains: [], loses: ["sales.orders"], notes: ["reader removed (its login role is dropped)"] },
      { reader: "dave", gains: ['"x y".t'], loses: [], notes: ["new reader"] },
    ]);
    expect(diffAccess(base, { readers: [...base.readers].reverse(), grants: [...base.grants].reverse() })).toEqual([]);
  });

  it("renders markdown with problems of the new list first", () => {
    const md = renderAccessDiff("origin/main", "HEAD", [{ reader: "a", gains: ["s.*"], loses: [], notes: [] }], ["grants[0] bad"], []);
    expect(md.split("\n")).toEqual([
      "## Access changes: origin/main → HEAD",
      "",
      "**The new access list is invalid (1 problem); `pulumi preview` will refuse it:**",
      "",
      "- grants[0] bad",
      "",
      "| reader | gains | loses | other changes |",
      "|---|---|---|---|",
      "| a | s.* | — | — |",
      "",
      "`schema.*` covers every current and future table of the schema; `schema.table [key in (…)]` only the rows in files of those partitions.",
      "",
    ]);
  });

  it("reads real git revisions: a base without access.ts means everyone gains", () => {
    const first = require("child_process")
      .execFileSync("git", ["rev-list", "--max-parents=0", "HEAD"], { encoding: "utf8" })
      .trim()
      .split("\n")[0];
    const { markdown, ok } = accessDiffReport(first, "HEAD");
    expect(ok).toBe(true);
    expect(markdown).toMatch(/\| [a-z_]+ \| .+ \| — \| new reader \|/);
    expect(() => accessDiffReport("--upload-pack=x")).toThrow('"--upload-pack=x" is not a git revision');
  });
});
