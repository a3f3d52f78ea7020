// The indexed (linear) bucket-policy build against the frozen pre-issue-15 algorithm (test/support/legacyPolicy,
// an oracle only): same JSON byte for byte, same problems, warnings and folders, on randomized layouts shaped
// like real catalogs (renamed tables, UUID folders, paths stored without their final "/", absolute paths,
// case-folded and ambiguous names, overlapping folders, files outside their folder) and random grants.
import { NormalizedGrant, ReaderSpec } from "../../model/accessSpec";
import { buildBucketPolicy, BucketPolicyInput } from "../../model/bucketPolicy";
import {
  emptyLayout,
  grantPrefixes,
  indexLayout,
  LakeLayout,
  layoutIndex,
  schemaPrefix,
  tableFileLocation,
  tablePrefix,
  tablesReachedBy,
} from "../../model/lakePaths";
import { legacyBuildBucketPolicy } from "../support/legacyPolicy/bucketPolicy";
import * as legacy from "../support/legacyPolicy/lakePaths";
import { pick, rng } from "../support/random";

const SCHEMA_NAMES = ["sales", "Sales", "fin", "odd name", "s", "sa", "x-1", "root", "ext", "backups"];
const TABLE_NAMES = ["orders", "Orders", "t", "t2", "tx", "ledger", "returns", "new table", "w*ld", "loose", "loose_archive"];
const UUID = "6f1c0a52-0000-4000-8000-00000000000";

function randomLayout(r: () => number): LakeLayout {
  const l = emptyLayout(pick(r, ["s3://lake/data/", "s3://lake/"]));
  const schemaPath = (name: string, i: number) =>
    pick(r, [
      { path: `${name}/`, pathIsRelative: true },
      { path: `${name}/`, pathIsRelative: true },
      { path: `${UUID}${i}/`, pathIsRelative: true }, // UUID folder (name with characters outside [A-Za-z0-9_-])
      { path: name, pathIsRelative: true }, // stored without the final "/"
      { path: "", pathIsRelative: true },
      { path: "s3://lake/data/elsewhere/", pathIsRelative: false },
      { path: "s3://lake/data/sales/", pathIsRelative: false },
      { path: "s3://other/x/", pathIsRelative: false },
      { path: "s3://lake", pathIsRelative: false },
      { path: "s3://lake/backups/", pathIsRelative: false },
    ]);
  const nSchemas = Math.floor(r() * 6);
  l.schemas = Array.from({ length: nSchemas }, (_, i) => {
    const name = pick(r, SCHEMA_NAMES);
    return { schemaId: i, name, ...schemaPath(name, i) };
  });
  const tablePath = (name: string, i: number) =>
    pick(r, [
      { path: `${name}/`, pathIsRelative: true },
      { path: `${name}/`, pathIsRelative: true },
      { path: `${name}/`, pathIsRelative: true },
      { path: `${name}_v1/`, pathIsRelative: true }, // renamed: keeps its old folder
      { path: `${UUID}${i % 10}/`, pathIsRelative: true },
      { path: name, pathIsRelative: true }, // without the final "/": its folder is a sibling's name prefix
      { path: "t", pathIsRelative: true },
      { path: "a/b/", pathIsRelative: true },
      { path: "a/", pathIsRelative: true },
      { path: "", pathIsRelative: true },
      { path: "s3://lake/data/archive/moved/", pathIsRelative: false },
      { path: "s3://lake/data/sales/", pathIsRelative: false },
      { path: "s3://lake/data/", pathIsRelative: false },
      { path: "s3://lake/backups/t/", pathIsRelative: false },
      { path: "s3://other/t/", pathIsRelative: false },
    ]);
  const nTables = Math.floor(r() * 14);
  const schemaOf = () => (l.schemas.length > 0 && r() < 0.85 ? pick(r, l.schemas).name : pick(r, SCHEMA_NAMES));
  l.tables = Array.from({ length: nTables }, (_, i) => {
    const name = pick(r, TABLE_NAMES);
    return { tableId: 100 + i, schema: schemaOf(), name, ...tablePath(name, i) };
  });
  const nFiles = l.tables.length === 0 ? 0 : Math.floor(r() * 5);
  l.outsideFiles = Array.from({ length: nFiles }, () => {
    const t = pick(r, l.tables);
    return {
      schema: r() < 0.9 ? t.schema : pick(r, SCHEMA_NAMES),
      table: t.name,
      kind: pick(r, ["data", "delete"] as const),
      location: pick(r, [
        "s3://lake/data/sales/orders/x.parquet",
        "s3://lake/data/salesx.parquet",
        "s3://lake/imports/a.parquet",
        "s3://other/data/a.parquet",
        "s3://lake/data/a/b/c.parquet",
        "s3://lake/data/sales/t/y.parquet",
        "s3://lake/data/fin/ledger/z.parquet",
      ]),
    };
  });
  return l;
}

function randomInput(r: () => number, layout: LakeLayout): BucketPolicyInput {
  const nReaders = 1 + Math.floor(r() * 5);
  const readers: ReaderSpec[] = Array.from({ length: nReaders }, (_, i) => ({
    name: `r${i}`,
    principal: { projectId: r() < 0.15 ? "1001" : "2002", accessKey: `K${String(r() < 0.05 ? 0 : i).padStart(19, "0")}` },
  }));
  const grants: NormalizedGrant[] = Array.from({ length: Math.floor(r() * 8) }, (_, i) => {
    const reader = r() < 0.95 ? pick(r, readers).name : "ghost";
    const existing = layout.tables.length > 0 && r() < 0.6 ? pick(r, layout.tables) : undefined;
    const fold = (s: string) => (r() < 0.2 ? s.toUpperCase() : s);
    const schema = fold(existing?.schema ?? pick(r, SCHEMA_NAMES));
    const table = r() < 0.3 ? null : fold(existing?.name ?? pick(r, TABLE_NAMES));
    return { reader, schema, table, mode: "read", key: `g${i}` };
  });
  return {
    bucket: r() < 0.95 ? "lake" : "other",
    ownerProjectId: "1001",
    readers,
    grants,
    layout,
    allowListing: r() < 0.5,
    backupsPrefix: pick(r, ["backups/", "backups/", "", "data/sales/", "dumps"]),
    limitBytes: Infinity,
    ownerProjectKeys: r() < 0.5 ? "deny" : "refuse",
  };
}

const comparable = (p: {
  json: string;
  bytes: number;
  problems: string[];
  warnings: string[];
  readerPrefixes: Record<string, string[]>;
}) => ({ json: p.json, bytes: p.bytes, problems: p.problems, warnings: p.warnings, readerPrefixes: p.readerPrefixes });

describe("indexed bucket-policy build vs the pre-issue-15 algorithm (oracle)", () => {
  it("gives byte-identical JSON, problems, warnings and folders on 3,000 random layouts and grants", () => {
    const r = rng(15);
    let withProblems = 0,
      withStatements = 0,
      overlapProblems = 0,
      outsideProblems = 0;
    for (let i = 0; i < 3000; i++) {
      const layout = randomLayout(r);
      const input = randomInput(r, layout);
      const old = comparable(legacyBuildBucketPolicy(input));
      expect({ seed: i, ...comparable(buildBucketPolicy(input)) }).toEqual({ seed: i, ...old });
      // The same through a sealed, indexed layout (what the program's layout reader returns).
      const sealed = indexLayout(JSON.parse(JSON.stringify(layout)) as LakeLayout);
      expect({ seed: i, ...comparable(buildBucketPolicy({ ...input, layout: sealed })) }).toEqual({ seed: i, ...old });
      if (old.problems.length) withProblems++;
      if (old.json.includes("Allow")) withStatements++;
      if (old.problems.some((p) => p.includes("overlaps folder"))) overlapProblems++;
      if (old.problems.some((p) => p.includes("lies in granted folder"))) outsideProblems++;
    }
    // The generator reaches every branch the rewrite touched (not only the easy, problem-free cases).
    expect(withStatements).toBeGreaterThan(300);
    expect(withProblems).toBeGreaterThan(300);
    expect(overlapProblems).toBeGreaterThan(50);
    expect(outsideProblems).toBeGreaterThan(10);
  });

  it("resolves every folder, file and reach exactly as before (tablePrefix, schemaPrefix, grantPrefixes, tableFileLocation, tablesReachedBy)", () => {
    const r = rng(1515);
    for (let i = 0; i < 400; i++) {
      const layout = randomLayout(r);
      const sealed = indexLayout(JSON.parse(JSON.stringify(layout)) as LakeLayout);
      for (let k = 0; k < 6; k++) {
        const schema = r() < 0.3 ? pick(r, SCHEMA_NAMES).toUpperCase() : pick(r, SCHEMA_NAMES);
        const table = pick(r, TABLE_NAMES);
        const file = {
          path: pick(r, ["x.parquet", "/x.parquet", "../y/x.parquet", "s3://lake/data/sales/orders/x.parquet"]),
          pathIsRelative: r() < 0.7,
        };
        const backupsPrefix = pick(r, ["backups/", "", "data/"]);
        const grant = { schema, table: r() < 0.4 ? null : table };
        for (const l of [layout, sealed, layoutIndex(layout)]) {
          expect(tablePrefix(l, schema, table)).toEqual(legacy.tablePrefix(layout, schema, table));
          expect(schemaPrefix(l, schema)).toEqual(legacy.schemaPrefix(layout, schema));
          expect(grantPrefixes(l, grant, { backupsPrefix })).toEqual(legacy.grantPrefixes(layout, grant, { backupsPrefix }));
          expect(tableFileLocation(l, schema, table, file)).toEqual(legacy.tableFileLocation(layout, schema, table, file));
          const reach = ["data/", "data/sales/", "data/a/b/c/", pick(r, ["", "data/s"]) + "/"];
          expect(tablesReachedBy(l, reach)).toEqual(legacy.tablesReachedBy(layout, reach));
        }
      }
    }
  });

  it("indexLayout seals the layout: an edit after indexing throws instead of leaving a stale index", () => {
    const l = indexLayout(emptyLayout("s3://lake/data/"));
    expect(Object.isFrozen(l) && Object.isFrozen(l.tables)).toBe(true);
    expect(() => {
      (l.tables as unknown as unknown[]).push({});
    }).toThrow();
    expect(() => {
      (l as { dataPath: string }).dataPath = "s3://x/";
    }).toThrow();
    // A copy (spread, Pulumi's Output unwrapping) is a plain layout again, resolved afresh.
    const copy = {
      ...l,
      schemas: [{ name: "s", path: "s/", pathIsRelative: true }],
      tables: [{ schema: "s", name: "t", path: "moved/", pathIsRelative: true }],
    };
    expect(tablePrefix(copy, "s", "t")).toBe("data/s/moved/");
    expect(tablePrefix(l, "s", "t")).toBe("data/s/t/");
  });
});
