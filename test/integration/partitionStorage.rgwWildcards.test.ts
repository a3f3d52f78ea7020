// How Ceph RGW 16 evaluates wildcards inside an object key of a policy Resource, the evidence behind the partition
// grant patterns (model/partitionFolders.ts): `*` in the middle works but is lazy (it stops at the first character
// equal to the one after it, no backtracking), `?` is exactly one character. A percent-encoded value cannot forge a
// folder level. model/partitionFolders.ts rgwPacificMatch must agree with RGW on every probe.
import { GetObjectCommand, PutBucketPolicyCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createTestBucket, s3Client } from "../support/s3";
import { rgw } from "../support/services";
import { backtrackingMatch, rgwPacificMatch } from "../../model/partitionFolders";
import { policyGrammarProblems } from "../../model/policyGrammar";

const svc = rgw();
const admin = s3Client(svc.admin);
const readerKey = svc.readers[0];
const reader = s3Client(readerKey);
const principal = `arn:aws:iam:::user/p${svc.readerProject}:${readerKey.accessKey}`;
const U = "0193a1b2-aaaa-7bbb-8ccc-0123456789ab";
const T = "data/hr/t/";
const KEYS = [
  "region=a/year=2026/f.parquet",
  "region=a/n=1/year=2026/f.parquet",
  "region=a/year=2025/f.parquet",
  "region=a%2Fyear%3D2026/year=2025/f.parquet", // the value "a/year=2026" as DuckDB writes it
  "region=/year=2026/f.parquet",
  "region=A/year=2026/f.parquet",
  "year=2026/f.parquet",
  `ducklake-${U}-delete.parquet`,
  `ducklake-${U}.parquet`,
  `year=2025/ducklake-${U}-delete.parquet`,
  "ducklake-x/y-delete.parquet",
].map((k) => T + k);

let bucket: string;
beforeAll(async () => {
  bucket = await createTestBucket("wildcards");
  for (const k of KEYS) await admin.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: "x" }));
}, 60_000);

async function readable(key: string): Promise<boolean> {
  try {
    await reader.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (e) {
    const code = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (code === 403) return false;
    throw e;
  }
}

/** Applies one Allow of `resource` and returns the readable keys (table-relative). */
async function readableUnder(resource: string): Promise<string[]> {
  const json = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: principal }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/${resource}` }],
  });
  expect(policyGrammarProblems(json)).toEqual([]);
  await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: json }));
  const out: string[] = [];
  for (const k of KEYS) if (await readable(k)) out.push(k.slice(T.length));
  // the model of RGW 16's matcher agrees on every key
  expect(KEYS.filter((k) => rgwPacificMatch(resource, k)).map((k) => k.slice(T.length))).toEqual(out);
  return out;
}

test("partitionStorage: `<key>=*/` in the middle matches one folder level on RGW 16, any value (also empty); a value cannot forge a level", async () => {
  expect(await readableUnder(`${T}region=*/year=2026/*`)).toEqual([
    "region=a/year=2026/f.parquet",
    "region=/year=2026/f.parquet",
    "region=A/year=2026/f.parquet",
  ]);
  // Case-sensitive:
  expect(await readableUnder(`${T}region=a/year=2026/*`)).toEqual(["region=a/year=2026/f.parquet"]);
}, 60_000);

test("partitionStorage: `*` is lazy on RGW 16, so `ducklake-*-delete.parquet` misses real delete files (UUIDs have dashes); one `?` per character matches exactly them", async () => {
  expect(await readableUnder(`${T}ducklake-*-delete.parquet`)).toEqual(["ducklake-x/y-delete.parquet"]);
  expect(backtrackingMatch(`${T}ducklake-*-delete.parquet`, `${T}ducklake-${U}-delete.parquet`)).toBe(true); // AWS would match
  expect(await readableUnder(`${T}ducklake-????????-????-????-????-????????????-delete.parquet`)).toEqual([`ducklake-${U}-delete.parquet`]);
}, 60_000);
