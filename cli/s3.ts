// S3 clients for a lake's endpoint and probes that report the HTTP status instead of throwing.
import {
  S3Client,
  HeadObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  GetBucketPolicyCommand,
  PutObjectCommand,
  DeleteObjectCommand,
} from "@aws-sdk/client-s3";
import { LakeConnectionInfo, S3KeyPair } from "./connectionInfo";

export function lakeS3Client(info: LakeConnectionInfo, key: S3KeyPair): S3Client {
  return new S3Client({
    endpoint: info.storage.endpoint,
    region: info.storage.region,
    // Path style works on Hetzner and on RGW without wildcard DNS.
    forcePathStyle: true,
    credentials: { accessKeyId: key.accessKey, secretAccessKey: key.secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 2,
  });
}

/** HTTP status of an S3 call: 2xx on success, the error status (403, 404, ...) otherwise; network errors throw. */
export async function statusOf(call: () => Promise<unknown>): Promise<number> {
  try {
    const out = (await call()) as { $metadata?: { httpStatusCode?: number } };
    return out?.$metadata?.httpStatusCode ?? 200;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (typeof status === "number") return status;
    throw e;
  }
}

export const probes = {
  head: (c: S3Client, bucket: string, key: string) => statusOf(() => c.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))),
  headBucket: (c: S3Client, bucket: string) => statusOf(() => c.send(new HeadBucketCommand({ Bucket: bucket }))),
  list: (c: S3Client, bucket: string, prefix: string) =>
    statusOf(() => c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }))),
  getPolicy: (c: S3Client, bucket: string) => statusOf(() => c.send(new GetBucketPolicyCommand({ Bucket: bucket }))),
  put: (c: S3Client, bucket: string, key: string) =>
    statusOf(() => c.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "ducklake verify probe" }))),
  delete: (c: S3Client, bucket: string, key: string) => statusOf(() => c.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))),
};

/** The live bucket policy document, or undefined when the bucket has none. */
export async function readBucketPolicy(c: S3Client, bucket: string): Promise<unknown | undefined> {
  try {
    const out = await c.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    return out.Policy ? JSON.parse(out.Policy) : undefined;
  } catch (e) {
    const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (err.name === "NoSuchBucketPolicy" || err.$metadata?.httpStatusCode === 404) return undefined;
    throw e;
  }
}
