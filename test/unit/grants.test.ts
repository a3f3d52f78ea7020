// The access list's validation: every bad input with its exact message, and the properties the
// resource graph relies on (keys injective, order-independent output).
import {
  AccessValidationError,
  accessMatrix,
  applyPrincipalOverrides,
  checkAccess,
  decodeNameSegment,
  encodeNameSegment,
  grantKey,
  localReaderKeys,
  renderAccessReview,
  renderReaderSetup,
  validateAccess,
} from "../../model/grants";
import { AccessSpec } from "../../model/accessSpec";
import { cidrProblem } from "../../model/cidr";
import { pick, rng } from "../support/random";

const ctx = { ownerProjectId: "1001", dataPrefix: "", backupsPrefix: "backups/" };
const A = { projectId: "2002", accessKey: "P2002AAAAAAAAAAAAAAA" };
const B = { projectId: "2002", accessKey: "P2002BBBBBBBBBBBBBBB" };
const good = (): any => ({
  readers: [
    { name: "alice", principal: { ...A } },
    { name: "bob", principal: { ...B }, allowedIps: ["203.0.113.7/32"] },
  ],
  grants: [
    { reader: "alice", schema: "sales" },
    { reader: "bob", schema: "hr", table: "salaries" },
  ],
});
const withReader = (r: any) => {
  const s = good();
  s.readers.push(r);
  return s;
};
const withGrant = (g: any) => {
  const s = good();
  s.grants.push(g);
  return s;
};
const withBob = (over: any) => {
  const s = good();
  s.readers[1] = { ...s.readers[1], ...over };
  return s;
};

describe("checkAccess: bad inputs, each with its exact message", () => {
  const cases: [string, unknown, string[], object?][] = [
    ["not an object", "alice", ["the access list is not an object; export { readers: [...], grants: [...] }"]],
    ["null", null, ["the access list is not an object; export { readers: [...], grants: [...] }"]],
    [
      "unknown top-level key",
      { ...good(), reader: [] },
      ['unknown top-level key "reader"; the access list has only "readers" and "grants"'],
    ],
    [
      "readers not a list",
      { readers: {}, grants: [] },
      ["readers is not a list; write readers: [{ name, principal: { projectId, accessKey } }]"],
    ],
    ["grants not a list", { readers: [], grants: "all" }, ["grants is not a list; write grants: [{ reader, schema, table? }]"]],
    ["reader not an object", withReader("carol"), ["readers[2] is not an object; write { name, principal: { projectId, accessKey } }"]],
    [
      "reader name empty",
      withReader({ name: "", principal: { projectId: "2002", accessKey: "P2002CCCCCCCCCCCCCCC" } }),
      ['readers[2] (""): name is empty; use lower-case letters, digits and _'],
    ],
    [
      "reader name upper case",
      withReader({ name: "Carol", principal: { projectId: "2002", accessKey: "P2002CCCCCCCCCCCCCCC" } }),
      ['readers[2] ("Carol"): name "Carol" is not a valid reader name: start with a-z, then a-z, 0-9 or _, at most 48 characters'],
    ],
    [
      "reader name with a quote",
      withReader({ name: 'carol";drop', principal: { projectId: "2002", accessKey: "P2002CCCCCCCCCCCCCCC" } }),
      [
        'readers[2] ("carol\\";drop"): name "carol";drop" is not a valid reader name: start with a-z, then a-z, 0-9 or _, at most 48 characters',
      ],
    ],
    [
      "reader name too long",
      withReader({ name: "c".repeat(49), principal: { projectId: "2002", accessKey: "P2002CCCCCCCCCCCCCCC" } }),
      [
        `readers[2] ("${"c".repeat(49)}"): name "${"c".repeat(49)}" is not a valid reader name: start with a-z, then a-z, 0-9 or _, at most 48 characters`,
      ],
    ],
    [
      "reserved reader name",
      withReader({ name: "postgres", principal: { projectId: "2002", accessKey: "P2002CCCCCCCCCCCCCCC" } }),
      ['readers[2] ("postgres"): name "postgres" is reserved (it names a built-in or ducklake role); choose another reader name'],
    ],
    [
      "pg_ reader name",
      withReader({ name: "pg_monitor", principal: { projectId: "2002", accessKey: "P2002CCCCCCCCCCCCCCC" } }),
      ['readers[2] ("pg_monitor"): name "pg_monitor" is reserved (it names a built-in or ducklake role); choose another reader name'],
    ],
    [
      "reader base role as a reader",
      withReader({ name: "ducklake_reader", principal: { projectId: "2002", accessKey: "P2002CCCCCCCCCCCCCCC" } }),
      [
        'readers[2] ("ducklake_reader"): name "ducklake_reader" is reserved (it names a built-in or ducklake role); choose another reader name',
      ],
    ],
    [
      "reader declared twice",
      withReader({ name: "alice", principal: { projectId: "2002", accessKey: "P2002CCCCCCCCCCCCCCC" } }),
      ['readers[2] ("alice"): reader "alice" is declared twice; keep one entry'],
    ],
    [
      "unknown reader key",
      withBob({ allowedIP: ["10.0.0.0/8"] }),
      ['readers[1] ("bob"): unknown key "allowedIP"; a reader has name, principal, allowedIps and connectionLimit'],
    ],
    [
      "connection limit 0",
      withBob({ connectionLimit: 0 }),
      [
        "readers[1] (\"bob\"): connectionLimit 0 would keep the reader from connecting at all (PostgreSQL's -1 = unlimited is not allowed either: one reader could take every slot); use 1-500, or remove the reader; or leave it out to use the stack's readerConnectionLimit",
      ],
    ],
    [
      "connection limit -1 (unlimited)",
      withBob({ connectionLimit: -1 }),
      [
        "readers[1] (\"bob\"): connectionLimit -1 would keep the reader from connecting at all (PostgreSQL's -1 = unlimited is not allowed either: one reader could take every slot); use 1-500, or remove the reader; or leave it out to use the stack's readerConnectionLimit",
      ],
    ],
    [
      "connection limit as a string",
      withBob({ connectionLimit: "4" }),
      ['readers[1] ("bob"): connectionLimit "4" is not a whole number; or leave it out to use the stack\'s readerConnectionLimit'],
    ],
    [
      "connection limit fractional",
      withBob({ connectionLimit: 2.5 }),
      ['readers[1] ("bob"): connectionLimit 2.5 is not a whole number; or leave it out to use the stack\'s readerConnectionLimit'],
    ],
    [
      "connection limit too large",
      withBob({ connectionLimit: 501 }),
      ['readers[1] ("bob"): connectionLimit 501 is more than 500; or leave it out to use the stack\'s readerConnectionLimit'],
    ],
    [
      "principal missing",
      withReader({ name: "carol" }),
      ['readers[2] ("carol"): principal is missing; add principal: { projectId: "<readers project id>", accessKey: "<S3 access key>" }'],
    ],
    [
      "project id with p prefix",
      withBob({ principal: { projectId: "p2002", accessKey: B.accessKey } }),
      ['readers[1] ("bob"): principal.projectId "p2002" is not a Hetzner project id; write the numeric id as a string, e.g. "2002"'],
    ],
    [
      "project id as a number",
      withBob({ principal: { projectId: 2002, accessKey: B.accessKey } }),
      ['readers[1] ("bob"): principal.projectId 2002 is not a Hetzner project id; write the numeric id as a string, e.g. "2002"'],
    ],
    [
      "principal from the owner project",
      withBob({ principal: { projectId: "1001", accessKey: B.accessKey } }),
      [
        'readers[1] ("bob"): principal.projectId "1001" is the bucket owner\'s project, whose keys can read everything and replace the bucket policy; create the key in a separate readers project',
      ],
    ],
    [
      "lower-case access key",
      withBob({ principal: { projectId: "2002", accessKey: "p2002bbbbbbbbbbbbbbb" } }),
      [
        'readers[1] ("bob"): principal.accessKey "p2002bbbbbbbbbbbbbbb" is not an S3 access key id (20 upper-case letters and digits); copy the access key, not the secret key',
      ],
    ],
    [
      "secret key pasted as access key",
      withBob({ principal: { projectId: "2002", accessKey: "a".repeat(40) } }),
      [
        `readers[1] ("bob"): principal.accessKey "${"a".repeat(40)}" is not an S3 access key id (20 upper-case letters and digits); copy the access key, not the secret key`,
      ],
    ],
    [
      "secret key inside the principal",
      withBob({ principal: { ...B, secretKey: "x" } }),
      ['readers[1] ("bob"): principal has unknown key "secretKey"; use projectId and accessKey (the secret key goes in stack config)'],
    ],
    [
      "two readers sharing a key",
      withBob({ principal: { ...A } }),
      [
        'readers[1] ("bob"): shares access key P2002AAAAAAAAAAAAAAA with reader "alice"; each reader needs its own key, or the bucket policy cannot tell them apart',
      ],
    ],
    [
      "allowedIps not a list",
      withBob({ allowedIps: "203.0.113.7/32" }),
      ['readers[1] ("bob"): allowedIps is not a list; write allowedIps: ["203.0.113.7/32"] or leave it out'],
    ],
    [
      "allowedIps address without prefix",
      withBob({ allowedIps: ["203.0.113.7"] }),
      [
        'readers[1] ("bob"): allowedIps "203.0.113.7" is not a CIDR; write an address with a prefix length such as "203.0.113.7/32" or "2001:db8::/48"',
      ],
    ],
    [
      "allowedIps whole IPv4 internet",
      withBob({ allowedIps: ["0.0.0.0/0"] }),
      [
        'readers[1] ("bob"): allowedIps "0.0.0.0/0" opens PostgreSQL to the whole internet; list the reader\'s own addresses (e.g. "203.0.113.7/32")',
      ],
    ],
    [
      "allowedIps whole IPv6 internet",
      withBob({ allowedIps: ["::/0"] }),
      ['readers[1] ("bob"): allowedIps "::/0" opens PostgreSQL to the whole internet; list the reader\'s own addresses'],
    ],
    [
      "allowedIps with host bits",
      withBob({ allowedIps: ["10.1.2.3/8"] }),
      ['readers[1] ("bob"): allowedIps "10.1.2.3/8" has host bits set after /8; write "10.0.0.0/8"'],
    ],
    [
      "allowedIps IPv6 with host bits (refused here as on the hetzner target)",
      withBob({ allowedIps: ["2001:db8::1/64"] }),
      ['readers[1] ("bob"): allowedIps "2001:db8::1/64" has host bits set after /64; write "2001:db8::/64"'],
    ],
    [
      "allowedIps octet out of range",
      withBob({ allowedIps: ["300.1.1.1/32"] }),
      ['readers[1] ("bob"): allowedIps "300.1.1.1/32" is not an IPv4 or IPv6 address with a prefix length'],
    ],
    ["grant not an object", withGrant(["alice", "sales"]), ["grants[2] is not an object; write { reader, schema, table? }"]],
    [
      "grant to an unknown reader",
      withGrant({ reader: "alcie", schema: "sales" }),
      ['grants[2] { reader: "alcie", schema: "sales" }: reader "alcie" is not declared; add it to readers or use one of: alice, bob'],
    ],
    [
      "grant without reader",
      withGrant({ schema: "sales" }),
      ['grants[2] { reader: undefined, schema: "sales" }: reader is missing; name a reader declared in readers'],
    ],
    [
      "grant with empty schema",
      withGrant({ reader: "alice", schema: "" }),
      ['grants[2] { reader: "alice", schema: "" }: schema is empty; write the DuckLake schema name exactly'],
    ],
    [
      "grant schema too long",
      withGrant({ reader: "alice", schema: "s".repeat(64) }),
      [
        `grants[2] { reader: "alice", schema: "${"s".repeat(64)}" }: schema "${"s".repeat(64)}" is longer than 63 bytes (PostgreSQL's identifier limit); write the DuckLake schema name exactly`,
      ],
    ],
    [
      "grant schema with a newline",
      withGrant({ reader: "alice", schema: "sa\nles" }),
      [
        'grants[2] { reader: "alice", schema: "sa\\nles" }: schema ""sa\\nles"" contains control characters; write the DuckLake schema name exactly',
      ],
    ],
    [
      "grant table with trailing space",
      withGrant({ reader: "bob", schema: "hr", table: "salaries " }),
      [
        'grants[2] { reader: "bob", schema: "hr", table: "salaries " }: table "salaries " starts or ends with white space; write the DuckLake table name exactly, or leave table out for the whole schema',
      ],
    ],
    [
      "grant with empty table",
      withGrant({ reader: "bob", schema: "hr", table: "" }),
      ['grants[2] { reader: "bob", schema: "hr", table: "" }: table is empty; leave table out to grant the whole schema'],
    ],
    [
      "write mode",
      withGrant({ reader: "bob", schema: "hr", table: "people", mode: "write" }),
      [
        'grants[2] { reader: "bob", schema: "hr", table: "people" }: mode "write" is not supported; only "read" exists (writes stay with the catalog owner)',
      ],
    ],
    [
      "misspelled table key",
      withGrant({ reader: "bob", schema: "hr", tabel: "people" }),
      ['grants[2] { reader: "bob", schema: "hr" }: unknown key "tabel"; a grant has reader, schema, table, rows and mode'],
    ],
    [
      "exact duplicate grant",
      withGrant({ reader: "alice", schema: "sales" }),
      ['grants[2] { reader: "alice", schema: "sales" }: duplicate of grants[0]; remove one of them'],
    ],
    [
      "duplicate differing in case",
      withGrant({ reader: "bob", schema: "HR", table: "Salaries" }),
      [
        'grants[2] { reader: "bob", schema: "HR", table: "Salaries" }: differs from grants[1] only in letter case, and DuckDB names are case-insensitive; keep one spelling',
      ],
    ],
    [
      "grant reaching the backups prefix",
      withGrant({ reader: "alice", schema: "backups" }),
      [
        'grants[2] { reader: "alice", schema: "backups" }: schema "backups" stores its files under "backups/", which overlaps the backups prefix "backups/"; rename the schema or move backups (backupsPrefix) outside the data path',
      ],
    ],
    [
      "bad owner project id in the context",
      good(),
      ['ownerProjectId "p1001" is not a Hetzner project id; use the numeric id from the console URL'],
      { ownerProjectId: "p1001" },
    ],
    [
      "backups prefix without a slash",
      good(),
      ['backupsPrefix "backups" must be a non-empty folder ending in "/" (e.g. "backups/")'],
      { backupsPrefix: "backups" },
    ],
  ];

  it("has at least 30 cases", () => expect(cases.length).toBeGreaterThanOrEqual(30));

  // Rest parameters: jest would take a 4th named parameter for a done-callback on 3-element rows.
  it.each(cases)("%s", (...row) => {
    const [, spec, expected, over] = row;
    const result = checkAccess(spec, { ...ctx, ...(over ?? {}) });
    expect(result.errors).toEqual(expected);
    expect(result.access).toBeUndefined();
    expect(() => validateAccess(spec, { ...ctx, ...(over ?? {}) })).toThrow(AccessValidationError);
  });

  it("lists every problem at once, not just the first", () => {
    const spec = good();
    spec.readers.push({ name: "Carol", principal: { projectId: "1001", accessKey: "x" } });
    spec.grants.push({ reader: "dave", schema: "" });
    const result = checkAccess(spec, ctx);
    expect(result.errors).toHaveLength(5);
    try {
      validateAccess(spec, ctx);
      throw new Error("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(AccessValidationError);
      expect((e as Error).message.split("\n")[0]).toBe("access list has 5 problems:");
      expect((e as AccessValidationError).problems).toEqual(result.errors);
    }
  });

  it("a schema grant nested in the backups prefix is caught under a data prefix too", () => {
    const spec = withGrant({ reader: "alice", schema: "b" });
    expect(checkAccess(spec, { ownerProjectId: "1001", dataPrefix: "lake/", backupsPrefix: "lake/b/" }).errors).toEqual([
      'grants[2] { reader: "alice", schema: "b" }: schema "b" stores its files under "lake/b/", which overlaps the backups prefix "lake/b/"; rename the schema or move backups (backupsPrefix) outside the data path',
    ]);
    // A name outside [A-Za-z0-9_-] gets a UUID path from DuckLake, so it can never land on the backups prefix.
    expect(checkAccess(withGrant({ reader: "alice", schema: "backups!" }), ctx).errors).toEqual([]);
  });
});

describe("checkAccess: warnings", () => {
  it("warns about a table grant shadowed by a schema grant, and keeps it", () => {
    const spec = withGrant({ reader: "alice", schema: "sales", table: "orders" });
    const result = checkAccess(spec, ctx);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      'grants[2] { reader: "alice", schema: "sales", table: "orders" }: already covered by the schema grant sales.* of "alice"; remove the table grant (it is kept, but changes nothing)',
    ]);
    expect(result.access!.grants.map((g) => g.key)).toEqual(["alice/sales", "alice/sales/orders", "bob/hr/salaries"]);
  });

  it("warns about a reader without grants", () => {
    const spec = withReader({ name: "carol", principal: { projectId: "3003", accessKey: "P3003CCCCCCCCCCCCCCC" } });
    expect(checkAccess(spec, ctx).warnings).toEqual(['reader "carol" has no grants; it can log in but sees no tables']);
  });
});

describe("grant keys", () => {
  it.each([
    ["alice", "sales", null, "alice/sales"],
    ["alice", "sales", "orders", "alice/sales/orders"],
    ["alice", "odd schema;--", "t", "alice/odd%20schema%3B--/t"],
    ["alice", "a/b", null, "alice/a%2Fb"],
    ["alice", "a", "b", "alice/a/b"],
    ["alice", "x::y", "100%", "alice/x%3A%3Ay/100%25"],
    ["alice", "Straße", "ünï", "alice/Stra%C3%9Fe/%C3%BCn%C3%AF"],
    ["alice", "s", "*", "alice/s/%2A"],
  ])("grantKey(%j, %j, %j) = %j", (reader, schema, table, key) => {
    expect(grantKey(reader, schema, table)).toBe(key);
  });

  it("is injective and decodable over random odd names (seed 6)", () => {
    const r = rng(6);
    const alphabet = ["a", "B", "/", "%", ".", " ", ":", "*", "-", "_", "é", '"', "'", "2F", "%2F", "$"];
    const word = () => Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(r, alphabet)).join("");
    const seen = new Map<string, string>();
    for (let i = 0; i < 5000; i++) {
      const schema = word();
      const table = r() < 0.3 ? null : word();
      const key = grantKey("alice", schema, table);
      const identity = JSON.stringify([schema, table]);
      expect(seen.get(key) ?? identity).toBe(identity);
      seen.set(key, identity);
      expect(key).toMatch(/^[A-Za-z0-9_.%/-]+$/);
      const [, s, t] = key.split("/");
      expect([decodeNameSegment(s), t === undefined ? null : decodeNameSegment(t)]).toEqual([schema, table]);
    }
    expect(seen.size).toBeGreaterThan(1000);
  });

  it("encodes only what needs it", () => {
    expect(encodeNameSegment("lineitem_2024-v1.2")).toBe("lineitem_2024-v1.2");
  });
});

describe("normalised access", () => {
  it("is identical for every order of readers and grants (seed 7)", () => {
    const r = rng(7);
    const spec: AccessSpec = {
      readers: Array.from({ length: 6 }, (_, i) => ({
        name: `r${i}`,
        principal: { projectId: "2002", accessKey: `P2002${String(i).padStart(15, "0")}` },
        allowedIps: ["198.51.100.0/24", "192.0.2.1/32"],
      })),
      grants: Array.from({ length: 40 }, (_, i) => ({
        reader: `r${i % 6}`,
        schema: `s${i % 5}`,
        ...(i % 7 === 0 ? {} : { table: `t${i}` }),
      })),
    };
    const base = validateAccess(spec, ctx);
    for (let n = 0; n < 20; n++) {
      const shuffled = { readers: [...spec.readers].sort(() => r() - 0.5), grants: [...spec.grants].sort(() => r() - 0.5) };
      const other = validateAccess(shuffled, ctx);
      expect({ readers: other.readers, grants: other.grants }).toEqual({ readers: base.readers, grants: base.grants });
    }
    expect(base.readers[0].allowedIps).toEqual(["192.0.2.1/32", "198.51.100.0/24"]);
  });

  it("builds the access matrix with table grants folded into schema grants", () => {
    const spec = good();
    spec.grants.push({ reader: "alice", schema: "sales", table: "orders" }, { reader: "alice", schema: "hr", table: "people" });
    expect(accessMatrix(validateAccess(spec, ctx))).toEqual({
      alice: { schemas: ["sales"], tables: [{ schema: "hr", table: "people" }] },
      bob: { schemas: [], tables: [{ schema: "hr", table: "salaries" }] },
    });
  });

  it("renders the review a reviewer reads, escaping markdown in names", () => {
    const spec = good();
    spec.grants.push({ reader: "bob", schema: "odd|schema" });
    const md = renderAccessReview(validateAccess(spec, ctx));
    expect(md).toContain("| alice | p2002:P2002AAAAAAAAAAAAAAA | (server allow-list) | sales.* |");
    expect(md).toContain('| bob | p2002:P2002BBBBBBBBBBBBBBB | 203.0.113.7/32 | "odd\\|schema".*, hr.salaries |');
    expect(md).toContain("2 readers, 3 grants.");
  });
});

describe("stack keys", () => {
  it("overrides principals per stack and reports overrides for unknown readers", () => {
    const { spec, problems } = applyPrincipalOverrides(good(), { bob: { accessKey: "P2002LOCAL0000000001" }, bobby: { accessKey: "X" } });
    expect(spec.readers[1].principal).toEqual({ projectId: "2002", accessKey: "P2002LOCAL0000000001" });
    expect(spec.readers[0].principal).toEqual(A);
    expect(problems).toEqual(['readerPrincipals.bobby: no reader "bobby" in access.ts; remove the override or fix its name']);
  });

  it("hands local RGW reader keys out in name order and refuses when too few", () => {
    const creds = {
      readerProject: "2002",
      readers: [
        { accessKey: "K1", secretKey: "S1" },
        { accessKey: "K2", secretKey: "S2" },
      ],
    };
    expect(localReaderKeys(["zed", "amy"], creds)).toEqual({
      principals: { amy: { projectId: "2002", accessKey: "K1" }, zed: { projectId: "2002", accessKey: "K2" } },
      secretKeys: { amy: "S1", zed: "S2" },
    });
    expect(() => localReaderKeys(["a", "b", "c"], creds)).toThrow(
      "the local RGW has 2 reader keys but access.ts declares 3 readers; restart it with LAKE_RGW_READER_KEYS=3",
    );
  });
});

describe("reader DuckDB setup", () => {
  const params = {
    reader: "alice",
    password: "pa'ss\\word",
    host: "lake.example.com",
    port: 5432,
    database: "lake",
    sslmode: "verify-full" as const,
    catalogSchema: "public",
    s3Endpoint: "https://fsn1.your-objectstorage.com",
    s3Region: "fsn1",
    accessKey: "P2002AAAAAAAAAAAAAAA",
    secretKey: "se'cret",
    bucket: "my-lake",
  };
  it("keeps the password in a postgres secret, out of the ATTACH path, and says where the CA goes", () => {
    expect(renderReaderSetup(params).split("\n")).toEqual([
      "-- DuckLake setup for reader alice: read-only; needs the ducklake, postgres and httpfs extensions.",
      "-- TLS: verify-full checks the catalog server against the CA in ~/.postgresql/root.crt (libpq's default;",
      "-- Windows: %APPDATA%\\postgresql\\root.crt; or set PGSSLROOTCERT=<file> before starting DuckDB).",
      "-- Put the lake's CA there once (append if the file exists): pulumi stack output caCertPem >> ~/.postgresql/root.crt",
      "INSTALL ducklake; INSTALL postgres; INSTALL httpfs;",
      "CREATE OR REPLACE SECRET lake_s3 (TYPE s3, KEY_ID 'P2002AAAAAAAAAAAAAAA', SECRET 'se''cret', ENDPOINT 'fsn1.your-objectstorage.com', REGION 'fsn1', URL_STYLE 'path', USE_SSL true, SCOPE 's3://my-lake/');",
      "CREATE OR REPLACE SECRET lake_catalog (TYPE postgres, HOST 'lake.example.com', PORT 5432, DATABASE 'lake', USER 'alice', PASSWORD 'pa''ss\\word');",
      "ATTACH 'ducklake:sslmode=''verify-full''' AS lake (READ_ONLY, METADATA_SCHEMA 'public', METADATA_PARAMETERS MAP {'TYPE': 'postgres', 'SECRET': 'lake_catalog'});",
      "USE lake;",
      "",
    ]);
  });
  it("names an explicit CA file when given one, and needs no CA note without verify-full", () => {
    const withCa = renderReaderSetup({ ...params, sslRootCertPath: "/etc/ducklake/o'ca.pem" });
    expect(withCa).toContain("ATTACH 'ducklake:sslmode=''verify-full'' sslrootcert=''/etc/ducklake/o\\''ca.pem''' AS lake");
    expect(withCa).not.toContain("root.crt");
    expect(renderReaderSetup({ ...params, sslmode: "disable" })).not.toContain("-- TLS");
    for (const text of [withCa, renderReaderSetup(params)])
      expect(text.split("\n").filter((l) => l.includes("pa''ss"))).toEqual([
        expect.stringMatching(/^CREATE OR REPLACE SECRET lake_catalog /),
      ]);
  });
  it("uses plain HTTP with the port for the local RGW", () => {
    expect(renderReaderSetup({ ...params, s3Endpoint: "http://127.0.0.1:47480" })).toContain(
      "ENDPOINT '127.0.0.1:47480', REGION 'fsn1', URL_STYLE 'path', USE_SSL false",
    );
  });
  it("refuses endpoints that are not http(s)", () => {
    expect(() => renderReaderSetup({ ...params, s3Endpoint: "ftp://x" })).toThrow(
      's3Endpoint "ftp://x" must start with https:// or http://',
    );
  });
});

describe("cidrProblem", () => {
  it.each([
    ["203.0.113.7/32", undefined],
    ["10.0.0.0/8", undefined],
    ["2001:db8::/48", undefined],
    ["10.0.0.0/33", '"10.0.0.0/33" has prefix length 33 (IPv4 allows 0-32)'],
    // The rule config and the access list disagreed on: an IPv6 address with host bits set.
    ["2001:db8::1/64", '"2001:db8::1/64" has host bits set after /64; write "2001:db8::/64"'],
    ["2001:db8:0:0:1::5/80", '"2001:db8:0:0:1::5/80" has host bits set after /80; write "2001:db8:0:0:1::/80"'],
    ["203.0.113.7/24", '"203.0.113.7/24" has host bits set after /24; write "203.0.113.0/24"'],
  ])("%s", (cidr, problem) => expect(cidrProblem(cidr)).toBe(problem));
});
