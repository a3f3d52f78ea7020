// Per-test-file buckets on the shared test Ceph RGW, and S3 clients per key.
import { S3Client, CreateBucketCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { randomBytes } from "crypto";
import { rgw, S3Key } from "./services";

export function s3Client(key: S3Key): S3Client {
  const svc = rgw();
  return new S3Client({
    endpoint: svc.endpoint,
    region: svc.region,
    forcePathStyle: true,
    credentials: { accessKeyId: key.accessKey, secretAccessKey: key.secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 1,
  });
}

/** Creates `<prefix>-<random>` owned by the admin project and returns its name. */
export async function createTestBucket(prefix: string): Promise<string> {
  const bucket = `${prefix}-${randomBytes(4).toString("hex")}`;
  await s3Client(rgw().admin).send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/** The `storage` section of a lake connection file for `bucket` on the test RGW (data under `data/`). */
export function testStorage(bucket: string) {
  const svc = rgw();
  return { bucket, dataPrefix: "data/", endpoint: svc.endpoint, region: svc.region, adminProjectId: svc.adminProject, admin: svc.admin };
}

/** HTTP status of a GetObject with this client (the body is read so the socket is reused); other errors throw. */
export async function objectStatus(client: S3Client, bucket: string, key: string): Promise<number> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await out.Body?.transformToByteArray();
    return out.$metadata.httpStatusCode ?? 200;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (typeof status !== "number") throw e;
    return status;
  }
}
