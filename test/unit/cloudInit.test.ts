import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import * as yaml from "js-yaml";
import {
  MAX_USER_DATA_BYTES,
  ServerSecrets,
  ServerSetup,
  renderApplyAccessCommand,
  renderAuthorizedKeys,
  renderBackupUnits,
  renderCloudInit,
  renderEnvFile,
  renderNftables,
  renderPgHba,
  renderPostgresqlConf,
  renderProvisionCommand,
  renderServerSecrets,
  renderTlsReadyCommand,
  roleCidrsFromReaders,
} from "../../model/cloudInit";
import { loadAuthorizedKeysScript, loadServerScripts } from "../../templates/load";

const scripts = loadServerScripts();
const pem = (label: string) => `-----BEGIN ${label}-----\n${"QUJD".repeat(16)}\n${"QUJD".repeat(10)}=\n-----END ${label}-----\n`;
const setup: ServerSetup = {
  postgresVersion: 15,
  ramGb: 4,
  catalogDatabase: "ducklake",
  tls: { caCertPem: pem("CERTIFICATE"), serverCertPem: pem("CERTIFICATE") },
  access: { adminCidrs: ["203.0.113.7/32", "2001:db8::/64"], roleCidrs: [{ role: "alice", cidrs: ["198.51.100.0/24"] }] },
  backupHourUtc: 3,
  sshHostKey: { privateOpenssh: pem("OPENSSH PRIVATE KEY"), publicOpenssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6vLTUh\n" },
};
const secrets: ServerSecrets = {
  adminPassword: "A".repeat(16) + "b1c2d3e4f5g6h7i8",
  serverKeyPem: pem("EC PRIVATE KEY"),
  backup: {
    catalogDatabase: "ducklake",
    bucket: "acme-lake",
    prefix: "backups/",
    endpoint: "https://fsn1.your-objectstorage.com",
    region: "fsn1",
    accessKey: "ABCDEFGHIJKLMNOPQRST",
    secretKey: "abc/def+ghi=",
    hourUtc: 3,
  },
};

interface CloudConfig {
  packages: string[];
  write_files: { path: string; content: string; permissions: string }[];
  runcmd: string[][];
  ssh_keys?: Record<string, string>;
  ssh_pwauth: boolean;
}
const parse = (text: string) => yaml.load(text) as CloudConfig;
const fileAt = (doc: CloudConfig, p: string) => {
  const f = doc.write_files.find((x) => x.path === p);
  if (!f) throw new Error(`no ${p} in cloud-init`);
  return f;
};

describe("cloud-init document", () => {
  const text = renderCloudInit(setup, scripts);
  const doc = parse(text);

  it("is #cloud-config YAML within Hetzner's user-data limit", () => {
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_USER_DATA_BYTES);
    expect(doc.packages).toEqual(expect.arrayContaining(["awscli", "nftables", "unattended-upgrades"]));
    expect(doc.ssh_pwauth).toBe(false);
    // setup needs the secrets, which arrive later over SSH (the provisioning command)
    expect(doc.runcmd).toEqual([["systemctl", "reload", "ssh"]]);
  });

  it("carries the scripts byte for byte and no secret but the SSH host key", () => {
    expect(fileAt(doc, "/usr/local/sbin/ducklake-backup").content).toBe(scripts.backup);
    expect(fileAt(doc, "/usr/local/sbin/ducklake-setup").content).toBe(scripts.setup);
    for (const p of ["/etc/ducklake/admin.env", "/etc/ducklake/backup.env", "/etc/ducklake/tls/server.key"])
      expect(doc.write_files.map((f) => f.path)).not.toContain(p);
    expect(text).not.toMatch(/ADMIN_PASSWORD=[A-Za-z0-9]|AWS_SECRET_ACCESS_KEY=[A-Za-z0-9]|EC PRIVATE KEY/);
    expect(doc.ssh_keys?.ed25519_public).toBe("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6vLTUh");
  });

  it("puts the secrets in NAME=<base64> lines for the provisioning command's stdin", () => {
    const lines = renderServerSecrets(secrets).trimEnd().split("\n");
    expect(lines.map((l) => l.split("=")[0])).toEqual(["ADMIN_ENV", "BACKUP_ENV", "SERVER_KEY"]);
    const decoded = Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf("=")), Buffer.from(l.slice(l.indexOf("=") + 1), "base64").toString()]),
    );
    expect(decoded.ADMIN_ENV).toBe(`ADMIN_PASSWORD=${secrets.adminPassword}\n`);
    expect(decoded.BACKUP_ENV).toContain("AWS_SECRET_ACCESS_KEY=abc/def+ghi=\n");
    expect(decoded.BACKUP_ENV).toContain("BACKUP_PREFIX=backups/\n");
    expect(decoded.SERVER_KEY).toBe(secrets.serverKeyPem);
    expect(() => renderServerSecrets({ ...secrets, adminPassword: "short" })).toThrow(/16-128 letters and digits/);
    expect(() => renderServerSecrets({ ...secrets, serverKeyPem: "not a pem" })).toThrow(/serverKeyPem is not a PEM block/);
    expect(() => renderServerSecrets({ ...secrets, backup: { ...secrets.backup, secretKey: "x\nEVIL=1" } })).toThrow(
      /AWS_SECRET_ACCESS_KEY has characters/,
    );
  });

  it("renders authorized_keys from OpenSSH public keys only, deduplicated", () => {
    const k = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6vLTUh me@laptop";
    expect(renderAuthorizedKeys([k, `${k}\n`, "ssh-ed25519 AAAAdeploy"])).toBe(`${k}\nssh-ed25519 AAAAdeploy\n`);
    expect(() => renderAuthorizedKeys(['ssh-ed25519 AAAA\ncommand="rm -rf /" ssh-ed25519 AAAA'])).toThrow(/not an OpenSSH public key/);
    expect(() => renderAuthorizedKeys([])).toThrow(/nobody could log in/);
  });

  it("passes bash -n for every shell script it installs", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloudinit-"));
    const shells = doc.write_files.filter((f) => f.content.startsWith("#!/usr/bin/env bash"));
    expect(shells.map((f) => f.path).sort()).toEqual([
      "/usr/local/sbin/ducklake-apply-access",
      "/usr/local/sbin/ducklake-backup",
      "/usr/local/sbin/ducklake-setup",
    ]);
    const extra = [
      renderTlsReadyCommand("198.51.100.10", scripts),
      renderApplyAccessCommand({ ...setup.access, catalogDatabase: "ducklake" }),
      renderProvisionCommand("198.51.100.10", scripts),
      loadAuthorizedKeysScript(),
    ];
    [...shells.map((f) => f.content), ...extra].forEach((content, i) => {
      const file = path.join(dir, `s${i}.sh`);
      fs.writeFileSync(file, content);
      expect(() => execFileSync("bash", ["-n", file], { stdio: "pipe" })).not.toThrow();
    });
    fs.rmSync(dir, { recursive: true });
  });

  it("refuses what would break out of a file or exceed the limits", () => {
    expect(() => renderCloudInit({ ...setup, postgresVersion: 13 }, scripts)).toThrow(/not supported/);
    expect(() => renderCloudInit({ ...setup, tls: { ...setup.tls, serverCertPem: "not a pem" } }, scripts)).toThrow(
      /serverCertPem is not a PEM block/,
    );
    expect(() => renderCloudInit(setup, { ...scripts, setup: "#".repeat(MAX_USER_DATA_BYTES) })).toThrow(/Hetzner accepts at most/);
    expect(() => renderEnvFile({ "BAD NAME": "x" })).toThrow(/not plain/);
    expect(() => renderEnvFile({ A: "$(reboot)" })).toThrow(/would need quoting/);
  });
});

describe("postgresql.conf fragment", () => {
  const conf = renderPostgresqlConf({ ramGb: 4 });
  it.each([
    ["ssl", "on"],
    ["ssl_min_protocol_version", "'TLSv1.2'"],
    ["jit", "off"],
    ["password_encryption", "'scram-sha-256'"],
    ["listen_addresses", "'*'"],
    ["shared_buffers", "'1024MB'"],
    ["ssl_cert_file", "'/etc/postgresql/ducklake-tls/server.crt'"],
  ])("sets %s = %s", (key, value) => {
    expect(conf).toMatch(new RegExp(`^${key} = ${value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`, "m"));
  });
  it("refuses odd paths and addresses", () => {
    expect(() => renderPostgresqlConf({ ramGb: 4, tlsDir: "/etc/x'; y" })).toThrow(/absolute path/);
    expect(() => renderPostgresqlConf({ ramGb: 4, listenAddresses: "*' ssl=off" })).toThrow(/listen_addresses/);
  });
});

describe("pg_hba.conf", () => {
  const hba = renderPgHba({ ...setup.access, catalogDatabase: "ducklake" });
  const rows = hba
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(/\s+/));
  it("allows only hostssl + scram-sha-256 over TCP, and rejects the rest", () => {
    for (const r of rows.filter((r) => r[0].startsWith("host"))) {
      expect(r[0] === "hostssl" ? r[r.length - 1] : r[r.length - 1]).toBe(r[0] === "hostssl" ? "scram-sha-256" : "reject");
    }
    expect(rows.filter((r) => r[0] === "host").map((r) => r[3])).toEqual(["0.0.0.0/0", "::/0"]);
    expect(rows.map((r) => r[r.length - 1])).not.toContain("trust");
    expect(rows.map((r) => r[r.length - 1])).not.toContain("md5");
  });
  it("gives admin CIDRs every role and readers only their role on the catalog database", () => {
    expect(rows).toContainEqual(["hostssl", "all", "all", "203.0.113.7/32", "scram-sha-256"]);
    expect(rows).toContainEqual(["hostssl", "all", "all", "2001:db8::/64", "scram-sha-256"]);
    expect(rows).toContainEqual(["hostssl", "ducklake", "alice", "198.51.100.0/24", "scram-sha-256"]);
  });
  it("refuses bad CIDRs and role names", () => {
    expect(() => renderPgHba({ adminCidrs: ["1.2.3.4"], catalogDatabase: "d" })).toThrow(/not a CIDR/);
    expect(() => renderPgHba({ adminCidrs: [], roleCidrs: [{ role: "all", cidrs: ["1.2.3.4/32"] }], catalogDatabase: "d" })).toThrow(
      /pg_hba.conf keyword/,
    );
    expect(() => renderPgHba({ adminCidrs: [], roleCidrs: [{ role: "postgres", cidrs: ["1.2.3.4/32"] }], catalogDatabase: "d" })).toThrow(
      /reserved/,
    );
  });
});

describe("reader CIDRs from the access spec", () => {
  it("keeps readers that list allowedIps and validates them", () => {
    expect(
      roleCidrsFromReaders([{ name: "alice", allowedIps: ["198.51.100.0/24"] }, { name: "bob" }, { name: "carol", allowedIps: [] }]),
    ).toEqual([{ role: "alice", cidrs: ["198.51.100.0/24"] }]);
    expect(() => roleCidrsFromReaders([{ name: "alice", allowedIps: ["198.51.100.1/24"] }])).toThrow(/host bits/);
    expect(() => roleCidrsFromReaders([{ name: "all", allowedIps: ["198.51.100.0/24"] }])).toThrow(/pg_hba.conf keyword/);
  });
  it("refuses an IPv6 address with host bits with the same rule and message as the access list", () => {
    expect(() => roleCidrsFromReaders([{ name: "alice", allowedIps: ["2001:db8::1/64"] }])).toThrow(
      'access rule: "2001:db8::1/64" has host bits set after /64; write "2001:db8::/64"',
    );
    expect(roleCidrsFromReaders([{ name: "alice", allowedIps: ["2001:db8::/64"] }])).toEqual([{ role: "alice", cidrs: ["2001:db8::/64"] }]);
  });
});

describe("host firewall", () => {
  const nft = renderNftables(setup.access);
  it("drops by default and opens 22 to admins, 5432 to admins + readers", () => {
    expect(nft).toContain("type filter hook input priority 0; policy drop;");
    expect(nft).toMatch(/set admin_v4 \{[^}]*elements = \{ 203\.0\.113\.7\/32 \}/);
    expect(nft).toMatch(/set admin_v6 \{[^}]*elements = \{ 2001:db8::\/64 \}/);
    expect(nft).toMatch(/set postgres_v4 \{[^}]*elements = \{ 198\.51\.100\.0\/24, 203\.0\.113\.7\/32 \}/);
    expect(nft).toContain("tcp dport 22 ip saddr @admin_v4 accept");
    expect(nft).toContain("tcp dport 5432 ip6 saddr @postgres_v6 accept");
    // established, loopback, ICMP, DHCP, and the four allow-list rules: nothing else accepts
    expect(nft.match(/ accept$/gm)!.length).toBe(8);
  });
  it("renders empty sets without elements", () => {
    expect(renderNftables({ adminCidrs: ["203.0.113.7/32"] })).toMatch(
      /set admin_v6 \{\n    type ipv6_addr; flags interval; auto-merge;\n  \}/,
    );
  });
});

describe("backup schedule", () => {
  it("runs nightly at the configured UTC hour as postgres with a root-only key file", () => {
    const u = renderBackupUnits(4);
    expect(u.timer).toContain("OnCalendar=*-*-* 04:00:00 UTC");
    expect(u.timer).toContain("Persistent=true");
    expect(u.service).toContain("User=postgres");
    expect(u.service).toContain("EnvironmentFile=/etc/ducklake/backup.env");
    expect(() => renderBackupUnits(24)).toThrow(/0-23/);
  });
});

describe("remote commands", () => {
  it("passes the server address to the readiness script and refuses anything else", () => {
    expect(renderTlsReadyCommand("198.51.100.10", scripts, 60).split("\n")[0]).toBe("set -- 198.51.100.10 60");
    expect(() => renderTlsReadyCommand("1.2.3.4; reboot", scripts)).toThrow(/not an IP/);
  });
  it("ships pg_hba + nftables in quoted heredocs to the apply script", () => {
    const cmd = renderApplyAccessCommand({ ...setup.access, catalogDatabase: "ducklake" });
    expect(cmd).toContain("<<'DUCKLAKE_ACCESS_EOF'");
    expect(cmd).toContain(renderPgHba({ ...setup.access, catalogDatabase: "ducklake" }));
    expect(cmd).toContain('/usr/local/sbin/ducklake-apply-access "$dir/pg_hba.conf" "$dir/nftables.conf"');
  });
});
