// The nightly backup script, for real: pg_dump of a catalog database on the test PostgreSQL, uploaded
// with the AWS CLI to a bucket on the test Ceph RGW under the backups prefix, then restored-listed.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { createTestBucket, s3Client } from "../support/s3";
import { PgConnection, rgw } from "../support/services";
import { loadServerScripts } from "../../templates/load";
import { renderBackupEnv } from "../../model/cloudInit";

const hasAws = spawnSync("aws", ["--version"], { encoding: "utf8" }).status === 0;
const hasPgDump = spawnSync("pg_dump", ["--version"], { encoding: "utf8" }).status === 0;
if (!hasAws || !hasPgDump) {
  console.warn(`backup script test skipped: ${!hasAws ? "the aws CLI (apt-get install awscli)" : "pg_dump"} is not installed`);
}
const describeIf = hasAws && hasPgDump ? describe : describe.skip;

describeIf("ducklake-backup script", () => {
  let conn: PgConnection;
  let bucket: string;
  let script: string;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "backup-test-"));

  beforeAll(async () => {
    conn = await createTestDatabase("backup");
    await withClient(conn, (c) =>
      c.query("CREATE TABLE ducklake_snapshot (snapshot_id bigint PRIMARY KEY); INSERT INTO ducklake_snapshot VALUES (1), (2)"),
    );
    bucket = await createTestBucket("backup");
    script = path.join(work, "ducklake-backup");
    fs.writeFileSync(script, loadServerScripts().backup, { mode: 0o755 });
  });
  afterAll(async () => {
    await dropTestDatabase(conn);
    fs.rmSync(work, { recursive: true, force: true });
  });

  // The same variables the server's root-only backup.env holds, parsed the way systemd would.
  const envFor = (prefix: string): Record<string, string | undefined> => {
    const svc = rgw();
    const text = renderBackupEnv({
      catalogDatabase: conn.database,
      bucket,
      prefix,
      endpoint: svc.endpoint,
      region: svc.region,
      accessKey: svc.admin.accessKey,
      secretKey: svc.admin.secretKey,
      hourUtc: 3,
    });
    const vars = Object.fromEntries(
      text
        .trim()
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    return {
      ...process.env,
      ...vars,
      PGHOST: conn.host,
      PGPORT: String(conn.port),
      PGUSER: conn.user,
      PGPASSWORD: conn.password,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    };
  };

  it("uploads a restorable dump and the roles under <prefix><database>/<timestamp>/", async () => {
    const run = spawnSync("bash", [script], { env: envFor("backups/"), encoding: "utf8", timeout: 60000 });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^ducklake-backup: s3://${bucket}/backups/${conn.database}/\\d{8}T\\d{6}Z/ \\(\\d+ bytes dump\\)`),
    );

    const admin = s3Client(rgw().admin);
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "backups/" }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!).sort();
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(new RegExp(`^backups/${conn.database}/\\d{8}T\\d{6}Z/catalog\\.dump$`));
    expect(keys[1]).toMatch(/globals\.sql\.gz$/);

    const dump = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: keys[0] }));
    const file = path.join(work, "catalog.dump");
    fs.writeFileSync(file, Buffer.from(await dump.Body!.transformToByteArray()));
    const toc = spawnSync("pg_restore", ["--list", file], { encoding: "utf8" });
    expect(toc.status).toBe(0);
    expect(toc.stdout).toMatch(/TABLE DATA public ducklake_snapshot/);
    expect(toc.stdout).toMatch(/Compression: (9|gzip)/);
  });

  it("is unreadable for a key of the readers' project", async () => {
    const reader = s3Client(rgw().readers[0]);
    await expect(reader.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "backups/" }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
  });

  it("refuses to run with a setting missing, and fails when the upload fails", () => {
    const { BACKUP_BUCKET: _unused, ...missing } = envFor("backups/");
    const run = spawnSync("bash", [script], { env: missing, encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("ducklake-backup: BACKUP_BUCKET is not set");

    const wrongKey = { ...envFor("backups/"), AWS_SECRET_ACCESS_KEY: "wrong-secret-key-0000000000" };
    const failed = spawnSync("bash", [script], { env: wrongKey, encoding: "utf8", timeout: 60000 });
    expect(failed.status).not.toBe(0);
  });
});
