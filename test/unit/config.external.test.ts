// The external target's config (issue 17): its keys, their checks, the keys of other targets refused, and
// the example stack config of docs/infrastructure.md validating as documented.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { ConfigError, RawConfig, validateConfig } from "../../model/config";
import { adminRoleProblem, externalHostProblem, normalizeCaPem } from "../../model/externalServer";
import { makeTlsFiles } from "../support/tlsPostgres";
import { EXTERNAL_CONFIG, HETZNER_CONFIG } from "../support/sampleConfig";

let dir: string;
let caPem: string;
let otherCaPem: string;
let serverKey: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ext-config-"));
  makeTlsFiles(dir);
  caPem = fs.readFileSync(path.join(dir, "ca.crt"), "utf8");
  otherCaPem = fs.readFileSync(path.join(dir, "other-ca.crt"), "utf8");
  serverKey = fs.readFileSync(path.join(dir, "server.key"), "utf8");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const secretSet = new Set(["ducklake:s3AccessKey", "ducklake:s3SecretKey", "ducklake:externalPgAdminPassword"]);
const external = (): RawConfig => ({
  ...EXTERNAL_CONFIG,
  "ducklake:externalPgAdminUser": "lakeadmin",
  "ducklake:externalPgAdminPassword": "s3cret-Admin-pw",
  "ducklake:externalPgCaCert": caPem,
});

function problems(raw: RawConfig): { key: string; problem: string; fix: string }[] {
  try {
    validateConfig(raw, { stack: "prod", secretKeys: secretSet });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("externalTarget.config", () => {
  it("externalTarget.config: a minimal external stack validates with verify-full defaults, Hetzner bucket defaults and protection on", () => {
    const c = validateConfig(external(), { stack: "prod", secretKeys: secretSet });
    expect(c.target).toBe("external");
    expect(c.externalPostgres).toEqual({
      host: "lake-db.example.com",
      port: 5432,
      adminUser: "lakeadmin",
      adminPassword: "s3cret-Admin-pw",
      caCertPem: caPem.replace(/\r\n/g, "\n").trim() + "\n",
    });
    expect([c.s3Endpoint, c.s3Region, c.protectData, c.catalogDatabase]).toEqual([
      "https://fsn1.your-objectstorage.com",
      "fsn1",
      true,
      "ducklake",
    ]);
    expect(c.localPostgres).toBeUndefined();
  });

  it("externalTarget.config: takes an IP host, a port, any https S3 endpoint and a CA bundle with CRLF line ends", () => {
    const c = validateConfig(
      {
        ...external(),
        "ducklake:externalPgHost": "10.1.2.3",
        "ducklake:externalPgPort": "6432",
        "ducklake:s3Endpoint": "https://s3.eu-central-2.wasabisys.com",
        "ducklake:s3Region": "eu-central-2",
        "ducklake:externalPgCaCert": (caPem + otherCaPem).replace(/\n/g, "\r\n"),
      },
      { stack: "prod", secretKeys: secretSet },
    );
    expect(c.externalPostgres).toMatchObject({ host: "10.1.2.3", port: 6432 });
    expect(c.externalPostgres!.caCertPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(c.externalPostgres!.caCertPem).not.toContain("\r");
    expect(c.s3Endpoint).toBe("https://s3.eu-central-2.wasabisys.com");
  });

  it.each<[string, RawConfig, string, RegExp]>([
    ["host missing", { "ducklake:externalPgHost": undefined }, "externalPgHost", /is missing/],
    ["host with a space", { "ducklake:externalPgHost": "db host" }, "externalPgHost", /not a DNS name or IP address/],
    ["host an invalid IPv4", { "ducklake:externalPgHost": "300.1.2.3" }, "externalPgHost", /not a valid IPv4 address/],
    ["host a URL", { "ducklake:externalPgHost": "postgres://db.example.com" }, "externalPgHost", /not a DNS name/],
    ["port 0", { "ducklake:externalPgPort": "0" }, "externalPgPort", /0 is not a TCP port/],
    ["port 70000", { "ducklake:externalPgPort": "70000" }, "externalPgPort", /70000 is not a TCP port/],
    ["port not a number", { "ducklake:externalPgPort": "pg" }, "externalPgPort", /"pg" is not a whole number/],
    ["admin missing", { "ducklake:externalPgAdminUser": undefined }, "externalPgAdminUser", /is missing/],
    ["admin with a quote", { "ducklake:externalPgAdminUser": 'x"; DROP' }, "externalPgAdminUser", /is not a role name/],
    ["admin a pg_ role", { "ducklake:externalPgAdminUser": "pg_monitor" }, "externalPgAdminUser", /reserved role name/],
    ["admin = the catalog owner", { "ducklake:externalPgAdminUser": "ducklake_owner" }, "externalPgAdminUser", /creates and manages/],
    ["password missing", { "ducklake:externalPgAdminPassword": undefined }, "externalPgAdminPassword", /is missing/],
    ["CA missing", { "ducklake:externalPgCaCert": undefined }, "externalPgCaCert", /is missing.*verify-full/],
    ["CA not PEM", { "ducklake:externalPgCaCert": "MIIB..." }, "externalPgCaCert", /is not a PEM certificate/],
    [
      "CA that does not parse",
      { "ducklake:externalPgCaCert": "-----BEGIN CERTIFICATE-----\nQUJDREVGRw==\n-----END CERTIFICATE-----\n" },
      "externalPgCaCert",
      /certificate 1 of 1 does not parse/,
    ],
    ["http S3 endpoint", { "ducklake:s3Endpoint": "http://s3.example.com" }, "s3Endpoint", /plain http/],
  ])("externalTarget.config: refuses %s, naming the key and a fix", (_label, change, key, message) => {
    const raw = { ...external(), ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete raw[k];
    const found = problems(raw).filter((p) => p.key === key);
    expect(found).toHaveLength(1);
    expect(found[0].problem).toMatch(message);
    expect(found[0].fix.length).toBeGreaterThan(10);
  });

  it("externalTarget.config: a private key pasted with the CA is refused", () => {
    const found = problems({ ...external(), "ducklake:externalPgCaCert": caPem + serverKey });
    expect(found).toEqual([
      expect.objectContaining({ key: "externalPgCaCert", problem: expect.stringMatching(/other than PEM certificates/) }),
    ]);
  });

  it("externalTarget.config: the admin password stored in plain text is refused", () => {
    expect(() =>
      validateConfig(external(), { stack: "prod", secretKeys: new Set(["ducklake:s3AccessKey", "ducklake:s3SecretKey"]) }),
    ).toThrow(/ducklake:externalPgAdminPassword: is stored in plain text.*--secret/);
  });

  it("externalTarget.config: hetzner-only and local-only keys are refused with `pulumi config rm`; Pulumi.yaml's defaults pass", () => {
    const found = problems({
      ...external(),
      "ducklake:serverType": "cx33",
      "ducklake:sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6vLTUhrAjb9jSXXHbSjeDM5R4pYuBnWXbC1rXmlWcL me@laptop",
      "ducklake:adminIps": '["203.0.113.7/32"]',
      "ducklake:backupHourUtc": "4",
      "ducklake:postgresVersion": "16",
      "ducklake:localPgPort": "5432",
    });
    expect(found.map((p) => p.key).sort()).toEqual([
      "adminIps",
      "backupHourUtc",
      "localPgPort",
      "postgresVersion",
      "serverType",
      "sshPublicKey",
    ]);
    for (const p of found) expect(p.fix).toBe(`pulumi config rm ducklake:${p.key}`);
    expect(found.find((p) => p.key === "serverType")!.problem).toMatch(
      /applies to target hetzner only.*run, sized and backed up by its service/,
    );
    // Pulumi hands the declared defaults (Pulumi.yaml) to every stack: not an operator's choice, so not refused.
    expect(() =>
      validateConfig(
        { ...external(), "ducklake:serverType": "cx23", "ducklake:localPgHost": "127.0.0.1", "ducklake:localPgUser": "postgres" },
        { stack: "prod", secretKeys: secretSet },
      ),
    ).not.toThrow();
  });

  it("externalTarget.config: external keys on the hetzner target are refused", () => {
    const hetzner: RawConfig = { ...HETZNER_CONFIG, "ducklake:externalPgHost": "db.example.com" };
    expect(problems(hetzner)).toEqual([
      {
        key: "externalPgHost",
        problem: expect.stringMatching(/applies to target external only/),
        fix: "pulumi config rm ducklake:externalPgHost",
      },
    ]);
  });

  it("externalTarget.config: the example stack config in docs/infrastructure.md validates once its secret and CA are set", () => {
    const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "infrastructure.md"), "utf8");
    const block = /<!-- external-target-example -->\s*```yaml\n([\s\S]*?)```/.exec(doc);
    expect(block).not.toBeNull();
    const stack = yaml.load(block![1]) as { config: Record<string, unknown> };
    const raw = Object.fromEntries(Object.entries(stack.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    // As documented: the file alone lacks exactly the values set with commands (secrets and the CA file).
    expect(
      problems({
        ...raw,
        "ducklake:s3AccessKey": "ABCDEFGHIJKLMNOPQRST",
        "ducklake:s3SecretKey": "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
      })
        .map((p) => p.key)
        .sort(),
    ).toEqual(["externalPgAdminPassword", "externalPgCaCert"]);
    const c = validateConfig(
      {
        ...raw,
        "ducklake:s3AccessKey": "ABCDEFGHIJKLMNOPQRST",
        "ducklake:s3SecretKey": "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
        "ducklake:externalPgAdminPassword": "from-the-service",
        "ducklake:externalPgCaCert": caPem,
      },
      { stack: "prod", secretKeys: secretSet },
    );
    expect(c.target).toBe("external");
    expect(c.externalPostgres!.host).toBe(raw["ducklake:externalPgHost"]);
  });
});

describe("externalTarget.config helpers", () => {
  it("externalTarget.config: host, role and CA rules", () => {
    expect(["db.example.com", "10.0.0.5", "2001:db8::5", "pg-1.internal."].map(externalHostProblem)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(externalHostProblem("-bad.example.com")).toMatch(/not a DNS name/);
    expect(["lakeadmin", "doadmin", "admin@server", "Azure_Admin"].map((n) => adminRoleProblem(n, []))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(adminRoleProblem("ducklake_reader", [])).toMatch(/creates and manages/);
    expect(normalizeCaPem(caPem, new Date("2100-01-01")).problem).toMatch(/expired/);
    expect(normalizeCaPem(caPem).subjects).toEqual([expect.stringContaining("test ducklake CA")]);
  });
});
