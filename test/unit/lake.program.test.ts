// The whole program (index.ts) under Pulumi mocks, per stack: which resources exist, their key
// inputs, the stack outputs, and that secrets stay secret.
import type * as PulumiModule from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { mockResourceState } from "../support/programMocks";
import { EXTERNAL_CONFIG, LOCAL_CONFIG } from "../support/sampleConfig";

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  provider?: string;
}
interface Loaded {
  program: Record<string, any>;
  resources: Recorded[];
  pulumi: typeof PulumiModule;
}

const SERVER_IP = "198.51.100.10";
// The program writes the server CA for the postgresql provider here (not into the checkout).
process.env.DUCKLAKE_CA_DIR = require("fs").mkdtempSync(require("path").join(require("os").tmpdir(), "ducklake-ca-"));
afterAll(() => require("fs").rmSync(process.env.DUCKLAKE_CA_DIR!, { recursive: true, force: true }));

// The program reads table folders from the live catalog; under mocks there is none (and no host to reach),
// so the layout source answers with DuckLake's default layout and records what it was asked.
const layoutRequests: { host: string; user: string; bucket: string; dataPath: string }[] = [];
jest.mock("../../postgres/lakeLayoutSource", () => {
  const { emptyLayout } = jest.requireActual("../../model/lakePaths");
  return {
    catalogLayoutOrDefault: async (conn: any, opts: any) => {
      layoutRequests.push({ host: conn.host, user: conn.user, bucket: opts.bucket, dataPath: opts.dataPath });
      return { layout: emptyLayout(opts.dataPath), source: "default layout (test)" };
    },
  };
});

// The external target's preview checks reach the live server; here they answer like a healthy managed
// PostgreSQL 15 (a CREATEROLE + CREATEDB admin) and record the connection they were given.
const externalCheckRequests: any[] = [];
jest.mock("../../postgres/externalServerChecks", () => ({
  readExternalServerFacts: async (conn: any, opts: any) => {
    externalCheckRequests.push({ conn, opts });
    return {
      versionNum: 150020,
      version: "15.20",
      admin: { name: conn.user, superuser: false, createRole: true, createDb: true, bypassRls: false },
      adminMemberOf: [],
      jit: { setting: "on", source: "default", context: "user" },
      tls: { ssl: true, version: "TLSv1.3" },
      connections: { max: 20, superuserReserved: 3, reserved: 0 },
      roles: opts.roles.map((name: string) => ({
        name,
        exists: false,
        superuser: false,
        bypassRls: false,
        adminIsMember: false,
        adminHasAdminOption: false,
      })),
    };
  },
}));

// A fixed access list, so these tests do not depend on what access.ts ships with.
jest.mock("../../access", () => ({
  access: {
    readers: [
      { name: "analyst", principal: { projectId: "2002", accessKey: "P2002ANALYST00000001" }, allowedIps: ["203.0.113.0/24"] },
      { name: "finance", principal: { projectId: "2002", accessKey: "P2002FINANCE00000002" } },
      { name: "hr_partner", principal: { projectId: "2002", accessKey: "P2002HRPARTNER000003" } },
    ],
    grants: [
      { reader: "analyst", schema: "sales" },
      { reader: "finance", schema: "sales", table: "orders" },
      { reader: "finance", schema: "sales", table: "invoices" },
      { reader: "hr_partner", schema: "hr", table: "employees" },
    ],
  },
}));

async function loadProgram(stack: string, config: Record<string, string>, secretKeys: string[]): Promise<Loaded> {
  let loaded: Loaded | undefined;
  let failure: unknown;
  jest.isolateModules(() => {
    const pulumi: typeof PulumiModule = require("@pulumi/pulumi");
    const resources: Recorded[] = [];
    let n = 0;
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
          return {
            id: args.type.startsWith("hcloud:") ? String(1000 + n++) : `${args.name}-id`,
            state: mockResourceState(args.type, args.name, args.inputs, { serverIp: SERVER_IP }),
          };
        },
        call: (args) => args.inputs,
      },
      "ducklake",
      stack,
      false,
    );
    pulumi.runtime.setAllConfig(config, secretKeys);
    try {
      loaded = { program: require("../../index"), resources, pulumi };
    } catch (e) {
      failure = e;
      loaded = { program: {}, resources, pulumi };
    }
  });
  if (failure) throw Object.assign(failure as Error, { resources: loaded!.resources });
  // let registrations and applies settle
  await new Promise((r) => setTimeout(r, 50));
  return loaded!;
}

// Mocks see secret inputs wrapped in Pulumi's secret envelope.
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isWrappedSecret = (v: any) => typeof v === "object" && v !== null && v[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
const plain = (v: any) => (isWrappedSecret(v) ? v.value : v);
const value = <T>(o: any): Promise<T> => new Promise((resolve) => o.apply(resolve));
const byName = (rs: Recorded[], name: string) => {
  const r = rs.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name}; have ${rs.map((x) => x.name).join(", ")}`);
  return r;
};

const prodConfig = {
  "ducklake:target": "hetzner",
  "ducklake:bucketName": "acme-lake",
  "ducklake:sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6vLTUhrAjb9jSXXHbSjeDM5R4pYuBnWXbC1rXmlWcL me@laptop",
  "ducklake:adminIps": '["203.0.113.7/32","2001:db8:5::/48"]',
  "ducklake:s3AccessKey": "ABCDEFGHIJKLMNOPQRST",
  "ducklake:s3SecretKey": "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
  "ducklake:ownerProjectId": "1234567",
};
const localConfig = LOCAL_CONFIG;
const secrets = ["ducklake:s3AccessKey", "ducklake:s3SecretKey", "ducklake:localPgPassword"];

describe("prod stack (hetzner)", () => {
  let loaded: Loaded;
  beforeAll(async () => {
    loaded = await loadProgram("prod", prodConfig, secrets);
  });

  it("creates the server, firewall, primary IP, keys, TLS chain, bucket and catalog, all named after their parent", () => {
    const names = loaded.resources.map((r) => `${r.type} ${r.name}`);
    for (const expected of [
      "ducklake:lake:Lake ducklake",
      "ducklake:server:LakeServer ducklake-server",
      "hcloud:index/server:Server ducklake-server-server",
      "hcloud:index/firewall:Firewall ducklake-server-firewall",
      "hcloud:index/primaryIp:PrimaryIp ducklake-server-ipv4",
      "hcloud:index/sshKey:SshKey ducklake-server-ssh-key",
      "hcloud:index/sshKey:SshKey ducklake-server-deploy-ssh-key",
      "tls:index/selfSignedCert:SelfSignedCert ducklake-server-ca",
      "tls:index/locallySignedCert:LocallySignedCert ducklake-server-tls-cert",
      "command:remote:Command ducklake-server-postgres-ready",
      "command:remote:Command ducklake-server-access-rules",
      "ducklake:storage:LakeBucket ducklake-storage",
      "pulumi:providers:aws ducklake-storage-s3",
      "aws:s3/bucket:Bucket ducklake-storage-bucket",
      "ducklake:catalog:Catalog ducklake-catalog",
      "pulumi:providers:postgresql ducklake-catalog-postgres",
      "postgresql:index/database:Database ducklake-catalog-database",
      "postgresql:index/role:Role ducklake-catalog-owner",
      "postgresql:index/role:Role ducklake-catalog-writer",
    ])
      expect(names).toContain(expected);
    // The lake's resources are named after the lake, the access layer's (readers, grants, policy) after it.
    for (const r of loaded.resources.filter((x) => x.name !== "ducklake" && x.name !== "access"))
      expect(r.name.startsWith("ducklake-") || r.name.startsWith("access-")).toBe(true);
  });

  it("orders a cx23 with Debian 12 in fsn1 on the primary IP behind the firewall", () => {
    const s = byName(loaded.resources, "ducklake-server-server").inputs;
    expect(s).toMatchObject({ serverType: "cx23", image: "debian-12", location: "fsn1" });
    expect(s.publicNets).toEqual([expect.objectContaining({ ipv4Enabled: true, ipv6Enabled: true, ipv4: expect.any(Number) })]);
    expect(s.firewallIds).toEqual([expect.any(Number)]);
    expect(s.sshKeys).toHaveLength(2);
  });

  it("opens only 22 (admins) and 5432 (admins + readers' allowedIps from access.ts)", () => {
    const rules = byName(loaded.resources, "ducklake-server-firewall").inputs.rules;
    expect(rules).toEqual([
      expect.objectContaining({ direction: "in", protocol: "tcp", port: "22", sourceIps: ["203.0.113.7/32", "2001:db8:5::/48"] }),
      expect.objectContaining({
        direction: "in",
        protocol: "tcp",
        port: "5432",
        sourceIps: ["203.0.113.0/24", "203.0.113.7/32", "2001:db8:5::/48"],
      }),
    ]);
  });

  it("reads the bucket layout from the catalog as its owner, and wires readers, grants and the bucket policy", () => {
    expect(layoutRequests).toContainEqual({
      host: SERVER_IP,
      user: "ducklake_owner",
      bucket: "acme-lake",
      dataPath: "s3://acme-lake/data/",
    });
    const names = loaded.resources.map((r) => `${r.type} ${r.name}`);
    expect(names).toContain("ducklake:access:Grant access-grant-finance/sales/orders");
    expect(names).toContain("pulumi-nodejs:dynamic/ducklake:ReaderAcl access-acl-finance");
    expect(names).toContain("aws:s3/bucketPolicy:BucketPolicy access-storage-bucket-policy");
    const policy = loaded.resources.find((r) => r.name === "access-storage-bucket-policy")!;
    expect(policy.provider).toContain("ducklake-storage-s3");
  });

  it("boots with a cloud-init that installs PostgreSQL with TLS, the allow-list and nightly backups", () => {
    const userData = byName(loaded.resources, "ducklake-server-server").inputs.userData;
    expect(isWrappedSecret(userData)).toBe(true);
    const text: string = plain(userData);
    const doc = yaml.load(text) as { write_files: { path: string; content: string }[]; runcmd: string[][] };
    const file = (p: string) => doc.write_files.find((f) => f.path === p)!.content;
    expect(file("/etc/ducklake/setup.env")).toBe("PG_VERSION=15\nADMIN_ROLE=ducklake_admin\n");
    expect(file("/etc/ducklake/postgresql.conf")).toMatch(/^ssl_min_protocol_version = 'TLSv1.2'$/m);
    expect(file("/etc/ducklake/postgresql.conf")).toMatch(/^jit = off$/m);
    expect(file("/etc/ducklake/pg_hba.conf")).toMatch(/^hostssl\s+all\s+all\s+203\.0\.113\.7\/32\s+scram-sha-256$/m);
    // backup.env (with the S3 key) comes over SSH: the provisioning command's stdin
    const stdin: string = plain(byName(loaded.resources, "ducklake-server-postgres-ready").inputs.stdin);
    expect(Buffer.from(/^BACKUP_ENV=(.*)$/m.exec(stdin)![1], "base64").toString()).toContain(
      "BACKUP_BUCKET=acme-lake\nBACKUP_PREFIX=backups/\nS3_ENDPOINT=https://fsn1.your-objectstorage.com\n",
    );
    expect(file("/etc/ducklake/tls/server.crt")).toContain("BEGIN CERTIFICATE");
    expect(file("/etc/systemd/system/ducklake-backup.timer")).toContain("OnCalendar=*-*-* 03:00:00 UTC");
  });

  it("waits for verify-full TLS over SSH with a pinned host key before the catalog connects", () => {
    const ready = byName(loaded.resources, "ducklake-server-postgres-ready").inputs;
    expect(isWrappedSecret(ready.connection)).toBe(true);
    expect(plain(ready.connection)).toMatchObject({
      host: SERVER_IP,
      user: "root",
      privateKey: expect.stringContaining("OPENSSH PRIVATE KEY"),
    });
    expect(plain(ready.connection).hostKey).toMatch(/^ssh-ed25519 /);
    expect(ready.create.split("\n")[0]).toBe(`set -- ${SERVER_IP} 900`);
    expect(ready.create).toContain("sslmode=verify-full");
    const pg = byName(loaded.resources, "ducklake-catalog-postgres").inputs;
    expect(pg).toMatchObject({ host: SERVER_IP, port: "5432", username: "ducklake_admin", sslmode: "verify-full", superuser: "true" });
    expect(isWrappedSecret(pg.password)).toBe(true);
  });

  it("points the S3 provider at Hetzner Object Storage, path style, AWS checks off; the bucket uses it", () => {
    const p = byName(loaded.resources, "ducklake-storage-s3").inputs;
    expect(JSON.parse(p.endpoints)).toEqual([{ s3: "https://fsn1.your-objectstorage.com" }]);
    expect(p).toMatchObject({
      region: "fsn1",
      s3UsePathStyle: "true",
      skipCredentialsValidation: "true",
      skipRequestingAccountId: "true",
      skipMetadataApiCheck: "true",
      skipRegionValidation: "true",
    });
    expect([isWrappedSecret(p.accessKey), isWrappedSecret(p.secretKey)]).toEqual([true, true]);
    const b = byName(loaded.resources, "ducklake-storage-bucket");
    expect(b.inputs).toMatchObject({ bucket: "acme-lake", forceDestroy: false });
    expect(b.provider).toContain("ducklake-storage-s3");
    const expiry = byName(loaded.resources, "ducklake-storage-backup-expiry").inputs;
    // A dynamic resource (providers/bucketLifecycle.ts), not aws.s3.BucketLifecycleConfiguration, which never converges on Ceph.
    expect(byName(loaded.resources, "ducklake-storage-backup-expiry").type).toBe("pulumi-nodejs:dynamic/ducklake:BucketLifecycle");
    expect(expiry.rules).toEqual([{ id: "expire-catalog-backups", prefix: "backups/", expirationDays: 30 }]);
    expect(expiry).toMatchObject({ bucket: "acme-lake", endpoint: "https://fsn1.your-objectstorage.com", region: "fsn1" });
    expect([isWrappedSecret(expiry.accessKey), isWrappedSecret(expiry.secretKey)]).toEqual([true, true]);
    expect(b.inputs.tags).toEqual({ "ducklake-stack": expect.stringMatching(/\/prod$/) });
  });

  it("makes a BYPASSRLS writer and an owner that owns the database", () => {
    const writer = byName(loaded.resources, "ducklake-catalog-writer").inputs;
    expect(writer).toMatchObject({ name: "ducklake_writer", login: true, bypassRowLevelSecurity: true });
    expect(isWrappedSecret(writer.password)).toBe(true);
    expect(byName(loaded.resources, "ducklake-catalog-database").inputs).toMatchObject({ name: "ducklake", owner: "ducklake_owner" });
    expect(byName(loaded.resources, "ducklake-catalog-writer-future-tables").inputs).toMatchObject({
      owner: "ducklake_owner",
      role: "ducklake_writer",
      objectType: "table",
      schema: "public",
    });
    // the guard (as the owner) grants the writer's new inlined tables to readers: it needs the grant option
    expect(byName(loaded.resources, "ducklake-catalog-owner-on-writer-tables").inputs).toMatchObject({
      owner: "ducklake_writer",
      role: "ducklake_owner",
      withGrantOption: true,
    });
  });

  it("installs the catalog guard as the superuser over verify-full TLS, naming the owner", () => {
    const g = byName(loaded.resources, "ducklake-catalog-guard");
    expect(g.type).toBe("pulumi-nodejs:dynamic/ducklake:CatalogGuard");
    expect(isWrappedSecret(g.inputs.connection)).toBe(true);
    expect(plain(g.inputs.connection)).toMatchObject({
      host: SERVER_IP,
      database: "ducklake",
      user: "ducklake_admin",
      sslmode: "verify-full",
    });
    expect(g.inputs).toMatchObject({ catalogSchema: "public", catalogOwner: "ducklake_owner" });
  });

  it("exports endpoints, ATTACH statements and a cost flagged over budget", async () => {
    const p = loaded.program;
    expect(await value(p.serverIpv4)).toBe(SERVER_IP);
    expect(await value(p.dataPath)).toBe("s3://acme-lake/data/");
    expect(await value(p.backupsLocation)).toBe("s3://acme-lake/backups/");
    expect(await value(p.catalog)).toEqual({ host: SERVER_IP, port: 5432, database: "ducklake", sslmode: "verify-full" });
    expect(await value(p.attachAsWriter)).toBe(
      `ATTACH 'ducklake:postgres:dbname=ducklake host=${SERVER_IP} port=5432 user=ducklake_writer sslmode=verify-full sslrootcert=ducklake-ca.pem' AS "lake" (DATA_PATH 's3://acme-lake/data/', METADATA_SCHEMA 'public')`,
    );
    expect(await value(p.caCertPem)).toContain("BEGIN CERTIFICATE");
    expect(p.monthlyCostEur).toBeCloseTo(10.98, 2);
    expect(p.monthlyCostOverBudget).toBe(true);
  });

  it("keeps connections with passwords secret, and only those", async () => {
    const p = loaded.program;
    for (const k of ["catalogAdminConnection", "catalogOwnerConnection", "catalogWriterConnection"]) {
      expect(await loaded.pulumi.isSecret(p[k])).toBe(true);
    }
    expect((await value<{ password: string }>(p.catalogAdminConnection)).password).toMatch(/^Pw/);
    expect((await value<{ sslRootCert: string }>(p.catalogAdminConnection)).sslRootCert).toContain("BEGIN CERTIFICATE");
    for (const k of ["catalog", "attachAsWriter", "serverIpv4"]) expect(await loaded.pulumi.isSecret(p[k])).toBe(false);
  });

  it("exports the access matrix and review in clear, reader setups and the CLI connection as secrets", async () => {
    const p = loaded.program;
    for (const k of ["lakeConnection", "readerDuckdbSetups"]) expect(await loaded.pulumi.isSecret(p[k])).toBe(true);
    for (const k of ["accessMatrix", "accessReview", "bucketPolicyHeadroomBytes"]) expect(await loaded.pulumi.isSecret(p[k])).toBe(false);
    const conn = await value<any>(p.lakeConnection);
    expect(conn.catalog).toMatchObject({ host: SERVER_IP, user: "ducklake_owner", sslmode: "verify-full", schema: "public" });
    expect(conn.storage).toMatchObject({ bucket: "acme-lake", dataPrefix: "data/", adminProjectId: "1234567" });
    expect(conn.readers.map((r: any) => r.name)).toEqual(["analyst", "finance", "hr_partner"]);
    expect(conn.readers[1].grants).toEqual([
      { schema: "sales", table: "orders" },
      { schema: "sales", table: "invoices" },
    ]);
    expect(await value<any>(p.accessMatrix)).toMatchObject({ analyst: { schemas: ["sales"] } });
    expect(await value<number>(p.bucketPolicyHeadroomBytes)).toBeGreaterThan(900000);
  });
});

describe("local stack", () => {
  let loaded: Loaded;
  beforeAll(async () => {
    loaded = await loadProgram("local", localConfig, secrets);
  });

  it("creates no Hetzner or SSH resources", () => {
    expect(loaded.resources.filter((r) => /^(hcloud:|command:|tls:)/.test(r.type) || r.type === "pulumi:providers:hcloud")).toEqual([]);
    expect(loaded.resources.some((r) => r.type === "ducklake:server:LakeServer")).toBe(false);
  });

  it("points S3 at the local RGW and PostgreSQL at the local superuser without TLS", () => {
    const s3 = byName(loaded.resources, "ducklake-storage-s3").inputs;
    expect(JSON.parse(s3.endpoints)).toEqual([{ s3: "http://127.0.0.1:47480" }]);
    expect(s3.region).toBe("us-east-1");
    const pg = byName(loaded.resources, "ducklake-catalog-postgres").inputs;
    expect(pg).toMatchObject({ host: "127.0.0.1", port: "54329", username: "postgres", sslmode: "disable" });
    expect(byName(loaded.resources, "ducklake-storage-bucket").inputs.bucket).toBe("ducklake-local");
  });

  it("exports a free lake with secret connections", async () => {
    const p = loaded.program;
    expect(p.serverIpv4).toBeUndefined();
    expect(p.monthlyCostEur).toBe(0);
    expect(await value(p.attachAsOwner)).toContain("host=127.0.0.1 port=54329 user=ducklake_owner sslmode=disable'");
    expect(await loaded.pulumi.isSecret(p.catalogAdminConnection)).toBe(true);
    expect((await value<{ password: string }>(p.catalogAdminConnection)).password).toBe("localSuperuserPw");
  });
});

describe("bad config", () => {
  it("stops the program before any resource is registered", async () => {
    const bad = { ...prodConfig, "ducklake:serverType": "cx22", "ducklake:adminIps": '["0.0.0.0/0"]' };
    let err: (Error & { resources?: Recorded[] }) | undefined;
    try {
      await loadProgram("prod", bad, secrets);
    } catch (e) {
      err = e as Error & { resources?: Recorded[] };
    }
    expect(err?.name).toBe("ConfigError");
    expect(err?.message).toMatch(/ducklake:serverType: "cx22" can no longer be ordered/);
    expect(err?.message).toMatch(/ducklake:adminIps: "0.0.0.0\/0" opens SSH and PostgreSQL to the whole internet/);
    expect(err?.resources).toEqual([]);
  });

  it("refuses S3 keys kept in plain text in the stack file", async () => {
    await expect(loadProgram("prod", prodConfig, [])).rejects.toThrow(/ducklake:s3AccessKey: is stored in plain text/);
  });
});

describe("external stack (existing PostgreSQL, managed shape)", () => {
  let loaded: Loaded;
  let prod: Loaded;
  let caPem: string;
  let warnings: string[] = [];
  const externalConfig = () => ({
    ...EXTERNAL_CONFIG,
    "ducklake:externalPgPort": "6432",
    "ducklake:externalPgAdminUser": "lakeadmin",
    "ducklake:externalPgAdminPassword": "AdminPwOfTheService42",
    "ducklake:externalPgCaCert": caPem,
  });
  const externalSecrets = [...secrets, "ducklake:externalPgAdminPassword"];
  beforeAll(async () => {
    const fs = require("fs");
    const dir = fs.mkdtempSync(require("path").join(require("os").tmpdir(), "ext-ca-"));
    require("../support/tlsPostgres").makeTlsFiles(dir);
    caPem = fs.readFileSync(`${dir}/ca.crt`, "utf8");
    fs.rmSync(dir, { recursive: true, force: true });
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    loaded = await loadProgram("ext", externalConfig(), externalSecrets);
    warnings = warn.mock.calls.map((c) => String(c[0]));
    warn.mockRestore();
    prod = await loadProgram("prod", prodConfig, secrets);
  });

  it("externalTarget.program: creates no Hetzner Cloud, SSH or TLS-chain resource and no backup job", () => {
    expect(loaded.resources.filter((r) => /^(hcloud:|command:|tls:)/.test(r.type) || r.type === "pulumi:providers:hcloud")).toEqual([]);
    expect(loaded.resources.some((r) => r.type === "ducklake:server:LakeServer")).toBe(false);
    expect(loaded.resources.map((r) => r.name).filter((n) => /backup-(job|timer)|server/.test(n))).toEqual([]);
  });

  it("externalTarget.program: checks the live server as the admin over verify-full with the configured CA before connecting", () => {
    const req = externalCheckRequests.find((r) => r.conn.host === "lake-db.example.com");
    expect(req.conn).toMatchObject({
      host: "lake-db.example.com",
      port: 6432,
      user: "lakeadmin",
      database: "postgres",
      sslmode: "verify-full",
    });
    expect(req.conn.sslRootCert).toContain("BEGIN CERTIFICATE");
    // the program's roles and the readers of access.ts: none may exist with SUPERUSER or BYPASSRLS
    expect(req.opts).toEqual({
      catalogDatabase: "ducklake",
      roles: ["ducklake_owner", "ducklake_writer", "ducklake_reader", "analyst", "finance", "hr_partner"],
    });
    const pg = byName(loaded.resources, "ducklake-catalog-postgres").inputs;
    expect(pg).toMatchObject({
      host: "lake-db.example.com",
      port: "6432",
      username: "lakeadmin",
      sslmode: "verify-full",
      superuser: "false",
    });
    expect(isWrappedSecret(pg.password)).toBe(true);
    // the plugin reads the CA from a file (lib/pq sslrootcert is a path): the program wrote it there
    expect(require("fs").readFileSync(pg.sslrootcert, "utf8")).toBe(caPem.trim() + "\n");
  });

  it("externalTarget.program: a writer without BYPASSRLS, ducklake_reader ensured and administered by the owner, the admin a member of owner and writer", () => {
    expect(byName(loaded.resources, "ducklake-catalog-writer").inputs).toMatchObject({
      name: "ducklake_writer",
      login: true,
      bypassRowLevelSecurity: false,
    });
    expect(byName(loaded.resources, "ducklake-catalog-reader-base-role").type).toBe("pulumi-nodejs:dynamic/ducklake:ReaderBaseRole");
    expect(byName(loaded.resources, "ducklake-catalog-owner-administers-readers").inputs).toMatchObject({
      role: "ducklake_owner",
      withAdminOption: true,
    });
    expect(byName(loaded.resources, "ducklake-catalog-admin-member-of-owner").inputs).toMatchObject({
      role: "lakeadmin",
      grantRole: "ducklake_owner",
    });
    expect(byName(loaded.resources, "ducklake-catalog-admin-member-of-writer").inputs).toMatchObject({
      role: "lakeadmin",
      grantRole: "ducklake_writer",
    });
    expect(byName(loaded.resources, "ducklake-catalog-database").inputs).toMatchObject({ name: "ducklake", owner: "ducklake_owner" });
    // the owner acts on the writer's inlined tables as a member of the writer (never the other way round)
    const ownerInWriter = byName(loaded.resources, "ducklake-catalog-owner-member-of-writer").inputs;
    expect(ownerInWriter).toMatchObject({ role: "ducklake_owner", grantRole: "ducklake_writer" });
    expect(ownerInWriter.withAdminOption).toBeFalsy();
    expect(
      loaded.resources.filter((r) => r.type === "postgresql:index/grantRole:GrantRole" && plain(r.inputs.role) === "ducklake_writer"),
    ).toEqual([]);
    // none of this exists on the VPS target, whose admin is a superuser
    for (const n of [
      "ducklake-catalog-reader-base-role",
      "ducklake-catalog-admin-member-of-owner",
      "ducklake-catalog-owner-administers-readers",
      "ducklake-catalog-owner-member-of-writer",
    ])
      expect(prod.resources.some((r) => r.name === n)).toBe(false);
  });

  it("externalTarget.program: installs the guard and grants the writer's tables as the owner login, not the admin", () => {
    expect(byName(loaded.resources, "ducklake-catalog-guard").inputs).toMatchObject({
      catalogSchema: "public",
      catalogOwner: "ducklake_owner",
      catalogWriter: "ducklake_writer",
    });
    for (const n of ["ducklake-catalog-guard", "ducklake-catalog-writer-existing-tables"]) {
      const r = byName(loaded.resources, n);
      expect(isWrappedSecret(r.inputs.connection)).toBe(true);
      expect(plain(r.inputs.connection)).toMatchObject({
        host: "lake-db.example.com",
        port: 6432,
        database: "ducklake",
        user: "ducklake_owner",
        sslmode: "verify-full",
      });
    }
  });

  it("externalTarget.program: the same access resources as the hetzner target for the same access.ts, in the same order", () => {
    const access = (l: Loaded) =>
      l.resources.filter((r) => r.name === "access" || r.name.startsWith("access-")).map((r) => `${r.type} ${r.name}`);
    expect(access(loaded).length).toBeGreaterThan(10);
    expect(access(loaded)).toEqual(access(prod));
    const policy = (l: Loaded) => byName(l.resources, "access-storage-bucket-policy").inputs.policy;
    expect(policy(loaded)).toEqual(policy(prod));
    const acl = (l: Loaded) => byName(l.resources, "access-acl-finance").inputs.grants;
    expect(acl(loaded)).toEqual(acl(prod));
  });

  it("externalTarget.program: the resources docs/infrastructure.md tells to import for an existing catalog exist under those names and types", () => {
    const doc = require("fs").readFileSync(require("path").join(__dirname, "..", "..", "docs", "infrastructure.md"), "utf8");
    const rows = [...doc.matchAll(/^\| `([a-z<>-]+)`[^|]*\| `(postgresql:index\/[a-zA-Z]+:[A-Za-z]+)` \|/gm)].map((m) => [m[1], m[2]]);
    expect(rows.length).toBe(4);
    for (const [name, type] of rows)
      for (const n of name.includes("<reader>") ? ["analyst", "finance", "hr_partner"].map((r) => name.replace("<reader>", r)) : [name])
        expect(byName(loaded.resources, n).type).toBe(type);
  });

  it("externalTarget.program: warns that readers' allowedIps cannot be enforced there, and passes on the checks' warnings", () => {
    expect(warnings.filter((w) => /allowedIps/.test(w))).toEqual([
      expect.stringMatching(
        /reader "analyst": allowedIps \(203\.0\.113\.0\/24\) cannot be enforced on target external .*service's network rules/,
      ),
    ]);
    // the mocked server runs jit = on server-wide: a warning, not a refusal
    expect(warnings.filter((w) => /external PostgreSQL: jit/.test(w))).toHaveLength(1);
    // 3 readers × the default limit 4 = 12 > 20 - 3 reserved - 10 kept for owner, writer and admin
    expect(warnings.filter((w) => /external PostgreSQL: connections/.test(w))).toEqual([
      expect.stringMatching(
        /connections: 3 readers may hold 12 catalog connections together, but the server runs max_connections = 20 .*: 7 for readers/,
      ),
    ]);
  });

  it("externalTarget.program: registration order is stable across runs", async () => {
    const again = await loadProgram("ext", externalConfig(), externalSecrets);
    expect(again.resources.map((r) => r.name)).toEqual(loaded.resources.map((r) => r.name));
  });

  it("externalTarget.program: outputs say the service does the backups; no password in any plain output", async () => {
    const p = loaded.program;
    expect(p.backups).toMatch(/done by the PostgreSQL service/);
    expect(p.backupsLocation).toBeUndefined();
    expect(p.serverIpv4).toBeUndefined();
    expect(await value(p.catalog)).toEqual({ host: "lake-db.example.com", port: 6432, database: "ducklake", sslmode: "verify-full" });
    expect(await value(p.attachAsWriter)).toContain(
      "host=lake-db.example.com port=6432 user=ducklake_writer sslmode=verify-full sslrootcert=ducklake-ca.pem",
    );
    expect(await loaded.pulumi.isSecret(p.catalogAdminConnection)).toBe(true);
    expect((await value<any>(p.catalogAdminConnection)).password).toBe("AdminPwOfTheService42");
    const secretsSeen = [
      "AdminPwOfTheService42",
      "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
      "Pwducklakecatalogownerpassword",
      "Pwducklakecatalogwriterpassword",
    ];
    let plainOutputs = 0;
    for (const [k, v] of Object.entries<any>(p)) {
      if (v === undefined) continue;
      const out = loaded.pulumi.Output.isInstance(v) ? v : loaded.pulumi.output(v);
      if (await loaded.pulumi.isSecret(out)) continue;
      const text = JSON.stringify(await value(out)) ?? "";
      plainOutputs++;
      for (const s of secretsSeen) expect({ output: k, leaks: text.includes(s) }).toEqual({ output: k, leaks: false });
    }
    expect(plainOutputs).toBeGreaterThan(10);
    expect(p.monthlyCostEur).toBeCloseTo(4.99, 2);
  });
});
