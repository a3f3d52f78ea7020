// Bucket-policy bytes vs readers x grants for this project's encoding and a per-reader baseline
// (ducklake-guard style: GetBucketLocation + ListBucket with 2 prefixes per table + GetObject, per reader).
// Run: npx ts-node --transpile-only bench/policy-size.ts
import { NormalizedGrant, ReaderSpec } from "../model/accessSpec";
import { buildBucketPolicy } from "../model/bucketPolicy";
import { emptyLayout } from "../model/lakePaths";
import { principalArn } from "../model/principal";
import { rng } from "../test/support/random";

const layout = emptyLayout("s3://lake/data/");
const name = (i: number) => `K${String(i).padStart(19, "0")}`;
const readers = (n: number): ReaderSpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `r${i}`, principal: { projectId: "2002", accessKey: name(i) } }));
// 20-character table names in 10-character schemas.
const table = (i: number): [string, string] => [`schema_${String(i % 50).padStart(3, "0")}`, `table_${String(i).padStart(14, "0")}`];

function baseline(rs: ReaderSpec[], grants: NormalizedGrant[]): number {
  const st = rs
    .map((r) => {
      const ps = grants.filter((g) => g.reader === r.name).map((g) => `data/${g.schema}/${g.table}/`);
      return [
        {
          Effect: "Allow",
          Principal: { AWS: [principalArn(r.principal)] },
          Action: ["s3:GetBucketLocation"],
          Resource: ["arn:aws:s3:::lake"],
        },
        {
          Effect: "Allow",
          Principal: { AWS: [principalArn(r.principal)] },
          Action: ["s3:ListBucket"],
          Resource: ["arn:aws:s3:::lake"],
          Condition: { StringLike: { "s3:prefix": ps.flatMap((p) => [p, `${p}*`]) } },
        },
        {
          Effect: "Allow",
          Principal: { AWS: [principalArn(r.principal)] },
          Action: ["s3:GetObject"],
          Resource: ps.map((p) => `arn:aws:s3:::lake/${p}*`),
        },
      ];
    })
    .flat();
  return Buffer.byteLength(JSON.stringify({ Version: "2012-10-17", Statement: st }));
}

type Scenario = "disjoint" | "random-1000" | "random-200" | "teams";
function grantsFor(s: Scenario, rs: ReaderSpec[], perReader: number): NormalizedGrant[] {
  const r = rng(1);
  const g = (reader: string, i: number): NormalizedGrant => {
    const [sc, t] = table(i);
    return { reader, schema: sc, table: t, mode: "read", key: `${reader}/${sc}/${t}` };
  };
  return rs.flatMap((rd, ri) => {
    if (s === "disjoint") return Array.from({ length: perReader }, (_, k) => g(rd.name, ri * perReader + k));
    if (s === "teams") {
      // 10 teams share 90% of their tables; each reader adds personal ones
      const team = ri % 10;
      return [
        ...Array.from({ length: Math.floor(perReader * 0.9) }, (_, k) => g(rd.name, team * 1000 + k)),
        ...Array.from({ length: perReader - Math.floor(perReader * 0.9) }, (_, k) => g(rd.name, 100000 + ri * 100 + k)),
      ];
    }
    const n = s === "random-1000" ? 1000 : 200;
    const picked = new Set<number>();
    while (picked.size < Math.min(perReader, n)) picked.add(Math.floor(r() * n));
    return [...picked].map((i) => g(rd.name, i));
  });
}

const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
console.log("scenario      readers x grants  baseline   ours(get)  ours(get+list)  ratio(get)  fits 1 MB (10^6 B)");
for (const s of ["teams", "random-200", "random-1000", "disjoint"] as Scenario[]) {
  for (const [n, k] of [
    [50, 100],
    [125, 100],
    [200, 50],
    [200, 100],
  ]) {
    const rs = readers(n);
    const gs = grantsFor(s, rs, k);
    const t0 = process.hrtime.bigint();
    const get = buildBucketPolicy({ bucket: "lake", ownerProjectId: "1001", readers: rs, grants: gs, layout, limitBytes: Infinity });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const list = buildBucketPolicy({
      bucket: "lake",
      ownerProjectId: "1001",
      readers: rs,
      grants: gs,
      layout,
      allowListing: true,
      limitBytes: Infinity,
    });
    const base = baseline(rs, gs);
    console.log(
      `${s.padEnd(13)} ${`${n} x ${k}`.padEnd(17)} ${kib(base).padEnd(10)} ${kib(get.bytes).padEnd(10)} ${kib(list.bytes).padEnd(15)} ${(get.bytes / base).toFixed(3).padEnd(11)} ${get.bytes <= 1e6 ? "yes" : "no"} (${list.bytes <= 1e6 ? "yes" : "no"} with list)  build ${ms.toFixed(0)} ms`,
    );
  }
}
