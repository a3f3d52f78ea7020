// The backup job's own key (config backupPrincipal) on a real Ceph RGW: a key of the readers' project that
// the bucket policy lets PutObject under the backups prefix and nothing else. The real backup script
// (templates/ducklake-backup.sh, aws CLI) uploads with it; every other request with it is refused.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import {
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { buildBucketPolicy } from "../../model/bucketPolicy";
import { renderBackupEnv } from "../../model/cloudInit";
import { emptyLayout } from "../../model/lakePaths";
import { loadServerScripts } from "../../templates/load";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { createTestBucket, s3Client } from "../support/s3";
import { PgConnection, rgw } from "../support/services";

const svc = rgw();
const admin = s3Client(svc.admin);
const backupKey = svc.readers[svc.readers.length - 1];
const backupWriter = { projectId: svc.readerProject, accessKey: backupKey.accessKey };
const asBackup = s3Client(backupKey);
const hasTools = spawnSync("aws", ["--version"]).status === 0 && spawnSync("pg_dump", ["--version"]).status === 0;

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    const code = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (code === undefined) throw e;
    return code;
  }
}

let bucket: string;
let conn: PgConnection;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "backup-writer-"));

beforeAll(async () => {
  bucket = await createTestBucket("backupw");
  conn = await createTestDatabase("backupw");
  await withClient(conn, (c) =>
    c.query("CREATE TABLE ducklake_snapshot (snapshot_id bigint PRIMARY KEY); INSERT INTO ducklake_snapshot VALUES (1)"),
  );
  await admin.send(new PutObjectCommand({ Bucket: bucket, Key: "data/main/t/f.parquet", Body: "lake data" }));
  await admin.send(new PutObjectCommand({ Bucket: bucket, Key: "backups/old/catalog.dump", Body: "yesterday" }));
});
afterAll(async () => {
  await dropTestDatabase(conn);
  fs.rmSync(work, { recursive: true, force: true });
  admin.destroy();
  asBackup.destroy();
});

const policyFor = (withWriter: boolean) =>
  buildBucketPolicy({
    bucket,
    ownerProjectId: svc.adminProject,
    readers: [],
    grants: [],
    layout: emptyLayout(`s3://${bucket}/data/`),
    backupsPrefix: "backups/",
    ...(withWriter ? { backupWriter } : {}),
  });

describe("backup writer key (backupPrincipal)", () => {
  it("without the statement, the key cannot upload a backup", async () => {
    await admin.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    expect(await status(asBackup.send(new PutObjectCommand({ Bucket: bucket, Key: "backups/x/catalog.dump", Body: "x" })))).toBe(403);
  });

  it("the policy gives it exactly PutObject on backups/*", () => {
    const p = policyFor(true);
    expect(p.problems).toEqual([]);
    expect(p.document.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam:::user/p${svc.readerProject}:${backupKey.accessKey}` },
        Action: "s3:PutObject",
        Resource: `arn:aws:s3:::${bucket}/backups/*`,
      },
    ]);
    expect(
      buildBucketPolicy({ ...policyInput(), backupWriter: { projectId: svc.adminProject, accessKey: svc.admin.accessKey } }).problems,
    ).toEqual([expect.stringMatching(/^backup writer: access key .* belongs to project .* which owns the bucket/)]);
  });

  (hasTools ? it : it.skip)("the real backup script uploads with it", async () => {
    await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policyFor(true).json }));
    const script = path.join(work, "ducklake-backup");
    fs.writeFileSync(script, loadServerScripts().backup, { mode: 0o755 });
    const text = renderBackupEnv({
      catalogDatabase: conn.database,
      bucket,
      prefix: "backups/",
      endpoint: svc.endpoint,
      region: svc.region,
      accessKey: backupKey.accessKey,
      secretKey: backupKey.secretKey,
      hourUtc: 3,
    });
    const vars = Object.fromEntries(
      text
        .trim()
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const run = spawnSync("bash", [script], {
      encoding: "utf8",
      timeout: 60000,
      env: {
        ...process.env,
        ...vars,
        PGHOST: conn.host,
        PGPORT: String(conn.port),
        PGUSER: conn.user,
        PGPASSWORD: conn.password,
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      },
    });
    expect([run.status, run.stderr]).toEqual([0, ""]);
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `backups/${conn.database}/` }));
    expect((listed.Contents ?? []).map((o) => o.Key!.split("/").pop()).sort()).toEqual(["catalog.dump", "globals.sql.gz"]);
  });

  it("and nothing else: no read, list, delete, write outside backups/, or policy access", async () => {
    await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policyFor(true).json }));
    const probes: Array<[string, Promise<unknown>, number]> = [
      ["PutObject backups/", asBackup.send(new PutObjectCommand({ Bucket: bucket, Key: "backups/probe/catalog.dump", Body: "x" })), 200],
      ["PutObject data/", asBackup.send(new PutObjectCommand({ Bucket: bucket, Key: "data/main/t/evil.parquet", Body: "x" })), 403],
      ["PutObject backupsX/", asBackup.send(new PutObjectCommand({ Bucket: bucket, Key: "backupsX/y", Body: "x" })), 403],
      ["GetObject backups/", asBackup.send(new GetObjectCommand({ Bucket: bucket, Key: "backups/old/catalog.dump" })), 403],
      ["GetObject data/", asBackup.send(new GetObjectCommand({ Bucket: bucket, Key: "data/main/t/f.parquet" })), 403],
      ["ListBucket backups/", asBackup.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "backups/" })), 403],
      ["DeleteObject backups/", asBackup.send(new DeleteObjectCommand({ Bucket: bucket, Key: "backups/old/catalog.dump" })), 403],
      ["DeleteObject data/", asBackup.send(new DeleteObjectCommand({ Bucket: bucket, Key: "data/main/t/f.parquet" })), 403],
      ["GetBucketPolicy", asBackup.send(new GetBucketPolicyCommand({ Bucket: bucket })), 403],
      ["PutBucketPolicy", asBackup.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policyFor(false).json })), 403],
      ["DeleteBucketPolicy", asBackup.send(new DeleteBucketPolicyCommand({ Bucket: bucket })), 403],
    ];
    const got = await Promise.all(probes.map(([, p]) => status(p)));
    expect(probes.map(([what], i) => `${what}: ${got[i]}`)).toEqual(probes.map(([what, , want]) => `${what}: ${want}`));
    // the lake and yesterday's backup are untouched
    expect(await status(admin.send(new GetObjectCommand({ Bucket: bucket, Key: "data/main/t/f.parquet" })))).toBe(200);
    expect(await status(admin.send(new GetObjectCommand({ Bucket: bucket, Key: "backups/old/catalog.dump" })))).toBe(200);
  });
});

function policyInput() {
  return {
    bucket,
    ownerProjectId: svc.adminProject,
    readers: [],
    grants: [],
    layout: emptyLayout(`s3://${bucket}/data/`),
    backupsPrefix: "backups/",
  };
}
