// Bucket-policy apply time on a real Ceph RGW (the software of Hetzner Object Storage), by policy size:
// PutBucketPolicy of policies built by model/bucketPolicy.ts for growing readers × grants, each followed by
// one authorised GET (the first request evaluated against the new policy). Ratios are against applying a
// one-reader policy in the same run. Starts its own RGW (scripts/local-rgw.sh) and stops it.
// Run: npx ts-node --transpile-only bench/policy-apply.ts
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CreateBucketCommand, GetObjectCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { NormalizedGrant, ReaderSpec } from "../model/accessSpec";
import { buildBucketPolicy } from "../model/bucketPolicy";
import { emptyLayout } from "../model/lakePaths";

const root = path.resolve(__dirname, "..");
const dir = `/tmp/ducklake-pulumi/bench-rgw-${process.pid}`;
const rgw = (cmd: string) =>
  execFileSync("bash", [path.join(root, "scripts", "local-rgw.sh"), cmd], {
    env: { ...process.env, LAKE_RGW_DIR: dir, PURGE: "1" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
const client = (endpoint: string, k: { accessKey: string; secretKey: string }) =>
  new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: k.accessKey, secretAccessKey: k.secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 1,
  });

async function main(): Promise<void> {
  const creds = JSON.parse(rgw("start"));
  try {
    const admin = client(creds.endpoint, creds.admin);
    const reader = client(creds.endpoint, creds.readers[0]);
    await admin.send(new CreateBucketCommand({ Bucket: "lake" }));
    await admin.send(new PutObjectCommand({ Bucket: "lake", Key: "data/s0/t0/f.parquet", Body: "x" }));
    const layout = emptyLayout("s3://lake/data/");
    const runs = 5;
    const measure = async (readers: number, grantsPerReader: number) => {
      // reader 0 is the real key (granted s0.t0); the others are distinct keys of the same project
      const rs: ReaderSpec[] = Array.from({ length: readers }, (_, i) => ({
        name: `r${i}`,
        principal: {
          projectId: creds.readerProject,
          accessKey: i === 0 ? creds.readers[0].accessKey : `P2002${String(i).padStart(15, "0")}`,
        },
      }));
      const gs: NormalizedGrant[] = rs.flatMap((r, i) =>
        Array.from({ length: grantsPerReader }, (_, k) => {
          const n = i === 0 && k === 0 ? 0 : i * grantsPerReader + k; // distinct tables per reader: the worst case
          return { reader: r.name, schema: `s${n % 50}`, table: `t${n}`, mode: "read" as const, key: `${r.name}/s${n % 50}/t${n}` };
        }),
      );
      const built = buildBucketPolicy({
        bucket: "lake",
        ownerProjectId: creds.adminProject,
        readers: rs,
        grants: gs,
        layout,
        limitBytes: Infinity,
      });
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = process.hrtime.bigint();
        await admin.send(new PutBucketPolicyCommand({ Bucket: "lake", Policy: built.json }));
        await reader.send(new GetObjectCommand({ Bucket: "lake", Key: "data/s0/t0/f.parquet" }));
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      times.sort((a, b) => a - b);
      return { bytes: built.bytes, ms: times[Math.floor(runs / 2)] };
    };
    const base = await measure(1, 1);
    console.log(`policy apply on Ceph RGW ${creds.endpoint} (median of ${runs}: PutBucketPolicy + first authorised GET)`);
    console.log(`  baseline 1 reader x 1 grant: ${base.bytes} B, ${base.ms.toFixed(1)} ms`);
    for (const [n, k] of [
      [10, 10],
      [50, 100],
      [125, 100],
      [180, 100],
    ]) {
      const m = await measure(n, k);
      console.log(
        `  ${`${n} x ${k}`.padEnd(9)} ${(m.bytes / 1024).toFixed(0).padStart(5)} KiB  ${m.ms.toFixed(1).padStart(7)} ms  ${(m.ms / base.ms).toFixed(1)}x baseline`,
      );
    }
  } finally {
    rgw("stop");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
main().catch((e) => {
  console.error(e);
  rgw("stop");
  process.exit(1);
});
