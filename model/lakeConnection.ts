// The program→CLI contract: what index.ts exports as the secret stack output `lakeConnection`, what a
// connection file (--from / DUCKLAKE_CONNECTION) holds, and what every workflow CLI reads
// (cli/connectionInfo.ts parses untrusted JSON into it). index.ts builds it with `satisfies LakeConnectionInfo`.
import { CatalogConnection } from "./connection";
import type { RowFilterKey } from "./accessSpec";

/** An S3 access key pair. */
export interface S3KeyPair {
  accessKey: string;
  secretKey: string;
}

/** One reader as the workflows see it: its PostgreSQL login and its own S3 key. */
export interface ReaderConnection {
  /** Reader name = its PostgreSQL login role. */
  name: string;
  /** The reader's PostgreSQL password (secret). */
  password: string;
  /** The reader's S3 key; `projectId` is the (separate) project that owns it. */
  s3: S3KeyPair & { projectId: string };
  /**
   * The grants declared for this reader in the program (desired state). `verify` proves the live
   * system against them; when absent, `verify` falls back to the live catalog ACL. `rows`: a partition
   * grant's filter (canonical, as model/grants normalises it).
   */
  grants?: { schema: string; table?: string; rows?: RowFilterKey[] }[];
}

/**
 * Everything the workflow CLIs need, exported by the program as one secret stack output
 * (`pulumi stack output lakeConnection --show-secrets --json`).
 */
export interface LakeConnectionInfo {
  /** Stack name, shown in reports. */
  stack?: string;
  /** Catalog owner/admin connection (writes, maintenance, reading the ACL), plus the schema of the DuckLake tables. */
  catalog: CatalogConnection & { schema: string };
  storage: {
    bucket: string;
    /** Prefix inside the bucket where DuckLake writes data, e.g. "data/" (DuckLake DATA_PATH = s3://bucket/<dataPrefix>). */
    dataPrefix: string;
    /** S3 endpoint URL, e.g. https://fsn1.your-objectstorage.com or http://127.0.0.1:47480. */
    endpoint: string;
    region: string;
    /** Project that owns the bucket, and one of its keys (full access). */
    adminProjectId: string;
    admin: S3KeyPair;
  };
  readers: ReaderConnection[];
}
