import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadLakeConnectionInfo, parseLakeConnectionInfo, readerCatalogConnection } from "../../cli/connectionInfo";
import { parseCommandArgs, parseScaleFactor } from "../../cli/args";

const good = () => ({
  stack: "local",
  catalog: { host: "127.0.0.1", port: 54329, database: "lake", user: "lake_owner", password: "pw", sslmode: "disable" },
  storage: {
    bucket: "lake-bucket",
    dataPrefix: "data",
    endpoint: "http://127.0.0.1:47480/",
    region: "us-east-1",
    adminProjectId: "1001",
    admin: { accessKey: "P1001AAAAAAAAAAAAAAA", secretKey: "s" },
  },
  readers: [
    {
      name: "alice",
      password: "apw",
      s3: { projectId: "2002", accessKey: "P2002AAAAAAAAAAAAAAA", secretKey: "as" },
      grants: [{ schema: "sales", table: "orders" }, { schema: "hr" }],
    },
  ],
});

describe("parseLakeConnectionInfo", () => {
  it("normalises a good document: default schema, trailing slash on the prefix, endpoint without slash", () => {
    const info = parseLakeConnectionInfo(good());
    expect(info.catalog.schema).toBe("public");
    expect(info.storage.dataPrefix).toBe("data/");
    expect(info.storage.endpoint).toBe("http://127.0.0.1:47480");
    expect(info.readers[0].grants).toEqual([{ schema: "sales", table: "orders" }, { schema: "hr" }]);
    const rc = readerCatalogConnection(info, info.readers[0]);
    expect(rc).toMatchObject({ host: "127.0.0.1", port: 54329, database: "lake", user: "alice", password: "apw", sslmode: "disable" });
    expect(rc).not.toHaveProperty("schema");
  });

  it.each([
    [
      "catalog missing",
      (d: any) => {
        delete d.catalog;
      },
      /^catalog: expected an object/,
    ],
    [
      "port out of range",
      (d: any) => {
        d.catalog.port = 70000;
      },
      /catalog\.port: expected an integer 1\.\.65535/,
    ],
    [
      "bad sslmode",
      (d: any) => {
        d.catalog.sslmode = "prefer";
      },
      /catalog\.sslmode: expected disable, require or verify-full/,
    ],
    [
      "verify-full without CA",
      (d: any) => {
        d.catalog.sslmode = "verify-full";
      },
      /catalog\.sslRootCert: required/,
    ],
    [
      "bad bucket",
      (d: any) => {
        d.storage.bucket = "Bad_Bucket";
      },
      /storage\.bucket: "Bad_Bucket" is not a valid bucket name/,
    ],
    [
      "absolute prefix",
      (d: any) => {
        d.storage.dataPrefix = "/data";
      },
      /storage\.dataPrefix: must be relative/,
    ],
    [
      "endpoint with path",
      (d: any) => {
        d.storage.endpoint = "https://x.example/bucket";
      },
      /storage\.endpoint: expected a URL/,
    ],
    [
      "project id with p",
      (d: any) => {
        d.storage.adminProjectId = "p1001";
      },
      /storage\.adminProjectId: expected a numeric Hetzner project id/,
    ],
    [
      "reader name with SQL",
      (d: any) => {
        d.readers[0].name = "alice; DROP ROLE x";
      },
      /readers\[0\]\.name: .*not a valid reader name/,
    ],
    [
      "reserved reader",
      (d: any) => {
        d.readers[0].name = "postgres";
      },
      /readers\[0\]\.name: .*reserved/,
    ],
    [
      "duplicate reader",
      (d: any) => {
        d.readers.push({ ...d.readers[0] });
      },
      /readers\[1\]\.name: reader alice is listed twice/,
    ],
    [
      "missing reader secret",
      (d: any) => {
        delete d.readers[0].s3.secretKey;
      },
      /readers\[0\]\.s3\.secretKey: expected a non-empty string/,
    ],
    [
      "grant with control chars",
      (d: any) => {
        d.readers[0].grants[0].table = "a\u0001";
      },
      /readers\[0\]\.grants\[0\]\.table: .*control characters/,
    ],
    [
      "readers not a list",
      (d: any) => {
        d.readers = {};
      },
      /readers: expected a list/,
    ],
  ])("rejects %s with a message naming the field", (_, mutate, message) => {
    const d = good();
    mutate(d);
    expect(() => parseLakeConnectionInfo(d)).toThrow(message);
  });
});

describe("loadLakeConnectionInfo", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-conn-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads --from files and warns when others can read the secrets", () => {
    const file = path.join(dir, "c.json");
    fs.writeFileSync(file, JSON.stringify(good()), { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const warnings: string[] = [];
    expect(loadLakeConnectionInfo({ from: file }, (m) => warnings.push(m)).readers[0].name).toBe("alice");
    expect(warnings.join()).toMatch(/readable by others.*chmod 600/);
    fs.chmodSync(file, 0o600);
    warnings.length = 0;
    loadLakeConnectionInfo({ from: file }, (m) => warnings.push(m));
    expect(warnings).toEqual([]);
  });

  it("reads DUCKLAKE_CONNECTION as inline JSON or a path, and explains all ways when nothing is given", () => {
    expect(loadLakeConnectionInfo({ env: { DUCKLAKE_CONNECTION: JSON.stringify(good()) } }).storage.bucket).toBe("lake-bucket");
    expect(() => loadLakeConnectionInfo({ env: {} })).toThrow(/--stack <stack>.*--from <file\.json>.*DUCKLAKE_CONNECTION/);
    expect(() => loadLakeConnectionInfo({ env: { DUCKLAKE_CONNECTION: "{ not json" } })).toThrow(/DUCKLAKE_CONNECTION: not valid JSON/);
    expect(() => loadLakeConnectionInfo({ from: path.join(dir, "missing.json") })).toThrow(/cannot read connection file .*ENOENT/);
  });

  it("refuses stack names that are not names (they reach a command line)", () => {
    expect(() => loadLakeConnectionInfo({ stack: "prod; rm -rf /" })).toThrow(/--stack: .* is not a stack name/);
  });
});

describe("argument parsing", () => {
  it("parses connection flags and command options, rejecting unknown flags with the usage", () => {
    const a = parseCommandArgs(["--stack", "prod", "--reader", "alice"], { reader: { type: "string" } }, "usage: x");
    expect(a.source).toEqual({ stack: "prod", from: undefined });
    expect(a.values.reader).toBe("alice");
    expect(() => parseCommandArgs(["--nope"], {}, "usage: x")).toThrow(/Unknown option '--nope'[\s\S]*usage: x/);
    expect(() => parseCommandArgs(["--stack", "a", "--from", "b"], {}, "usage: x")).toThrow(/either --from or --stack/);
  });

  it.each([
    ["0.01", 0.01],
    ["1", 1],
    ["10", 10],
    [".1", 0.1],
    ["1e-2", 0.01],
  ])("accepts scale factor %s", (text, sf) => {
    expect(parseScaleFactor(text)).toBe(sf);
  });
  it.each(["0", "-1", "abc", "1; DROP TABLE x", "NaN", "Infinity", "5000", ""])("rejects scale factor %j", (text) => {
    expect(() => parseScaleFactor(text)).toThrow(/--sf: expected a scale factor/);
  });
  it("defaults the scale factor to 0.01", () => expect(parseScaleFactor(undefined)).toBe(0.01));
});
