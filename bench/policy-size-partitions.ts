// Bucket-policy bytes and build time of partition grants (issue 16) vs whole-table grants of the same tables,
// measured in the same run (ratios vs that baseline). Tables are partitioned by (region, year(ts)), with 20-character
// table names in 10-character schemas as in bench/policy-size.ts.
// Run: npx ts-node --transpile-only bench/policy-size-partitions.ts
import { NormalizedGrant, ReaderSpec, RowFilterKey } from "../model/accessSpec";
import { buildBucketPolicy } from "../model/bucketPolicy";
import { emptyLayout, LakeLayout } from "../model/lakePaths";
import { PartitionedTableFacts } from "../model/partitionFolders";

const READERS = 200;
const PER_READER = 10;
const name = (i: number) => `K${String(i).padStart(19, "0")}`;
const readers: ReaderSpec[] = Array.from({ length: READERS }, (_, i) => ({
  name: `r${i}`,
  principal: { projectId: "2002", accessKey: name(i) },
}));
const table = (i: number): [string, string] => [`schema_${String(i % 50).padStart(3, "0")}`, `table_${String(i).padStart(14, "0")}`];

function layoutFor(tables: number): LakeLayout {
  const l = emptyLayout("s3://lake/data/");
  const facts: PartitionedTableFacts[] = [];
  for (let i = 0; i < tables; i++) {
    const [s, t] = table(i);
    facts.push({
      schema: s,
      table: t,
      hiveFilePattern: true,
      specs: [
        {
          partitionId: 1,
          current: true,
          keys: [
            { index: 0, column: "region", transform: "identity" },
            { index: 1, column: "ts", transform: "year" },
          ],
        },
      ],
      groups: [],
    });
  }
  return {
    ...l,
    schemas: [...new Set(facts.map((f) => f.schema))].map((name) => ({ name, path: `${name}/`, pathIsRelative: true })),
    tables: facts.map((f) => ({ schema: f.schema, name: f.table, path: `${f.table}/`, pathIsRelative: true })),
    partitions: facts,
  };
}

type Shape = "table" | "year=1" | "region=3" | "region=3 x year=2";
const rowsOf: Record<Exclude<Shape, "table">, RowFilterKey[]> = {
  "year=1": [{ key: "year(ts)", column: "ts", transform: "year", values: ["2026"] }],
  "region=3": [{ key: "region", column: "region", transform: "identity", values: ["apac", "emea", "latam"] }],
  "region=3 x year=2": [
    { key: "region", column: "region", transform: "identity", values: ["apac", "emea", "latam"] },
    { key: "year(ts)", column: "ts", transform: "year", values: ["2025", "2026"] },
  ],
};

/** disjoint: every reader its own tables; teams: 10 teams of 20 readers with identical grant sets. */
function grants(shape: Shape, scenario: "disjoint" | "teams"): NormalizedGrant[] {
  return readers.flatMap((r, ri) =>
    Array.from({ length: PER_READER }, (_, k) => {
      const i = scenario === "disjoint" ? ri * PER_READER + k : (ri % 10) * PER_READER + k;
      const [s, t] = table(i);
      const rows = shape === "table" ? undefined : rowsOf[shape];
      return { reader: r.name, schema: s, table: t, mode: "read" as const, ...(rows ? { rows } : {}), key: `${r.name}/${s}/${t}/${shape}` };
    }),
  );
}

const cpuMs = (f: () => void) => {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const layout = layoutFor(READERS * PER_READER);
for (const scenario of ["disjoint", "teams"] as const) {
  const rows: string[] = [];
  let base = { bytes: 0, ms: 0 };
  for (const shape of ["table", "year=1", "region=3", "region=3 x year=2"] as Shape[]) {
    const g = grants(shape, scenario);
    let bytes = 0;
    const times: number[] = [];
    for (let round = 0; round < 5; round++)
      times.push(
        cpuMs(() => {
          const p = buildBucketPolicy({ bucket: "lake", ownerProjectId: "1001", readers, grants: g, layout, limitBytes: Infinity });
          if (p.problems.length) throw new Error(p.problems[0]);
          bytes = p.bytes;
        }),
      );
    const ms = median(times);
    if (shape === "table") base = { bytes, ms };
    rows.push(
      `| ${scenario} | ${shape} | ${bytes.toLocaleString("en")} | ${(bytes / base.bytes).toFixed(2)}× | ${(bytes / (READERS * PER_READER)).toFixed(0)} | ${ms.toFixed(0)} ms (${(ms / base.ms).toFixed(2)}×) |`,
    );
  }
  console.log(rows.join("\n"));
}

// One large partitioned table: 20 regions x 50 years x 10 folders each (10,000 file groups), 200 readers each granted
// one year (50 distinct grants): build time against the same grants over the table without files.
{
  const [s, t] = table(0);
  const big = layoutFor(1);
  const groups: PartitionedTableFacts["groups"] = [];
  for (let r = 0; r < 20; r++)
    for (let y = 0; y < 50; y++)
      for (let k = 0; k < 10; k++) {
        const folder = `data/${s}/${t}/region=r${r}/year=${1980 + y}/`;
        const key = `${folder}ducklake-0193a1b2-aaaa-7bbb-8ccc-${String(k).padStart(12, "0")}.parquet`;
        groups.push({
          kind: "data",
          partitionId: 1,
          folder,
          sample: `s3://lake/${key}`,
          sampleKey: key,
          values: [`r${r}`, String(1980 + y)],
          files: 3,
          deleteShaped: 0,
        });
      }
  const withFiles: LakeLayout = { ...big, partitions: [{ ...big.partitions![0], groups }] };
  const g: NormalizedGrant[] = readers.map((r, i) => ({
    reader: r.name,
    schema: s,
    table: t,
    mode: "read",
    rows: [{ key: "year(ts)", column: "ts", transform: "year", values: [String(1980 + (i % 50))] }],
    key: `${r.name}/big`,
  }));
  const run = (l: LakeLayout) =>
    median(
      Array.from({ length: 5 }, () =>
        cpuMs(() => {
          const p = buildBucketPolicy({ bucket: "lake", ownerProjectId: "1001", readers, grants: g, layout: l, limitBytes: Infinity });
          if (p.problems.length) throw new Error(p.problems[0]);
        }),
      ),
    );
  const empty = run(big);
  const full = run(withFiles);
  console.log(
    `| one table, 10,000 file groups, 200 readers x 1 year | ${full.toFixed(0)} ms vs ${empty.toFixed(0)} ms without files (${(full / empty).toFixed(1)}×) |`,
  );
}
