// The prod program (index.ts) under Pulumi mocks, with every resource's *options* recorded by a stack
// transformation: what protects the catalog (protect, hcloud protection, ignoreChanges on the server),
// that reader order never reaches any resource, that no secret rides in the cloud-init user data, and
// how the postgresql provider verifies the server (issue 11 items 3, 4, 7, 8, 10).
import type * as PulumiModule from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { mockResourceState } from "../support/programMocks";

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  opts: Record<string, any>;
}

const SERVER_IP = "198.51.100.10";
const CA_PEM = `-----BEGIN CERTIFICATE-----\n${"Q0FD".repeat(16)}\n-----END CERTIFICATE-----\n`;
const EXISTING_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExistingKeyInTheHetznerProject0000000000 me@old";

jest.mock("../../postgres/lakeLayoutSource", () => {
  const { emptyLayout } = jest.requireActual("../../model/lakePaths");
  return {
    catalogLayoutOrDefault: async (_c: unknown, opts: any) => ({ layout: emptyLayout(opts.dataPath), source: "default layout (test)" }),
  };
});

// Mutable so one test can load the program with the readers (and their allowedIps) permuted.
const mockAccess: { readers: any[]; grants: any[] } = { readers: [], grants: [] };
jest.mock("../../access", () => ({
  get access() {
    return mockAccess;
  },
}));
const READERS = [
  {
    name: "analyst",
    principal: { projectId: "2002", accessKey: "P2002ANALYST00000001" },
    allowedIps: ["203.0.113.0/24", "2001:db8:7::/48", "198.51.100.0/28"],
  },
  { name: "finance", principal: { projectId: "2002", accessKey: "P2002FINANCE00000002" }, allowedIps: ["192.0.2.0/26", "192.0.2.64/26"] },
  { name: "hr_partner", principal: { projectId: "2002", accessKey: "P2002HRPARTNER000003" } },
];
const GRANTS = [
  { reader: "analyst", schema: "sales" },
  { reader: "finance", schema: "sales", table: "orders" },
  { reader: "hr_partner", schema: "hr", table: "employees" },
];

const caDir = fs.mkdtempSync(path.join(os.tmpdir(), "ducklake-ca-test-"));
afterAll(() => fs.rmSync(caDir, { recursive: true, force: true }));

async function loadProgram(config: Record<string, string>, secretKeys: string[]): Promise<Recorded[]> {
  const resources = new Map<string, Recorded>();
  let run: Promise<unknown> | undefined;
  process.env.DUCKLAKE_CA_DIR = caDir;
  // A fresh module registry per load (isolateModules is synchronous; the stack's init runs later).
  jest.resetModules();
  {
    const pulumi: typeof PulumiModule = require("@pulumi/pulumi");
    let n = 0;
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          const r = resources.get(args.name);
          if (r) r.inputs = args.inputs;
          else resources.set(args.name, { type: args.type, name: args.name, inputs: args.inputs, opts: {} });
          return {
            id: args.type.startsWith("hcloud:") ? String(1000 + n++) : `${args.name}-id`,
            state: mockResourceState(args.type, args.name, args.inputs, { serverIp: SERVER_IP, caCertPem: CA_PEM }),
          };
        },
        call: (args) =>
          args.token === "hcloud:index/getSshKey:getSshKey"
            ? { ...args.inputs, id: 4242, publicKey: EXISTING_KEY, fingerprint: "aa:bb" }
            : args.inputs,
      },
      "ducklake",
      "prod",
      false,
    );
    pulumi.runtime.setAllConfig(config, secretKeys);
    run = pulumi.runtime.runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation((a) => {
        const r = resources.get(a.name);
        if (r) r.opts = a.opts;
        else resources.set(a.name, { type: a.type, name: a.name, inputs: {}, opts: a.opts });
        return undefined;
      });
      require("../../index");
      return {};
    });
  }
  await run;
  await new Promise((r) => setTimeout(r, 100));
  return [...resources.values()];
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isWrappedSecret = (v: any) => typeof v === "object" && v !== null && v[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
/** Inputs with secret envelopes opened, for comparisons. */
const plainDeep = (v: any): any =>
  isWrappedSecret(v)
    ? plainDeep(v.value)
    : Array.isArray(v)
      ? v.map(plainDeep)
      : v && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainDeep(x)]))
        : v;
const byName = (rs: Recorded[], name: string) => {
  const r = rs.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name}; have ${rs.map((x) => x.name).join(", ")}`);
  return r;
};

const prodConfig = {
  "ducklake:target": "hetzner",
  "ducklake:bucketName": "acme-lake",
  "ducklake:sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6vLTUhrAjb9jSXXHbSjeDM5R4pYuBnWXbC1rXmlWcL me@laptop",
  "ducklake:adminIps": '["203.0.113.7/32","2001:db8:5::/48","198.51.100.7/32"]',
  "ducklake:s3AccessKey": "ABCDEFGHIJKLMNOPQRST",
  "ducklake:s3SecretKey": "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
  "ducklake:ownerProjectId": "1234567",
};
const secrets = ["ducklake:s3AccessKey", "ducklake:s3SecretKey"];

describe("prod stack: protection of the catalog (items 3, 4)", () => {
  let rs: Recorded[];
  beforeAll(async () => {
    mockAccess.readers = READERS;
    mockAccess.grants = GRANTS;
    rs = await loadProgram(prodConfig, secrets);
  });

  it("protects the catalog database, the bucket, the server and its primary IP by default, in Pulumi and at Hetzner", () => {
    for (const n of ["ducklake-catalog-database", "ducklake-server-server", "ducklake-server-ipv4", "ducklake-storage-bucket"])
      expect([n, byName(rs, n).opts.protect]).toEqual([n, true]);
    expect(byName(rs, "ducklake-server-server").inputs).toMatchObject({ deleteProtection: true, rebuildProtection: true });
    expect(byName(rs, "ducklake-server-ipv4").inputs).toMatchObject({ deleteProtection: true, autoDelete: false });
  });

  it("never replaces the server for a new SSH key, image or cloud-init: those inputs are ignored after create", () => {
    const opts = byName(rs, "ducklake-server-server").opts;
    expect([...opts.ignoreChanges].sort()).toEqual(["image", "sshKeys", "userData"]);
    expect(opts.replaceOnChanges ?? []).toEqual([]);
  });

  it("delivers the operator's key by the remote command, so a rotation re-runs the command only", () => {
    const keys = byName(rs, "ducklake-server-authorized-keys");
    expect(keys.type).toBe("command:remote:Command");
    expect(plainDeep(keys.inputs.stdin)).toContain(prodConfig["ducklake:sshPublicKey"]);
    expect(plainDeep(keys.inputs.stdin)).toContain("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAducklakeserverdeploykey");
    expect(keys.inputs.create).toContain("authorized_keys");
  });
});

describe("prod stack: protectData=false and an SSH key that already exists in the project", () => {
  let rs: Recorded[];
  beforeAll(async () => {
    mockAccess.readers = READERS;
    mockAccess.grants = GRANTS;
    const cfg: Record<string, string> = { ...prodConfig, "ducklake:protectData": "false", "ducklake:sshKeyName": "me@laptop" };
    delete cfg["ducklake:sshPublicKey"];
    rs = await loadProgram(cfg, secrets);
  });

  it("drops Pulumi protect and hcloud protection when opted out", () => {
    for (const n of ["ducklake-catalog-database", "ducklake-server-server", "ducklake-server-ipv4", "ducklake-storage-bucket"])
      expect([n, byName(rs, n).opts.protect ?? false]).toEqual([n, false]);
    expect(byName(rs, "ducklake-server-server").inputs).toMatchObject({ deleteProtection: false, rebuildProtection: false });
    expect(byName(rs, "ducklake-server-ipv4").inputs).toMatchObject({ deleteProtection: false });
  });

  it("uses the existing key (no hcloud.SshKey for the operator) on the server and in authorized_keys", () => {
    expect(rs.filter((r) => r.type === "hcloud:index/sshKey:SshKey").map((r) => r.name)).toEqual(["ducklake-server-deploy-ssh-key"]);
    expect(byName(rs, "ducklake-server-server").inputs.sshKeys).toContain("4242");
    expect(plainDeep(byName(rs, "ducklake-server-authorized-keys").inputs.stdin)).toContain(EXISTING_KEY);
  });
});

describe("prod stack: reader order never reaches a resource (item 8)", () => {
  it("permuting readers and each reader's allowedIps (and adminIps) gives identical inputs for every resource", async () => {
    mockAccess.readers = READERS;
    mockAccess.grants = GRANTS;
    const a = await loadProgram(prodConfig, secrets);
    mockAccess.readers = [...READERS].reverse().map((r) => (r.allowedIps ? { ...r, allowedIps: [...r.allowedIps].reverse() } : r));
    mockAccess.grants = [...GRANTS].reverse();
    const b = await loadProgram({ ...prodConfig, "ducklake:adminIps": '["198.51.100.7/32","2001:db8:5::/48","203.0.113.7/32"]' }, secrets);
    const asMap = (rs: Recorded[]) => Object.fromEntries(rs.map((r) => [r.name, plainDeep(r.inputs)]));
    expect(Object.keys(asMap(b)).sort()).toEqual(Object.keys(asMap(a)).sort());
    for (const r of a) expect([r.name, asMap(b)[r.name]]).toEqual([r.name, plainDeep(r.inputs)]);
    // and the order is a canonical one (IPv4 before IPv6 as Hetzner wants, then sorted)
    const pgRule = byName(a, "ducklake-server-firewall").inputs.rules[1];
    expect(pgRule.sourceIps).toEqual([
      "192.0.2.0/26",
      "192.0.2.64/26",
      "198.51.100.0/28",
      "198.51.100.7/32",
      "203.0.113.0/24",
      "203.0.113.7/32",
      "2001:db8:5::/48",
      "2001:db8:7::/48",
    ]);
  });
});

describe("prod stack: secrets and server verification (items 7, 10)", () => {
  let rs: Recorded[];
  beforeAll(async () => {
    mockAccess.readers = READERS;
    mockAccess.grants = GRANTS;
    rs = await loadProgram(prodConfig, secrets);
  });

  it("renders a cloud-init user data without any secret: no S3 key, no admin password, no TLS private key", () => {
    const userData: string = plainDeep(byName(rs, "ducklake-server-server").inputs.userData);
    expect(userData).toMatch(/^#cloud-config/);
    for (const secret of [
      prodConfig["ducklake:s3SecretKey"],
      prodConfig["ducklake:s3AccessKey"],
      "Pwducklakeserveradminpassword0123456789abcdef",
      "EC PRIVATE KEY",
    ])
      expect([secret, userData.includes(secret)]).toEqual([secret, false]);
    expect(userData).not.toMatch(/ADMIN_PASSWORD=[A-Za-z0-9]|AWS_SECRET_ACCESS_KEY=[A-Za-z0-9]|AWS_ACCESS_KEY_ID=[A-Za-z0-9]/);
  });

  it("sends those secrets over SSH as the provisioning command's stdin, kept secret", () => {
    const ready = byName(rs, "ducklake-server-postgres-ready").inputs;
    expect(isWrappedSecret(ready.stdin)).toBe(true);
    const stdin: string = plainDeep(ready.stdin);
    expect(stdin).toContain(Buffer.from("ADMIN_PASSWORD=Pwducklakeserveradminpassword0123456789abcdef\n").toString("base64"));
    expect(Buffer.from(/^BACKUP_ENV=(.*)$/m.exec(stdin)![1], "base64").toString()).toContain(
      `AWS_SECRET_ACCESS_KEY=${prodConfig["ducklake:s3SecretKey"]}`,
    );
    expect(ready.create).not.toContain(prodConfig["ducklake:s3SecretKey"]);
  });

  it("with backupPrincipal, the backup job gets that key (over SSH) and the bucket policy lets it PutObject under backups/ only", async () => {
    const rs2 = await loadProgram(
      {
        ...prodConfig,
        "ducklake:backupPrincipal": '{"projectId":"7654321","accessKey":"BACKUPKEY00000000001"}',
        "ducklake:backupSecretKey": "backupSecretKey0123456789",
      },
      [...secrets, "ducklake:backupSecretKey"],
    );
    const env = Buffer.from(
      /^BACKUP_ENV=(.*)$/m.exec(plainDeep(byName(rs2, "ducklake-server-postgres-ready").inputs.stdin))![1],
      "base64",
    ).toString();
    expect(env).toContain("AWS_ACCESS_KEY_ID=BACKUPKEY00000000001\nAWS_SECRET_ACCESS_KEY=backupSecretKey0123456789\n");
    const policy = JSON.parse(plainDeep(byName(rs2, "access-storage-bucket-policy").inputs.policy));
    const mine = policy.Statement.filter((st: any) => JSON.stringify(st.Principal).includes("p7654321:BACKUPKEY00000000001"));
    expect(mine).toEqual([
      {
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam:::user/p7654321:BACKUPKEY00000000001" },
        Action: "s3:PutObject",
        Resource: "arn:aws:s3:::acme-lake/backups/*",
      },
    ]);
  });

  it("connects the postgresql provider with verify-full against the stack's CA, written to a file it can read", () => {
    const pg = byName(rs, "ducklake-catalog-postgres").inputs;
    expect(pg.sslmode).toBe("verify-full");
    expect(path.isAbsolute(pg.sslrootcert)).toBe(true);
    expect(fs.readFileSync(pg.sslrootcert, "utf8")).toBe(CA_PEM);
  });
});
