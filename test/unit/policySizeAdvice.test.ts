// The too-large message on a concrete case: 200 readers x 100 distinct table grants (25 tables in each of 4
// schemas), over Hetzner's 1 MB. Every figure the message gives is recomputed here independently.
import { NormalizedGrant, ReaderSpec } from "../../model/accessSpec";
import { buildBucketPolicy, BucketPolicyInput, HETZNER_POLICY_LIMIT_BYTES } from "../../model/bucketPolicy";
import { emptyLayout } from "../../model/lakePaths";

const pad = (n: number, w: number) => String(n).padStart(w, "0");
const readers: ReaderSpec[] = Array.from({ length: 200 }, (_, i) => ({
  name: `r${pad(i, 3)}`,
  principal: { projectId: "2002", accessKey: `K${pad(i, 19)}` },
}));
const schemaOf = (i: number, j: number) => `schema_${pad((i * 4 + j) % 50, 2)}`;
// Reader r007's tables have longer names: its folders cost most.
const tableOf = (i: number, j: number, k: number) =>
  i === 7 ? `a_much_longer_table_name_${pad(j * 25 + k, 3)}` : `table_${pad(i, 3)}_${pad(j * 25 + k, 3)}`;
const grants: NormalizedGrant[] = readers.flatMap((r, i) =>
  Array.from({ length: 100 }, (_, n) => {
    const j = Math.floor(n / 25),
      k = n % 25;
    return { reader: r.name, schema: schemaOf(i, j), table: tableOf(i, j, k), mode: "read" as const, key: `${r.name}/${n}` };
  }),
);
const input = (over: Partial<BucketPolicyInput> = {}): BucketPolicyInput => ({
  bucket: "lake",
  ownerProjectId: "1001",
  readers,
  grants,
  layout: emptyLayout("s3://lake/data/"),
  ...over,
});
const item = (s: string) => Buffer.byteLength(JSON.stringify(s)) + 1;
const folderBytes = (schema: string, table: string) => item(`arn:aws:s3:::lake/data/${schema}/${table}/*`);
const fmt = (n: number) => Math.round(n).toLocaleString("en");

describe("too-large bucket policy message", () => {
  const p = buildBucketPolicy(input());
  const message = p.problems.find((x) => x.startsWith("bucket policy for lake is"))!;

  it("is refused with the size, the excess and the counts", () => {
    expect(p.bytes).toBeGreaterThan(HETZNER_POLICY_LIMIT_BYTES);
    expect(p.problems).toHaveLength(1);
    expect(message.split("\n")[0]).toBe(
      `bucket policy for lake is ${fmt(p.bytes)} bytes, ${fmt(p.bytes - HETZNER_POLICY_LIMIT_BYTES)} over ` +
        "the 1,000,000-byte limit (200 readers, 20000 reader-folder grants). To shrink it:",
    );
  });

  it("names the costliest reader and reader-schema pair with their bytes", () => {
    const r7 = grants.filter((g) => g.reader === "r007").reduce((n, g) => n + folderBytes(g.schema, g.table!), 0);
    const r7s = grants
      .filter((g) => g.reader === "r007" && g.schema === schemaOf(7, 0))
      .reduce((n, g) => n + folderBytes(g.schema, g.table!), 0);
    expect(message).toContain(`costliest readers: "r007" 100 folders ~${fmt(r7)} bytes; "r000" 100 folders`);
    expect(message).toContain(`costliest reader-schema pairs: "r007" in "${schemaOf(7, 0)}": 25 tables ~${fmt(r7s)} bytes`);
  });

  it("says how many schema grants make it fit, and the size then is what building that policy gives", () => {
    const m =
      /replacing the table grants of (\d+) reader-schema pair\(s\) by schema grants .* saves ~[\d,]+ bytes: the policy would be ([\d,]+) bytes \(fits, ([\d,]+) bytes to spare\)/.exec(
        message,
      );
    expect(m).not.toBeNull();
    const k = Number(m![1]);
    expect(k).toBeGreaterThan(0);
    expect(k).toBeLessThan(800);
    expect(message).toContain(`"r007" gets all of "${schemaOf(7, 0)}" instead of 25 tables`);
    // Independently: r007's four schemas first (its folders cost most), then readers and schemas in name order.
    const order = [
      ...[0, 1, 2, 3].map((j) => ["r007", schemaOf(7, j)]),
      ...readers
        .filter((r) => r.name !== "r007")
        .flatMap((r) => [0, 1, 2, 3].map((j) => [r.name, schemaOf(Number(r.name.slice(1)), j)]))
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1)),
    ];
    const chosen = new Set(order.slice(0, k).map((x) => x.join("/")));
    const replaced = [
      ...grants.filter((g) => !chosen.has(`${g.reader}/${g.schema}`)),
      ...order.slice(0, k).map(([reader, schema]) => ({ reader, schema, table: null, mode: "read" as const, key: `${reader}/${schema}` })),
    ];
    const after = buildBucketPolicy(input({ grants: replaced }));
    expect(after.problems).toEqual([]);
    expect(fmt(after.bytes)).toBe(m![2]);
    expect(fmt(HETZNER_POLICY_LIMIT_BYTES - after.bytes)).toBe(m![3]);
  });

  it("says how many shared sets fit, and that estimate holds when readers share sets", () => {
    const m = /shared sets: the 200 readers hold 200 distinct folder sets; at 100 tables per set the limit holds ~(\d+) distinct sets/.exec(
      message,
    );
    expect(m).not.toBeNull();
    const sets = Number(m![1]);
    const shared = (n: number) =>
      readers.flatMap((r, i) =>
        grants.filter((g) => g.reader === readers[i % n].name).map((g) => ({ ...g, reader: r.name, key: `${r.name}/${g.key}` })),
      );
    expect(buildBucketPolicy(input({ grants: shared(sets) })).bytes).toBeLessThanOrEqual(HETZNER_POLICY_LIMIT_BYTES);
    expect(buildBucketPolicy(input({ grants: shared(sets + 2) })).bytes).toBeGreaterThan(HETZNER_POLICY_LIMIT_BYTES);
  });

  it("with listing on, says exactly what turning it off saves", () => {
    const listed = buildBucketPolicy(input({ allowListing: true }));
    const m =
      /listing: allowListing: false removes ([\d,]+) bytes of ListBucket statements \(policy then ([\d,]+) bytes: still over\)/.exec(
        listed.problems[0],
      );
    expect(m).not.toBeNull();
    expect(m![1]).toBe(fmt(listed.bytes - p.bytes));
    expect(m![2]).toBe(fmt(p.bytes));
    expect(message).not.toContain("listing:");
  });
});
