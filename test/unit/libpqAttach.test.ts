// The one libpq quoting rule and the one DuckLake ATTACH renderer (model/libpq.ts, model/attach.ts).
import { duckLakeAttachSql, roleAttachSql } from "../../model/attach";
import { libpqConninfo, libpqQuote, libpqValue } from "../../model/libpq";

describe("libpq values", () => {
  it("leaves plain values bare and quotes the rest with backslash escapes", () => {
    expect(libpqValue("db_1.example/x:5432@y-z")).toBe("db_1.example/x:5432@y-z");
    expect(libpqValue(5432)).toBe("5432");
    expect(libpqValue("my ca's\\x.pem")).toBe("'my ca\\'s\\\\x.pem'");
    expect(libpqValue("a=b")).toBe("'a=b'");
    expect(libpqQuote("require")).toBe("'require'");
    expect(() => libpqQuote("a\u0000b")).toThrow(/NUL/);
  });
  it("writes key=value pairs in order, without undefined or empty values", () => {
    expect(libpqConninfo({ sslmode: "verify-full", sslrootcert: undefined, user: "", host: "h h" })).toBe("sslmode=verify-full host='h h'");
  });
});

describe("DuckLake ATTACH", () => {
  it("renders options in the order given, literals quoted the DuckDB way", () => {
    expect(
      duckLakeAttachSql({
        metadata: "sslmode='disable'",
        alias: "lake",
        options: [
          { readOnly: true },
          { metadataSchema: "it's" },
          { metadataSecret: { type: "postgres", name: "lake_catalog" } },
          { dataPath: "s3://b/" },
        ],
      }),
    ).toBe(
      "ATTACH 'ducklake:sslmode=''disable''' AS lake (READ_ONLY, METADATA_SCHEMA 'it''s', " +
        "METADATA_PARAMETERS MAP {'TYPE': 'postgres', 'SECRET': 'lake_catalog'}, DATA_PATH 's3://b/')",
    );
  });
  it("inlines a role's connection without a password", () => {
    expect(
      roleAttachSql(
        { host: "10.0.0.2", port: 5432, database: "lakecat", user: "ducklake_writer", sslmode: "require" },
        { dataPath: "s3://lake/data/", metadataSchema: "public" },
      ),
    ).toBe(
      `ATTACH 'ducklake:postgres:dbname=lakecat host=10.0.0.2 port=5432 user=ducklake_writer sslmode=require' AS "lake" (DATA_PATH 's3://lake/data/', METADATA_SCHEMA 'public')`,
    );
  });
});
