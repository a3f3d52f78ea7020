import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { createTestBucket, s3Client } from "../support/s3";
import { rgw } from "../support/services";

describe("test services", () => {
  it("PostgreSQL 15 answers with scram and gives each file its own database", async () => {
    const conn = await createTestDatabase("svc");
    const row = await withClient(
      conn,
      async (c) =>
        (
          await c.query(
            "SELECT current_database() AS db, current_setting('server_version_num')::int AS v, current_setting('password_encryption') AS enc",
          )
        ).rows[0],
    );
    expect(row.db).toBe(conn.database);
    expect(row.v).toBeGreaterThanOrEqual(150000);
    expect(row.enc).toBe("scram-sha-256");
    await dropTestDatabase(conn);
  });

  it("RGW gives the admin project its bucket and a reader-project key nothing", async () => {
    const svc = rgw();
    const bucket = await createTestBucket("svc");
    await s3Client(svc.admin).send(new PutObjectCommand({ Bucket: bucket, Key: "a/b.txt", Body: "x" }));
    await expect(s3Client(svc.readers[0]).send(new GetObjectCommand({ Bucket: bucket, Key: "a/b.txt" }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
  });
});
