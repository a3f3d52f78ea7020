// Partition grants in the bucket policy (model/partitionFolders.ts, model/bucketPolicy.ts): which folders a grant
// opens, which files stay closed, and when a grant is refused. Catalog facts are written like the ones
// postgres/partitionFiles.ts reads from DuckLake (see partitionLayout.duckdb.test.ts for the real layouts).
import { NormalizedGrant, ReaderSpec, RowFilterKey } from "../../model/accessSpec";
import { buildBucketPolicy, evaluatePolicy } from "../../model/bucketPolicy";
import { LakeLayout } from "../../model/lakePaths";
import {
  backtrackingMatch,
  hiveEscape,
  PartitionedTableFacts,
  PartitionFileGroup,
  partitionGrantResources,
  rgwPacificMatch,
  specKeyNames,
} from "../../model/partitionFolders";
import { policyGrammarProblems } from "../../model/policyGrammar";
import { effectiveHivePattern } from "../../postgres/partitionFiles";

const T = "data/hr/sales/";
const DEL = "ducklake-????????-????-????-????-????????????-delete.parquet";
const UUID = "0193a1b2-aaaa-7bbb-8ccc-0123456789ab";
const year = (values: string[]): RowFilterKey => ({ key: "year(ts)", column: "ts", transform: "year", values });
const region = (values: Array<string | null>): RowFilterKey => ({ key: "region", column: "region", transform: "identity", values });

/** A data-file group in `dir` (table-relative) under spec `partitionId` with `values`. */
function files(
  dir: string,
  partitionId: number | null,
  values: Array<string | null>,
  n = 1,
  kind: "data" | "delete" = "data",
): PartitionFileGroup {
  const name = kind === "data" ? `ducklake-${UUID}.parquet` : `ducklake-${UUID}-delete.parquet`;
  return {
    kind,
    partitionId,
    folder: T + dir,
    sample: `s3://lake/${T}${dir}${name}`,
    sampleKey: `${T}${dir}${name}`,
    values,
    files: n,
    deleteShaped: kind === "delete" && dir === "" ? n : 0,
  };
}
const SPEC_RY = {
  partitionId: 2,
  current: true,
  keys: [
    { index: 0, column: "region", transform: "identity" },
    { index: 1, column: "ts", transform: "year" },
  ],
};
function facts(groups: PartitionFileGroup[], more: Partial<PartitionedTableFacts> = {}): PartitionedTableFacts {
  return { schema: "hr", table: "sales", specs: [SPEC_RY], hiveFilePattern: true, groups, ...more };
}
const grant = (rows: RowFilterKey[]) => ({ schema: "hr", table: "sales", rows });

describe("hive folder names", () => {
  test("hiveEscape keeps RFC 3986 unreserved characters and upper-case percent-encodes the rest as UTF-8 (DuckDB 1.5.5, every ASCII character checked)", () => {
    expect(hiveEscape("AZaz09-._~")).toBe("AZaz09-._~");
    expect(hiveEscape(`!"#$%&'()*+,/:;<=>?@[\\]^\`{|} `)).toBe(
      "%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D%20",
    );
    expect(hiveEscape("ä\u0001\u007f")).toBe("%C3%A4%01%7F");
    expect(hiveEscape("a/b=c d%")).toBe("a%2Fb%3Dc%20d%25"); // as DuckLake wrote it in partitionLayout.duckdb.test.ts
  });
  test("key names: column for identity, transform name for temporal keys, <transform>_<column> on a clash", () => {
    expect(specKeyNames(SPEC_RY)).toEqual(["region", "year"]);
    expect(
      specKeyNames({
        partitionId: 1,
        current: true,
        keys: [
          { index: 0, column: "year", transform: "identity" },
          { index: 1, column: "ts", transform: "year" },
        ],
      }),
    ).toEqual(["year", "year_ts"]);
  });
});

describe("wildcards", () => {
  test("RGW 16 lazy `*` (observed on RGW in partitionStorage.rgwWildcards.test.ts) vs backtracking", () => {
    // `*` stops at the first "-": a UUID with dashes never matches `ducklake-*-delete.parquet` on RGW 16.
    expect(rgwPacificMatch("t/ducklake-*-delete.parquet", `t/ducklake-${UUID}-delete.parquet`)).toBe(false);
    expect(backtrackingMatch("t/ducklake-*-delete.parquet", `t/ducklake-${UUID}-delete.parquet`)).toBe(true);
    expect(rgwPacificMatch("t/ducklake-*-delete.parquet", "t/ducklake-x/y-delete.parquet")).toBe(true);
    // `<key>=*/` spans exactly one folder level on RGW 16; backtracking servers may span more.
    expect(rgwPacificMatch("t/region=*/year=2026/*", "t/region=a/year=2026/f")).toBe(true);
    expect(rgwPacificMatch("t/region=*/year=2026/*", "t/region=/year=2026/f")).toBe(true);
    expect(rgwPacificMatch("t/region=*/year=2026/*", "t/region=a/n=1/year=2026/f")).toBe(false);
    expect(backtrackingMatch("t/region=*/year=2026/*", "t/region=a/n=1/year=2026/f")).toBe(true);
    // `?` is one character on both
    expect(rgwPacificMatch(`t/${DEL}`, `t/ducklake-${UUID}-delete.parquet`)).toBe(true);
    expect(backtrackingMatch(`t/${DEL}`, `t/ducklake-${UUID}.parquet`)).toBe(false);
  });
});

describe("partitionGrantResources", () => {
  test("a leading key gives one folder per value (also values without files yet), a later key `*` for the keys before it; the delete-file pattern always", () => {
    const f = facts([files("region=emea/year=2026/", 2, ["emea", "2026"]), files("region=apac/year=2025/", 2, ["apac", "2025"])]);
    expect(partitionGrantResources(T, f, grant([region(["emea", "a b/c"])]))).toEqual({
      patterns: [T + DEL, `${T}region=a%20b%2Fc/`, `${T}region=emea/`],
      problems: [],
      warnings: [],
    });
    expect(partitionGrantResources(T, f, grant([year(["2026", "2027"])])).patterns).toEqual([
      T + DEL,
      `${T}region=*/year=2026/`,
      `${T}region=*/year=2027/`,
    ]);
    // both keys: every combination, NULL as __HIVE_DEFAULT_PARTITION__
    expect(partitionGrantResources(T, f, grant([region(["emea", null]), year(["2026"])])).patterns).toEqual([
      T + DEL,
      `${T}region=__HIVE_DEFAULT_PARTITION__/year=2026/`,
      `${T}region=emea/year=2026/`,
    ]);
  });

  test("files of the grant written under an earlier spec: their folders are granted too; files of an earlier spec without the grant's keys stay closed (warned)", () => {
    const f = facts(
      [
        files("y=2026/", 1, ["2026"]), // spec 1: identity y (no year(ts))
        files("year=2026/", 3, ["2026"], 4), // spec 3: year(ts) alone
        files("region=emea/year=2026/", 2, ["emea", "2026"]),
      ],
      {
        specs: [
          { partitionId: 1, current: false, keys: [{ index: 0, column: "y", transform: "identity" }] },
          { partitionId: 3, current: false, keys: [{ index: 0, column: "ts", transform: "year" }] },
          SPEC_RY,
        ],
      },
    );
    const r = partitionGrantResources(T, f, grant([year(["2026"])]));
    expect(r.patterns).toEqual([T + DEL, `${T}region=*/year=2026/`, `${T}year=2026/`]);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /1 data file of the table was written \(e\.g\. .*y=2026\/.*\) under an earlier partitioning without the grant's keys/,
      ),
    ]);
  });

  test("a folder that also holds files outside the grant is refused (the same folder name meant another key before re-partitioning)", () => {
    // spec 1 partitioned by an identity column named `year`: its folder year=2026/ holds rows with column year = 2026
    const f = facts([files("year=2026/", 1, ["2026"], 3), files("year=2026/", 3, ["2026"])], {
      specs: [
        { partitionId: 1, current: false, keys: [{ index: 0, column: "year", transform: "identity" }] },
        { partitionId: 3, current: true, keys: [{ index: 0, column: "ts", transform: "year" }] },
      ],
    });
    const r = partitionGrantResources(T, f, grant([year(["2026"])]));
    expect(r.patterns).toEqual([T + DEL]);
    expect(r.problems).toEqual([
      expect.stringMatching(/folder "data\/hr\/sales\/year=2026\/" would also open 3 files outside the grant .*partition spec #1/),
    ]);
  });

  test("files the grant's folders cannot open are counted in warnings with the fix: unpartitioned, hive_file_pattern=false, add_data_files", () => {
    const added: PartitionFileGroup = {
      kind: "data",
      partitionId: 2,
      sample: "s3://lake/imports/region=emea/year=2026/a.parquet",
      values: ["emea", "2026"],
      files: 1,
      deleteShaped: 0,
    };
    const f = facts([
      files("", null, [], 7),
      files("", 2, ["emea", "2026"], 2),
      added,
      files("region=emea/year=2026/", 2, ["emea", "2026"]),
    ]);
    const r = partitionGrantResources(T, f, grant([region(["emea"])]));
    expect(r.patterns).toEqual([T + DEL, `${T}region=emea/`]);
    expect(r.warnings).toEqual([
      expect.stringMatching(/7 data files of the table were written without partitioning .*INSERT INTO/),
      expect.stringMatching(/2 data files of granted partitions lie outside the partition folders .*hive_file_pattern = false/),
      expect.stringMatching(
        /1 data file of granted partitions lies outside the table's folder .*imports\/region=emea.*ducklake_add_data_files/,
      ),
    ]);
  });

  test("hive_file_pattern = false (or an encrypted lake): no folder for new files, warned", () => {
    const r = partitionGrantResources(T, facts([], { hiveFilePattern: false }), grant([region(["emea"])]));
    expect(r.patterns).toEqual([T + DEL]);
    expect(r.warnings).toEqual([expect.stringMatching(/hive_file_pattern = false.*set_option\('hive_file_pattern', true/)]);
  });

  test("refusals: a data file named like a delete file; the string __HIVE_DEFAULT_PARTITION__ without null", () => {
    const shaped = { ...files("", null, []), deleteShaped: 1 };
    expect(partitionGrantResources(T, facts([shaped]), grant([region(["emea"])])).problems).toEqual([
      expect.stringMatching(/1 data file of the table is named like a delete file/),
    ]);
    expect(partitionGrantResources(T, facts([]), grant([region(["__HIVE_DEFAULT_PARTITION__"])])).problems).toEqual([
      expect.stringMatching(/same folder as NULL/),
    ]);
    expect(partitionGrantResources(T, facts([]), grant([region(["__HIVE_DEFAULT_PARTITION__", null])])).problems).toEqual([]);
  });

  test("a table whose files were not read (no catalog yet): nothing granted, warned", () => {
    expect(partitionGrantResources(T, undefined, grant([region(["emea"])]))).toEqual({
      patterns: [],
      problems: [],
      warnings: [expect.stringMatching(/not read from the catalog/)],
    });
  });
});

describe("buildBucketPolicy with partition grants", () => {
  const layout = (groups: PartitionFileGroup[], more: Partial<LakeLayout> = {}): LakeLayout => ({
    dataPath: "s3://lake/data/",
    bucket: "lake",
    dataPrefix: "data/",
    schemas: [{ name: "hr", path: "hr/", pathIsRelative: true }],
    tables: [
      { schema: "hr", name: "sales", path: "sales/", pathIsRelative: true },
      { schema: "hr", name: "people", path: "people/", pathIsRelative: true },
    ],
    outsideFiles: [],
    partitions: [facts(groups)],
    ...more,
  });
  const readers: ReaderSpec[] = ["a", "b"].map((n, i) => ({
    name: n,
    principal: { projectId: "2002", accessKey: `K${i}`.padEnd(20, "0") },
  }));
  const arn = (r: ReaderSpec) => `arn:aws:iam:::user/p2002:${r.principal.accessKey}`;
  const g = (reader: string, rows?: RowFilterKey[], table = "sales"): NormalizedGrant => ({
    reader,
    schema: "hr",
    table,
    mode: "read",
    ...(rows ? { rows } : {}),
    key: `${reader}/${table}/${JSON.stringify(rows)}`,
  });

  test("the reader reads its partitions and the delete files, nothing else of the table; no listing; the document passes the grammar check", () => {
    const p = buildBucketPolicy({
      bucket: "lake",
      ownerProjectId: "1001",
      readers,
      grants: [g("a", [year(["2026"])]), g("b", undefined, "people")],
      layout: layout([files("region=emea/year=2026/", 2, ["emea", "2026"])]),
    });
    expect(p.problems).toEqual([]);
    expect(policyGrammarProblems(p.json)).toEqual([]);
    expect(p.readerPrefixes.a).toEqual([T + DEL, `${T}region=*/year=2026/`]);
    const can = (r: ReaderSpec, key: string) => evaluatePolicy(p.document, arn(r), "s3:GetObject", key, { bucket: "lake" });
    expect(can(readers[0], `${T}region=emea/year=2026/x.parquet`)).toBe(true);
    expect(can(readers[0], `${T}region=apac/year=2026/x.parquet`)).toBe(true);
    expect(can(readers[0], `${T}region=emea/year=2025/x.parquet`)).toBe(false);
    expect(can(readers[0], `${T}ducklake-${UUID}.parquet`)).toBe(false);
    expect(can(readers[0], `${T}ducklake-${UUID}-delete.parquet`)).toBe(true);
    expect(can(readers[0], `data/hr/people/x.parquet`)).toBe(false);
    expect(evaluatePolicy(p.document, arn(readers[0]), "s3:ListBucket", T, { bucket: "lake" })).toBe(false);
    expect(can(readers[1], `data/hr/people/x.parquet`)).toBe(true);
  });

  test("with allowListing, listing is allowed inside the partition folders only (not the delete-file pattern)", () => {
    const p = buildBucketPolicy({
      bucket: "lake",
      ownerProjectId: "1001",
      readers,
      grants: [g("a", [region(["emea"])])],
      layout: layout([]),
      allowListing: true,
    });
    const list = p.document.Statement.filter((s) => s.Action === "s3:ListBucket");
    expect(list.map((s) => s.Condition)).toEqual([{ StringLike: { "s3:prefix": [`${T}region=emea/*`] } }]);
  });

  test("a whole-table grant elsewhere that covers a partition-granted table's folder is refused (it would open every partition)", () => {
    const l = layout([], {
      tables: [
        { schema: "hr", name: "sales", path: "sales/", pathIsRelative: true },
        { schema: "hr", name: "all", path: "", pathIsRelative: true }, // folder data/hr/ contains data/hr/sales/
      ],
    });
    const p = buildBucketPolicy({
      bucket: "lake",
      ownerProjectId: "1001",
      readers,
      grants: [g("a", [region(["emea"])]), g("a", undefined, "all")],
      layout: l,
    });
    expect(p.problems).toEqual([
      expect.stringMatching(
        /folder "data\/hr\/" overlaps folder "data\/hr\/sales\/" of table "hr"."sales", which the reader is not granted/,
      ),
    ]);
  });

  test("a table nested inside a partition-granted table's folder is refused", () => {
    const l = layout([], {
      tables: [
        { schema: "hr", name: "sales", path: "sales/", pathIsRelative: true },
        { schema: "hr", name: "inner", path: "sales/region=emea/", pathIsRelative: true },
      ],
    });
    const p = buildBucketPolicy({ bucket: "lake", ownerProjectId: "1001", readers, grants: [g("a", [region(["emea"])])], layout: l });
    expect(p.problems).toEqual([
      expect.stringMatching(
        /partition folders of table "hr"."sales" .* overlap folder "data\/hr\/sales\/region=emea\/" of table "hr"."inner"/,
      ),
    ]);
  });

  test("an owner-project key with a partition grant is confined by Deny statements with the same patterns", () => {
    const owner: ReaderSpec = { name: "o", principal: { projectId: "1001", accessKey: "K9".padEnd(20, "0") } };
    const p = buildBucketPolicy({
      bucket: "lake",
      ownerProjectId: "1001",
      readers: [owner],
      grants: [g("o", [region(["emea"])])],
      layout: layout([]),
      ownerProjectKeys: "deny",
    });
    expect(p.problems).toEqual([]);
    const ownerArn = `arn:aws:iam:::user/p1001:${owner.principal.accessKey}`;
    const can = (key: string) => evaluatePolicy(p.document, ownerArn, "s3:GetObject", key, { bucket: "lake", owner: true });
    expect(can(`${T}region=emea/x.parquet`)).toBe(true);
    expect(can(`${T}region=apac/x.parquet`)).toBe(false);
  });

  test("too large: the size advice never suggests turning partition grants into a schema grant", () => {
    const names = ["t0", "t1", "t2", "t3", "t4", "t5"];
    const many: LakeLayout = {
      ...layout([]),
      tables: names.map((n) => ({ schema: "hr", name: n, path: `${n}/`, pathIsRelative: true })),
      partitions: names.map((n) => ({ ...facts([]), table: n })),
    };
    const build = (rows?: RowFilterKey[]) =>
      buildBucketPolicy({
        bucket: "lake",
        ownerProjectId: "1001",
        readers,
        grants: names.map((n) => g("a", rows, n)),
        layout: many,
        limitBytes: 250,
      });
    // The same tables granted whole: the advice offers the schema grant.
    expect(build().problems[0]).toMatch(/"a" gets all of "hr"/);
    const p = build([region(["emea"])]);
    expect(p.problems).toHaveLength(1);
    expect(p.problems[0]).toMatch(/over the 250-byte limit/);
    expect(p.problems[0]).not.toMatch(/gets all of/);
  });
});

describe("effectiveHivePattern (postgres/partitionFiles.ts)", () => {
  const opt = (key: string, value: string, scope: string | null = null, scopeId: number | null = null) => ({ key, value, scope, scopeId });
  test("table option, else schema option, else global, else true unless the lake is encrypted", () => {
    expect(effectiveHivePattern([], 1, 7)).toBe(true);
    expect(effectiveHivePattern([opt("encrypted", "true")], 1, 7)).toBe(false);
    expect(effectiveHivePattern([opt("encrypted", "true"), opt("hive_file_pattern", "true")], 1, 7)).toBe(true);
    expect(effectiveHivePattern([opt("hive_file_pattern", "false", "schema", 1)], 1, 7)).toBe(false);
    expect(effectiveHivePattern([opt("hive_file_pattern", "false", "schema", 2)], 1, 7)).toBe(true);
    expect(effectiveHivePattern([opt("hive_file_pattern", "false", "schema", 1), opt("hive_file_pattern", "true", "table", 7)], 1, 7)).toBe(
      true,
    );
    expect(effectiveHivePattern([opt("hive_file_pattern", "false", "table", 8)], 1, 7)).toBe(true);
  });
});
