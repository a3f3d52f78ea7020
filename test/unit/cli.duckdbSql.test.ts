import { parseLakeConnectionInfo } from "../../cli/connectionInfo";
import {
  dbgenStatement,
  duckIdent,
  duckString,
  extensionStatements,
  lakeSessionStatements,
  libpqConnString,
  s3EndpointParts,
  sampleAction,
  sampleSql,
  TPCH_TABLES,
} from "../../cli/duckdbSql";

const info = () =>
  parseLakeConnectionInfo({
    catalog: {
      host: "10.0.0.2",
      port: 5432,
      database: "lake",
      user: "lake_owner",
      password: "own'er-pw",
      sslmode: "require",
      schema: "ducklake",
    },
    storage: {
      bucket: "lake",
      dataPrefix: "data/",
      endpoint: "https://fsn1.your-objectstorage.com",
      region: "fsn1",
      adminProjectId: "1001",
      admin: { accessKey: "ADMINKEYAAAAAAAAAAAA", secretKey: "admin-secret" },
    },
    readers: [
      { name: "alice", password: "alice'pw", s3: { projectId: "2002", accessKey: "ALICEKEYAAAAAAAAAAAA", secretKey: "alice-secret" } },
    ],
  });

describe("DuckDB quoting", () => {
  it.each([
    ["plain", "'plain'"],
    ["it's", "'it''s'"],
    ["'; DROP TABLE x; --", "'''; DROP TABLE x; --'"],
    ["back\\slash", "'back\\slash'"],
  ])("duckString(%j)", (v, q) => expect(duckString(v)).toBe(q));
  it.each([
    ["t", '"t"'],
    ['we"ird', '"we""ird"'],
    ["a b;--", '"a b;--"'],
  ])("duckIdent(%j)", (v, q) => expect(duckIdent(v)).toBe(q));
  it("refuses NUL", () => {
    expect(() => duckString("a\u0000b")).toThrow(/NUL/);
    expect(() => duckIdent("a\u0000b")).toThrow(/NUL/);
  });
  it("only loads extensions by plain names", () => {
    expect(extensionStatements("ducklake")).toEqual({ load: "LOAD ducklake", install: "INSTALL ducklake" });
    expect(() => extensionStatements("httpfs; DROP")).toThrow(/not an extension name/);
  });
});

describe("lake session statements", () => {
  it("owner: its own login and admin key, DATA_PATH and METADATA_SCHEMA, not read-only", () => {
    const s = lakeSessionStatements(info());
    const sql = s.map((x) => x.sql).join(";\n");
    expect(sql).toContain("USER 'lake_owner', PASSWORD 'own''er-pw'");
    expect(sql).toContain("KEY_ID 'ADMINKEYAAAAAAAAAAAA', SECRET 'admin-secret'");
    expect(sql).toContain("ENDPOINT 'fsn1.your-objectstorage.com'");
    expect(sql).toContain("USE_SSL true");
    expect(sql).toContain("SCOPE 's3://lake/'");
    expect(sql).toContain("DATA_PATH 's3://lake/data/'");
    expect(sql).toContain("METADATA_PATH 'sslmode=require'");
    expect(s[s.length - 1].sql).toBe(`ATTACH 'ducklake:lake_secret' AS "lake" (METADATA_SCHEMA 'ducklake')`);
    expect(s.every((x) => /^CREATE OR REPLACE TEMPORARY SECRET|^ATTACH/.test(x.sql))).toBe(true);
  });

  it("reader: its own PG login and S3 key, READ_ONLY, never the owner's credentials", () => {
    const i = info();
    const s = lakeSessionStatements(i, { reader: i.readers[0] });
    const sql = s.map((x) => x.sql).join(";\n");
    expect(sql).toContain("USER 'alice', PASSWORD 'alice''pw'");
    expect(sql).toContain("KEY_ID 'ALICEKEYAAAAAAAAAAAA', SECRET 'alice-secret'");
    expect(sql).not.toMatch(/admin-secret|own''er-pw|lake_owner|ADMINKEY/);
    expect(s[s.length - 1].sql).toMatch(/\(METADATA_SCHEMA 'ducklake', READ_ONLY\)$/);
  });

  it("masks every secret in the display text", () => {
    const i = info();
    for (const opts of [{}, { reader: i.readers[0] }]) {
      const display = lakeSessionStatements(i, opts)
        .map((x) => x.display)
        .join("\n");
      expect(display).not.toMatch(/admin-secret|alice-secret|own''er-pw|alice''pw/);
      expect(display).toContain("PASSWORD '***'");
      expect(display).toContain("SECRET '***'");
    }
  });

  it("verify-full passes the CA file through the libpq string, and insists on it", () => {
    const i = info();
    i.catalog.sslmode = "verify-full";
    expect(() => lakeSessionStatements(i)).toThrow(/verify-full needs the CA certificate/);
    const sql = lakeSessionStatements(i, { sslRootCertFile: "/tmp/ca dir/ca.pem" })
      .map((x) => x.sql)
      .join("\n");
    expect(sql).toContain("METADATA_PATH 'sslmode=verify-full sslrootcert=''/tmp/ca dir/ca.pem'''");
  });

  it("splits endpoints and quotes libpq values", () => {
    expect(s3EndpointParts("http://127.0.0.1:47480")).toEqual({ host: "127.0.0.1:47480", useSsl: false });
    expect(() => s3EndpointParts("ftp://x")).toThrow(/storage\.endpoint/);
    expect(libpqConnString({ a: "x", b: "it's a b\\c", c: undefined, d: "" })).toBe("a=x b='it\\'s a b\\\\c'");
  });
});

describe("TPC-H sample SQL", () => {
  it("generates in memory and targets lake.tpch with quoted names", () => {
    expect(dbgenStatement(0.01)).toBe("CALL dbgen(sf = 0.01)");
    expect(() => dbgenStatement(-1)).toThrow(/positive/);
    expect(() => dbgenStatement(NaN)).toThrow(/positive/);
    expect(sampleSql.dropSource("nation")).toBe('DROP TABLE IF EXISTS memory.main."nation"');
    expect(sampleSql.create("lineitem")).toBe('CREATE TABLE "lake"."tpch"."lineitem" AS SELECT * FROM memory.main."lineitem"');
    expect(sampleSql.replace("orders")).toEqual([
      'DELETE FROM "lake"."tpch"."orders"',
      'INSERT INTO "lake"."tpch"."orders" SELECT * FROM memory.main."orders"',
    ]);
    expect(TPCH_TABLES).toHaveLength(8);
  });
  it.each([
    [false, null, 100n, "create"],
    [true, 100n, 100n, "skip"],
    [true, 0n, 100n, "replace"],
    [true, 150, 100, "replace"],
    [true, null, 5, "replace"],
  ] as const)("exists=%s lake=%s generated=%s → %s", (exists, lake, gen, action) => {
    expect(sampleAction(exists, lake, gen)).toBe(action);
  });
});
