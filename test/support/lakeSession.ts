// A DuckDB session on a test lake in the bucket, as the DuckDB suites open it: the offline extensions,
// ducklake/postgres/httpfs loaded, TimeZone UTC (DuckLake's temporal partition transforms depend on it), then
// the CLIs' own session statements (cli/duckdbSql.ts) as the admin or, with `reader`, as that reader.
import * as fs from "fs";
import * as path from "path";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { pgAdmin } from "./services";
import { testStorage } from "./s3";
import { EXT_DIR } from "./partitionLake";
import { LakeConnectionInfo } from "../../cli/connectionInfo";
import { LakeSessionOptions, lakeSessionStatements } from "../../cli/duckdbSql";

/** The raw connection info (parseLakeConnectionInfo's input) of a lake: catalog as the PostgreSQL superuser, no readers. */
export function adminLakeInfo(database: string, bucket: string, schema: string) {
  const admin = pgAdmin();
  return {
    catalog: { host: admin.host, port: admin.port, database, user: admin.user, password: admin.password, sslmode: "disable", schema },
    storage: testStorage(bucket),
    readers: [] as unknown[],
  };
}

export interface TestLakeSession {
  instance: DuckDBInstance;
  c: DuckDBConnection;
  close(): void;
}

/** Opens the session and attaches the lake (not `USE lake`: callers that write do that). */
export async function openTestLakeSession(info: LakeConnectionInfo, opts: LakeSessionOptions = {}): Promise<TestLakeSession> {
  const instance = await DuckDBInstance.create(":memory:", { allow_unsigned_extensions: "true", extension_directory: EXT_DIR });
  const c = await instance.connect();
  const close = () => {
    c.closeSync();
    instance.closeSync();
  };
  try {
    await c.run("LOAD ducklake; LOAD postgres; LOAD httpfs; SET TimeZone = 'UTC'");
    for (const s of lakeSessionStatements(info, opts)) await c.run(s.sql);
  } catch (e) {
    close();
    throw e;
  }
  return { instance, c, close };
}

/**
 * `describe` for suites that open DuckDB with the offline v1.5.5 extensions (EXT_DIR) directly: CI must run them
 * (a missing folder throws there, the file fails); elsewhere the suite is skipped with a warning.
 */
export function describeWithExtensionDir(label: string): jest.Describe {
  const have = fs.existsSync(path.join(EXT_DIR, "v1.5.5"));
  if (!have && process.env.CI === "true")
    throw new Error(`${label}: DuckDB extensions not found at ${EXT_DIR} (set DUCKLAKE_DUCKDB_EXTENSIONS); CI must run these tests`);
  if (!have) console.warn(`${label}: SKIPPED, no DuckDB v1.5.5 extensions at ${EXT_DIR} (set DUCKLAKE_DUCKDB_EXTENSIONS)`);
  return have ? describe : describe.skip;
}
