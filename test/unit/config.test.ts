import { ConfigError, RawConfig, bucketNameProblem, validateConfig } from "../../model/config";
import { cidrProblem } from "../../model/cidr";

const prod: RawConfig = {
  "ducklake:target": "hetzner",
  "ducklake:bucketName": "acme-lake",
  "ducklake:sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6vLTUhrAjb9jSXXHbSjeDM5R4pYuBnWXbC1rXmlWcL me@laptop",
  "ducklake:adminIps": '["203.0.113.7/32","2001:db8::/64"]',
  "ducklake:s3AccessKey": "ABCDEFGHIJKLMNOPQRST",
  "ducklake:s3SecretKey": "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
  "ducklake:ownerProjectId": "1234567",
};
const local: RawConfig = {
  "ducklake:bucketName": "ducklake-local",
  "ducklake:s3Endpoint": "http://127.0.0.1:47480",
  "ducklake:s3AccessKey": "P1001ABCDEFGHIJKLMNO",
  "ducklake:s3SecretKey": "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
  "ducklake:ownerProjectId": "1001",
  "ducklake:localPgPort": "54329",
  "ducklake:localPgPassword": "s3cretLocalPw",
};
const allSecret = new Set(["ducklake:s3AccessKey", "ducklake:s3SecretKey", "ducklake:localPgPassword"]);

function problemsOf(raw: RawConfig, stack = "prod", secretKeys?: ReadonlySet<string>) {
  try {
    validateConfig(raw, { stack, secretKeys });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("validateConfig: good configs", () => {
  it("fills prod defaults (cx23, fsn1 endpoint, backups/, public, postgres 15)", () => {
    const c = validateConfig(prod, { stack: "prod", secretKeys: allSecret });
    expect(c).toMatchObject({
      target: "hetzner",
      location: "fsn1",
      serverType: "cx23",
      s3Endpoint: "https://fsn1.your-objectstorage.com",
      s3Region: "fsn1",
      postgresVersion: 15,
      backupsPrefix: "backups/",
      dataPrefix: "data/",
      readerListing: false,
      catalogSchema: "public",
      catalogDatabase: "ducklake",
      backupHourUtc: 3,
      backupRetentionDays: 30,
      adminIps: ["203.0.113.7/32", "2001:db8::/64"],
      ownerProjectId: "1234567",
      allowWorldAccess: false,
    });
    expect(c.localPostgres).toBeUndefined();
  });

  it("derives endpoint and region from the location", () => {
    const c = validateConfig({ ...prod, "ducklake:location": "hel1" }, { stack: "prod" });
    expect([c.s3Endpoint, c.s3Region]).toEqual(["https://hel1.your-objectstorage.com", "hel1"]);
  });

  it("takes the local target from the stack name and reads the local services", () => {
    const c = validateConfig(local, { stack: "local", secretKeys: allSecret });
    expect(c.target).toBe("local");
    expect(c.localPostgres).toEqual({ host: "127.0.0.1", port: 54329, user: "postgres", password: "s3cretLocalPw" });
    expect(c.s3Region).toBe("us-east-1");
    expect(c.adminIps).toEqual([]);
  });

  it("accepts the world only when explicitly allowed", () => {
    const c = validateConfig({ ...prod, "ducklake:adminIps": '["0.0.0.0/0"]', "ducklake:allowWorldAccess": "true" }, { stack: "prod" });
    expect(c.adminIps).toEqual(["0.0.0.0/0"]);
  });

  it("leaves keys of other program parts alone", () => {
    expect(() => validateConfig({ ...prod, "ducklake:readers": "[]", "ducklake:grants": "[]" }, { stack: "prod" })).not.toThrow();
  });
});

// Each row: a change to a valid config, the key that must be named, and words the message must contain.
const badConfigs: [string, RawConfig, string, RegExp][] = [
  ["unknown target", { ...prod, "ducklake:target": "aws" }, "target", /"aws" is not a target.*local, hetzner or external/],
  ["unknown location", { ...prod, "ducklake:location": "fra1" }, "location", /"fra1" is not a Hetzner location.*fsn1, nbg1, hel1/],
  ["withdrawn cx22", { ...prod, "ducklake:serverType": "cx22" }, "serverType", /"cx22" can no longer be ordered.*use cx23/],
  ["unknown server type", { ...prod, "ducklake:serverType": "m5.large" }, "serverType", /not a known server type.*cx23, cx33/],
  [
    "missing ssh key",
    { ...prod, "ducklake:sshPublicKey": undefined },
    "sshPublicKey",
    /is missing.*pulumi config set ducklake:sshPublicKey/,
  ],
  [
    "private key pasted as ssh key",
    { ...prod, "ducklake:sshPublicKey": "-----BEGIN OPENSSH PRIVATE KEY-----" },
    "sshPublicKey",
    /not an OpenSSH public key.*not the private key/,
  ],
  ["missing admin ips", { ...prod, "ducklake:adminIps": undefined }, "adminIps", /is missing.*reachable from nowhere/],
  ["admin ips not JSON", { ...prod, "ducklake:adminIps": "203.0.113.7/32" }, "adminIps", /not a JSON list/],
  [
    "admin ip without prefix",
    { ...prod, "ducklake:adminIps": '["203.0.113.7"]' },
    "adminIps",
    /"203.0.113.7" is not a CIDR.*prefix length/,
  ],
  ["admin ip with host bits", { ...prod, "ducklake:adminIps": '["203.0.113.7/24"]' }, "adminIps", /host bits set after \/24/],
  [
    "admin IPv6 with host bits",
    { ...prod, "ducklake:adminIps": '["2001:db8::1/64"]' },
    "adminIps",
    /"2001:db8::1\/64" has host bits set after \/64; write "2001:db8::\/64"/,
  ],
  [
    "world without allowWorldAccess",
    { ...prod, "ducklake:adminIps": '["0.0.0.0/0"]' },
    "adminIps",
    /whole internet.*allowWorldAccess true/,
  ],
  ["IPv6 world", { ...prod, "ducklake:adminIps": '["::/0"]' }, "adminIps", /whole internet/],
  ["bucket with capitals", { ...prod, "ducklake:bucketName": "Acme-Lake" }, "bucketName", /upper-case.*3-63 lower-case/],
  ["bucket with dots", { ...prod, "ducklake:bucketName": "acme.lake" }, "bucketName", /dots/],
  ["bucket too short", { ...prod, "ducklake:bucketName": "ab" }, "bucketName", /2 characters \(3-63 allowed\)/],
  ["missing bucket", { ...prod, "ducklake:bucketName": undefined }, "bucketName", /is missing/],
  [
    "plain http endpoint in prod",
    { ...prod, "ducklake:s3Endpoint": "http://fsn1.your-objectstorage.com" },
    "s3Endpoint",
    /plain http.*unencrypted/,
  ],
  [
    "endpoint with a path",
    { ...prod, "ducklake:s3Endpoint": "https://fsn1.your-objectstorage.com/lake" },
    "s3Endpoint",
    /scheme:\/\/host\[:port\] only/,
  ],
  ["no object storage at location", { ...prod, "ducklake:location": "ash" }, "s3Endpoint", /location "ash" has no Hetzner Object Storage/],
  ["missing secret key", { ...prod, "ducklake:s3SecretKey": undefined }, "s3SecretKey", /is missing.*--secret ducklake:s3SecretKey/],
  [
    "malformed access key",
    { ...prod, "ducklake:s3AccessKey": "has spaces in it !!" },
    "s3AccessKey",
    /does not look like an S3 access key/,
  ],
  ["unsupported postgres", { ...prod, "ducklake:postgresVersion": "12" }, "postgresVersion", /12 is not supported.*15, 16, 17/],
  ["postgres not a number", { ...prod, "ducklake:postgresVersion": "fifteen" }, "postgresVersion", /not a whole number/],
  [
    "project id with p prefix",
    { ...prod, "ducklake:ownerProjectId": "p1234567" },
    "ownerProjectId",
    /not a numeric project id.*without the p prefix/,
  ],
  ["backups prefix without slash", { ...prod, "ducklake:backupsPrefix": "backups" }, "backupsPrefix", /not a relative prefix ending in \//],
  ["backups inside data", { ...prod, "ducklake:backupsPrefix": "data/backups/" }, "backupsPrefix", /overlaps dataPrefix "data\/"/],
  ["dot-dot prefix", { ...prod, "ducklake:dataPrefix": "../data/" }, "dataPrefix", /\.\. segments/],
  ["backup hour 24", { ...prod, "ducklake:backupHourUtc": "24" }, "backupHourUtc", /24 is not an hour/],
  ["readerListing yes", { ...prod, "ducklake:readerListing": "yes" }, "readerListing", /"yes" is not true or false/],
  ["catalog schema reserved", { ...prod, "ducklake:catalogSchema": "ducklake_guard" }, "catalogSchema", /reserved/],
  [
    "catalog schema with quote",
    { ...prod, "ducklake:catalogSchema": 'lake"; drop' },
    "catalogSchema",
    /not a plain PostgreSQL schema name/,
  ],
  ["catalog database is postgres", { ...prod, "ducklake:catalogDatabase": "postgres" }, "catalogDatabase", /system database/],
  ["misspelt key", { ...prod, "ducklake:bucketname": "x" }, "bucketname", /did you mean ducklake:bucketName/],
  ["local without port", { ...local, "ducklake:localPgPort": undefined }, "localPgPort", /is missing.*npm start/],
  ["local pg on a remote host", { ...local, "ducklake:localPgHost": "10.0.0.5" }, "localPgHost", /not a loopback address/],
  ["local endpoint missing", { ...local, "ducklake:s3Endpoint": undefined }, "s3Endpoint", /missing \(the local RGW endpoint\)/],
];

describe("validateConfig: bad configs are refused with key, problem and fix", () => {
  it.each(badConfigs)("%s", (_label, raw, key, message) => {
    const stack = raw["ducklake:localPgPort"] !== undefined || raw["ducklake:localPgPassword"] !== undefined ? "local" : "prod";
    const err = problemsOf(raw, stack);
    const p = err.problems.find((x) => x.key === key);
    expect(p).toBeDefined();
    expect(`${p!.problem}. Fix: ${p!.fix}`).toMatch(message);
    expect(err.message).toContain(`ducklake:${key}:`);
    expect(p!.fix.length).toBeGreaterThan(5);
  });

  it("has at least 15 cases", () => {
    expect(badConfigs.length).toBeGreaterThanOrEqual(15);
  });

  it("reports every problem at once", () => {
    const err = problemsOf({
      ...prod,
      "ducklake:bucketName": "A",
      "ducklake:serverType": "cx22",
      "ducklake:adminIps": '["1.2.3.4"]',
      "ducklake:ownerProjectId": undefined,
    });
    expect(err.problems.map((p) => p.key).sort()).toEqual(["adminIps", "bucketName", "ownerProjectId", "serverType"]);
    expect(err.message).toMatch(/^Invalid stack configuration \(4 problems\):/);
  });

  it("refuses secrets stored in plain text when Pulumi says which keys are secret", () => {
    const err = problemsOf(prod, "prod", new Set(["ducklake:s3AccessKey"]));
    expect(err.problems).toEqual([
      {
        key: "s3SecretKey",
        problem: "is stored in plain text in the stack file",
        fix: "store it encrypted: pulumi config set --secret ducklake:s3SecretKey <value>",
      },
    ]);
  });

  it("refuses readers' S3 secret keys stored in plain text", () => {
    const err = problemsOf(
      { ...prod, "ducklake:readerSecretKeys": '{"finance":"abc"}' },
      "prod",
      new Set(["ducklake:s3AccessKey", "ducklake:s3SecretKey"]),
    );
    expect(err.problems).toEqual([
      {
        key: "readerSecretKeys",
        problem: "is stored in plain text in the stack file",
        fix: "store each reader's key encrypted: pulumi config set --secret --path 'ducklake:readerSecretKeys.<reader>' <secret key>",
      },
    ]);
  });
});

describe("reader keys in stack config (read here, not in index.ts)", () => {
  it("reads readerPrincipals with digits as strings, and readerSecretKeys", () => {
    const c = validateConfig(
      {
        ...prod,
        "ducklake:readerPrincipals": '{"alice":{"projectId":2002,"accessKey":"P2002AAAAAAAAAAAAAAA"}}',
        "ducklake:readerSecretKeys": '{"alice":"alice-secret"}',
      },
      { stack: "prod" },
    );
    expect(c.readerPrincipals).toEqual({ alice: { projectId: "2002", accessKey: "P2002AAAAAAAAAAAAAAA" } });
    expect(c.readerSecretKeys).toEqual({ alice: "alice-secret" });
    expect(validateConfig(prod, { stack: "prod" })).toMatchObject({ readerPrincipals: {}, readerSecretKeys: {} });
  });
  it("refuses readerPrincipals that are not an object of objects", () => {
    expect(problemsOf({ ...prod, "ducklake:readerPrincipals": "[1]" }).problems).toEqual([
      {
        key: "readerPrincipals",
        problem: "is not a JSON object",
        fix: "pulumi config set --path 'ducklake:readerPrincipals.<reader>.projectId' <id> (and .accessKey)",
      },
    ]);
    expect(problemsOf({ ...prod, "ducklake:readerPrincipals": '{"alice":"P2002AAAAAAAAAAAAAAA"}' }).problems.map((p) => p.problem)).toEqual(
      [".alice is not an object"],
    );
  });
});

describe("ownerProjectKeys", () => {
  it("defaults to refuse, takes deny, and refuses anything else", () => {
    expect(validateConfig(prod, { stack: "prod" }).ownerProjectKeys).toBe("refuse");
    expect(validateConfig({ ...prod, "ducklake:ownerProjectKeys": "deny" }, { stack: "prod" }).ownerProjectKeys).toBe("deny");
    expect(problemsOf({ ...prod, "ducklake:ownerProjectKeys": "allow" }).problems.map((p) => p.problem)).toEqual([
      '"allow" is not refuse or deny',
    ]);
  });
});

describe("name and network rules", () => {
  it.each([
    ["my-lake", undefined],
    ["xn--lake", "reserved"],
    ["lake-", "starts/ends"],
    ["a".repeat(64), "64 characters"],
  ])("bucket %s", (name, expected) => {
    const why = bucketNameProblem(name);
    if (expected === undefined) expect(why).toBeUndefined();
    else expect(why).toContain(expected);
  });
  it.each([
    ["10.0.0.0/8", undefined],
    ["2001:db8::1/128", undefined],
    ["fe80::/10", undefined],
    ["1.2.3.4/33", "0-32"],
    ["256.1.1.1/32", "not an IPv4 or IPv6"],
    ["2001:db8::1/64", "host bits"],
    ["::1::2/128", "not an IPv4 or IPv6"],
  ])("cidr %s", (cidr, expected) => {
    const why = cidrProblem(cidr);
    if (expected === undefined) expect(why).toBeUndefined();
    else expect(why).toContain(expected);
  });
});
