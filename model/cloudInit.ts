// Renders what the catalog server runs: postgresql.conf fragment, pg_hba.conf, nftables ruleset,
// backup units and environment, and the cloud-init document carrying them. Pure: scripts come in
// as text (templates/load.ts reads them), every value that lands in a file is validated first.
import * as yaml from "js-yaml";
import { cidrProblem, isIpv6Cidr } from "./cidr";
import { readerNameProblem } from "./names";
import {
  MAINTENANCE_WORK_MEM_MB,
  maxConnectionsFor,
  OWNER_WRITER_RESERVED_CONNECTIONS,
  RESERVED_CONNECTIONS_SINCE,
  SUPERUSER_RESERVED_CONNECTIONS,
} from "./connectionBudget";

/** Superuser login role created at first boot; the Pulumi program connects as it over TLS. */
export const ADMIN_ROLE = "ducklake_admin";
/** Where the server keeps its TLS material (owned by postgres). */
export const SERVER_TLS_DIR = "/etc/postgresql/ducklake-tls";
/** Hetzner refuses user data above 32 KiB. */
export const MAX_USER_DATA_BYTES = 32 * 1024;

/** The scripts shipped in templates/. */
export interface ServerScripts {
  setup: string;
  applyAccess: string;
  backup: string;
  tlsReady: string;
  bootstrapAdminSql: string;
  receiveSecrets: string;
}

/** Who may reach what: admins reach SSH + PostgreSQL (all roles); readers reach PostgreSQL as their role. */
export interface AccessRules {
  adminCidrs: string[];
  /** Extra CIDRs per PostgreSQL login role (readers' allowedIps from the access layer). */
  roleCidrs?: { role: string; cidrs: string[] }[];
}

export interface PostgresConfOptions {
  ramGb: number;
  /** PostgreSQL major: 16+ also keeps reserved_connections for the owner and writer. Default 15. */
  postgresVersion?: number;
  listenAddresses?: string;
  port?: number;
  tlsDir?: string;
  /** Only for tests that run the rendered file outside a Debian cluster. */
  unixSocketDir?: string;
}

/** conf.d fragment: TLS only from TLSv1.2, scram, jit off (JIT makes RLS'd catalog queries 100x slower). */
export function renderPostgresqlConf(o: PostgresConfOptions): string {
  const tlsDir = o.tlsDir ?? SERVER_TLS_DIR;
  if (!/^\/[A-Za-z0-9._/-]+$/.test(tlsDir))
    throw new Error(`TLS directory ${JSON.stringify(tlsDir)} must be an absolute path of plain characters`);
  const listen = o.listenAddresses ?? "*";
  if (!/^(\*|[0-9a-fA-F.:,]+)$/.test(listen))
    throw new Error(`listen_addresses ${JSON.stringify(listen)} must be * or a list of addresses`);
  const port = o.port ?? 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port ${port} is not a TCP port`);
  if (!(o.ramGb > 0)) throw new Error(`ramGb ${o.ramGb} must be positive`);
  const mb = Math.floor(o.ramGb * 1024);
  const lines = [
    "# Managed by ducklake-pulumi (cloud-init). Changes here are overwritten on rebuild.",
    `listen_addresses = '${listen}'`,
    `port = ${port}`,
    ...(o.unixSocketDir !== undefined ? [`unix_socket_directories = '${socketDir(o.unixSocketDir)}'`] : []),
    // Sized from memory (~3.8 MB private per reader backend, measured); readers' CONNECTION LIMITs share
    // what the reserves leave (model/connectionBudget.ts).
    `max_connections = ${maxConnectionsFor(o.ramGb)}`,
    `superuser_reserved_connections = ${SUPERUSER_RESERVED_CONNECTIONS}`,
    ...((o.postgresVersion ?? 15) >= RESERVED_CONNECTIONS_SINCE
      ? [
          `reserved_connections = ${OWNER_WRITER_RESERVED_CONNECTIONS}  # for members of pg_use_reserved_connections: the catalog owner and writer`,
        ]
      : []),
    "password_encryption = 'scram-sha-256'",
    "ssl = on",
    `ssl_cert_file = '${tlsDir}/server.crt'`,
    `ssl_key_file = '${tlsDir}/server.key'`,
    `ssl_ca_file = '${tlsDir}/ca.crt'`,
    "ssl_min_protocol_version = 'TLSv1.2'",
    "# JIT turns the catalog guard's policy queries from milliseconds into seconds (bench/catalog-rls.ts in the ducklake-pulumi repository)",
    "jit = off",
    `shared_buffers = '${Math.floor(mb / 4)}MB'`,
    `effective_cache_size = '${Math.floor((mb * 3) / 4)}MB'`,
    "work_mem = '16MB'",
    `maintenance_work_mem = '${MAINTENANCE_WORK_MEM_MB}MB'`,
    "log_connections = on",
    "log_line_prefix = '%m [%p] %q%u@%d from %h '",
    "",
  ];
  return lines.join("\n");
}

function socketDir(dir: string): string {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(dir))
    throw new Error(`socket directory ${JSON.stringify(dir)} must be an absolute path of plain characters`);
  return dir;
}

const PG_HBA_KEYWORDS = new Set(["all", "sameuser", "samerole", "samegroup", "replication"]);

function checkRules(rules: AccessRules): void {
  for (const cidr of [...rules.adminCidrs, ...(rules.roleCidrs ?? []).flatMap((r) => r.cidrs)]) {
    const why = cidrProblem(cidr);
    if (why) throw new Error(`access rule: ${why}`);
  }
  for (const r of rules.roleCidrs ?? []) {
    // pg_hba reads these words as keywords, not role names ("all" would admit every role).
    if (PG_HBA_KEYWORDS.has(r.role))
      throw new Error(`access rule for role ${JSON.stringify(r.role)}: is a pg_hba.conf keyword, not a role`);
    const why = readerNameProblem(r.role);
    if (why) throw new Error(`access rule for role ${JSON.stringify(r.role)}: ${why}`);
  }
}

/**
 * pg_hba.conf: TLS + scram-sha-256 only. Admin CIDRs may use every role and database; each extra
 * role only its own role on the catalog database from its CIDRs; the admin role also over TLS on
 * loopback (the readiness check); everything else, and any non-TLS TCP connection, is rejected.
 */
export function renderPgHba(rules: AccessRules & { catalogDatabase: string; adminRole?: string }): string {
  checkRules(rules);
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(rules.catalogDatabase))
    throw new Error(`database name ${JSON.stringify(rules.catalogDatabase)} is not plain`);
  const adminRole = rules.adminRole ?? ADMIN_ROLE;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(adminRole)) throw new Error(`admin role ${JSON.stringify(adminRole)} is not plain`);
  const row = (type: string, db: string, user: string, addr: string, method: string) =>
    [type.padEnd(10), db.padEnd(16), user.padEnd(24), addr.padEnd(44), method].join(" ").trimEnd();
  const lines = [
    "# Managed by ducklake-pulumi: hostssl + scram-sha-256 only, from the allow-lists below.",
    row("# TYPE", "DATABASE", "USER", "ADDRESS", "METHOD"),
    row("local", "all", "postgres", "", "peer"),
    row("hostssl", "all", adminRole, "127.0.0.1/32", "scram-sha-256"),
    row("hostssl", "all", adminRole, "::1/128", "scram-sha-256"),
    "# admin allow-list",
    ...canonicalCidrs(rules.adminCidrs).map((c) => row("hostssl", "all", "all", c, "scram-sha-256")),
  ];
  const roleRows = canonicalRoleCidrs(rules.roleCidrs ?? []).flatMap((r) =>
    r.cidrs.map((c) => row("hostssl", rules.catalogDatabase, r.role, c, "scram-sha-256")),
  );
  if (roleRows.length) lines.push("# per-role allow-list (readers)", ...roleRows);
  lines.push(
    "# nothing else, and never without TLS",
    row("host", "all", "all", "0.0.0.0/0", "reject"),
    row("host", "all", "all", "::/0", "reject"),
    "",
  );
  return lines.join("\n");
}

/**
 * Per-role CIDRs from the readers of the access spec (only readers that list allowedIps), in canonical
 * order: the list order of readers or of their addresses never reaches a resource. Throws on bad input.
 */
export function roleCidrsFromReaders(readers: { name: string; allowedIps?: string[] }[]): { role: string; cidrs: string[] }[] {
  const rules = canonicalRoleCidrs(
    readers.filter((r) => (r.allowedIps ?? []).length > 0).map((r) => ({ role: r.name, cidrs: r.allowedIps! })),
  );
  checkRules({ adminCidrs: [], roleCidrs: rules });
  return rules;
}

/** One order for a set of CIDRs: duplicates dropped, IPv4 before IPv6 (Hetzner's firewall wants that), then sorted. */
export function canonicalCidrs(cidrs: readonly string[]): string[] {
  const sorted = [...new Set(cidrs)].sort();
  return [...sorted.filter((c) => !isIpv6Cidr(c)), ...sorted.filter(isIpv6Cidr)];
}

/** Roles sorted by name, each with canonical CIDRs. */
export function canonicalRoleCidrs(roleCidrs: readonly { role: string; cidrs: readonly string[] }[]): { role: string; cidrs: string[] }[] {
  return [...roleCidrs]
    .sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : 0))
    .map((r) => ({ role: r.role, cidrs: canonicalCidrs(r.cidrs) }));
}

/** CIDRs that may reach PostgreSQL's port: admins plus every role's CIDRs. */
export function postgresCidrs(rules: AccessRules): string[] {
  return canonicalCidrs([...rules.adminCidrs, ...(rules.roleCidrs ?? []).flatMap((r) => r.cidrs)]);
}

/** Host firewall (nftables): drop by default; SSH from admins, PostgreSQL from admins + roles. */
export function renderNftables(rules: AccessRules): string {
  checkRules(rules);
  const set = (name: string, family: "ipv4_addr" | "ipv6_addr", cidrs: string[]) =>
    `  set ${name} {\n    type ${family}; flags interval; auto-merge;\n` +
    (cidrs.length ? `    elements = { ${cidrs.join(", ")} }\n` : "") +
    "  }";
  const v4 = (cs: string[]) => cs.filter((c) => !isIpv6Cidr(c));
  const v6 = (cs: string[]) => cs.filter(isIpv6Cidr);
  const admin = canonicalCidrs(rules.adminCidrs);
  const pg = postgresCidrs(rules);
  return [
    "#!/usr/sbin/nft -f",
    "# Managed by ducklake-pulumi. The Hetzner Cloud firewall filters the same way in front of the server.",
    "flush ruleset",
    "table inet ducklake {",
    set("admin_v4", "ipv4_addr", v4(admin)),
    set("admin_v6", "ipv6_addr", v6(admin)),
    set("postgres_v4", "ipv4_addr", v4(pg)),
    set("postgres_v6", "ipv6_addr", v6(pg)),
    "  chain input {",
    "    type filter hook input priority 0; policy drop;",
    "    ct state established,related accept",
    "    ct state invalid drop",
    '    iif "lo" accept',
    "    # ICMP keeps path-MTU discovery and IPv6 neighbour discovery working",
    "    meta l4proto { icmp, ipv6-icmp } accept",
    "    # DHCP replies for the server's own addresses",
    "    udp dport { 68, 546 } accept",
    "    tcp dport 22 ip saddr @admin_v4 accept",
    "    tcp dport 22 ip6 saddr @admin_v6 accept",
    "    tcp dport 5432 ip saddr @postgres_v4 accept",
    "    tcp dport 5432 ip6 saddr @postgres_v6 accept",
    "  }",
    "  chain forward {",
    "    type filter hook forward priority 0; policy drop;",
    "  }",
    "}",
    "",
  ].join("\n");
}

export interface BackupSettings {
  catalogDatabase: string;
  bucket: string;
  prefix: string;
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  hourUtc: number;
}

/**
 * KEY=value lines readable by both bash and systemd's EnvironmentFile. Values are restricted to a
 * charset that needs no quoting in either, so nothing can break out of its line.
 */
export function renderEnvFile(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([k, v]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`environment name ${JSON.stringify(k)} is not plain`);
      if (!/^[A-Za-z0-9._:/@+=-]*$/.test(v)) throw new Error(`value of ${k} has characters that would need quoting`);
      return `${k}=${v}\n`;
    })
    .join("");
}

export function renderBackupEnv(b: BackupSettings): string {
  return renderEnvFile({
    PGDATABASE: b.catalogDatabase,
    BACKUP_BUCKET: b.bucket,
    BACKUP_PREFIX: b.prefix,
    S3_ENDPOINT: b.endpoint,
    S3_REGION: b.region,
    AWS_ACCESS_KEY_ID: b.accessKey,
    AWS_SECRET_ACCESS_KEY: b.secretKey,
  });
}

export function renderBackupUnits(hourUtc: number): { service: string; timer: string } {
  if (!Number.isInteger(hourUtc) || hourUtc < 0 || hourUtc > 23) throw new Error(`backup hour ${hourUtc} is not 0-23`);
  const service = [
    "[Unit]",
    "Description=DuckLake catalog backup (pg_dump) to object storage",
    "After=postgresql.service network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    "User=postgres",
    "# read by systemd as root: the S3 key stays in a root-only file",
    "EnvironmentFile=/etc/ducklake/backup.env",
    "ExecStart=/usr/local/sbin/ducklake-backup",
    "",
  ].join("\n");
  const timer = [
    "[Unit]",
    "Description=Nightly DuckLake catalog backup",
    "",
    "[Timer]",
    `OnCalendar=*-*-* ${String(hourUtc).padStart(2, "0")}:00:00 UTC`,
    "RandomizedDelaySec=15m",
    "Persistent=true",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
  return { service, timer };
}

/**
 * What the cloud-init user data carries: nothing secret. Hetzner's metadata service serves user data to
 * every process on the server and keeps it with the server, so the admin password, the TLS private key and
 * the backup job's S3 key travel over SSH instead (renderServerSecrets, the provisioning command's stdin).
 */
export interface ServerSetup {
  postgresVersion: number;
  ramGb: number;
  catalogDatabase: string;
  tls: { caCertPem: string; serverCertPem: string };
  access: AccessRules;
  backupHourUtc: number;
  /**
   * Pre-generated SSH host key, so the program can pin the server's identity instead of trusting first use.
   * The one secret left in user data: it must be in place before the first SSH connection can be verified.
   */
  sshHostKey?: { privateOpenssh: string; publicOpenssh: string };
}

/** The server's secrets, sent over SSH as the provisioning command's stdin (templates/receive-secrets.sh). */
export interface ServerSecrets {
  /** Password of ADMIN_ROLE (letters and digits, from RandomPassword). */
  adminPassword: string;
  serverKeyPem: string;
  backup: BackupSettings;
}

const PEM_BLOCK = /^-----BEGIN [A-Z ]+-----\n[A-Za-z0-9+/=\n]+-----END [A-Z ]+-----\n?$/;

/** `NAME=<base64>` lines (ADMIN_ENV, BACKUP_ENV, SERVER_KEY): the stdin receive-secrets.sh reads. */
export function renderServerSecrets(s: ServerSecrets): string {
  if (!/^[A-Za-z0-9]{16,128}$/.test(s.adminPassword)) throw new Error("admin password must be 16-128 letters and digits");
  if (!PEM_BLOCK.test(s.serverKeyPem)) throw new Error("serverKeyPem is not a PEM block");
  const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
  return [
    `ADMIN_ENV=${b64(renderEnvFile({ ADMIN_PASSWORD: s.adminPassword }))}`,
    `BACKUP_ENV=${b64(renderBackupEnv(s.backup))}`,
    `SERVER_KEY=${b64(s.serverKeyPem)}`,
    "",
  ].join("\n");
}

/** The cloud-init user data (#cloud-config YAML) for the catalog server. */
export function renderCloudInit(s: ServerSetup, scripts: ServerScripts): string {
  if (![15, 16, 17].includes(s.postgresVersion)) throw new Error(`PostgreSQL ${s.postgresVersion} is not supported (15, 16, 17)`);
  if (s.sshHostKey && !/^ssh-ed25519 [A-Za-z0-9+/]+={0,3}\s*$/.test(s.sshHostKey.publicOpenssh))
    throw new Error("sshHostKey.publicOpenssh is not an ed25519 public key");
  const pems: Record<string, string> = { ...s.tls, ...(s.sshHostKey ? { sshHostKey: s.sshHostKey.privateOpenssh } : {}) };
  for (const [name, pem] of Object.entries(pems)) {
    if (!PEM_BLOCK.test(pem)) throw new Error(`${name} is not a PEM block`);
  }
  const units = renderBackupUnits(s.backupHourUtc);
  type File = { path: string; content: string; permissions: string; owner?: string };
  const file = (path: string, content: string, permissions: string): File => ({ path, content, permissions, owner: "root:root" });
  const doc = {
    package_update: true,
    package_upgrade: true,
    packages: ["awscli", "nftables", "unattended-upgrades", "postgresql-common", "ca-certificates", "curl", "gnupg"],
    ssh_pwauth: false,
    ...(s.sshHostKey
      ? {
          ssh_deletekeys: true,
          ssh_genkeytypes: [],
          ssh_keys: { ed25519_private: s.sshHostKey.privateOpenssh, ed25519_public: s.sshHostKey.publicOpenssh.trim() },
        }
      : {}),
    write_files: [
      file("/etc/ducklake/setup.env", renderEnvFile({ PG_VERSION: String(s.postgresVersion), ADMIN_ROLE }), "0644"),
      file("/etc/ducklake/tls/ca.crt", s.tls.caCertPem, "0644"),
      file("/etc/ducklake/tls/server.crt", s.tls.serverCertPem, "0644"),
      file("/etc/ducklake/postgresql.conf", renderPostgresqlConf({ ramGb: s.ramGb, postgresVersion: s.postgresVersion }), "0644"),
      file("/etc/ducklake/pg_hba.conf", renderPgHba({ ...s.access, catalogDatabase: s.catalogDatabase }), "0644"),
      file("/etc/ducklake/nftables.conf", renderNftables(s.access), "0644"),
      file("/etc/ducklake/bootstrap-admin.sql", scripts.bootstrapAdminSql, "0644"),
      file("/etc/systemd/system/ducklake-backup.service", units.service, "0644"),
      file("/etc/systemd/system/ducklake-backup.timer", units.timer, "0644"),
      file("/usr/local/sbin/ducklake-setup", scripts.setup, "0700"),
      file("/usr/local/sbin/ducklake-apply-access", scripts.applyAccess, "0700"),
      file("/usr/local/sbin/ducklake-backup", scripts.backup, "0755"),
      file(
        "/etc/apt/apt.conf.d/20auto-upgrades",
        'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n',
        "0644",
      ),
      file(
        "/etc/ssh/sshd_config.d/50-ducklake.conf",
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n",
        "0644",
      ),
    ],
    // ducklake-setup runs later, from the provisioning command, once the secrets have arrived over SSH.
    runcmd: [["systemctl", "reload", "ssh"]],
  };
  const text = "#cloud-config\n" + yaml.dump(doc, { lineWidth: -1, noRefs: true });
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_USER_DATA_BYTES) throw new Error(`cloud-init is ${bytes} bytes; Hetzner accepts at most ${MAX_USER_DATA_BYTES}`);
  return text;
}

/** Remote command: wait for cloud-init, then for a verify-full TLS connection as the admin role. */
export function renderTlsReadyCommand(serverIp: string, scripts: ServerScripts, timeoutSeconds = 900): string {
  if (!/^[0-9a-fA-F.:]+$/.test(serverIp)) throw new Error(`server address ${JSON.stringify(serverIp)} is not an IP`);
  return `set -- ${serverIp} ${Math.floor(timeoutSeconds)}\n${scripts.tlsReady}`;
}

/**
 * Remote command provisioning the server: wait for cloud-init, take the secrets from stdin
 * (renderServerSecrets), run the idempotent ducklake-setup, then wait for verify-full TLS.
 */
export function renderProvisionCommand(serverIp: string, scripts: ServerScripts, timeoutSeconds = 900): string {
  if (!/^[0-9a-fA-F.:]+$/.test(serverIp)) throw new Error(`server address ${JSON.stringify(serverIp)} is not an IP`);
  return `set -- ${serverIp} ${Math.floor(timeoutSeconds)}\n${scripts.receiveSecrets}\n${scripts.tlsReady}`;
}

/** OpenSSH public keys, one per line, for root's authorized_keys (the authorized-keys command's stdin). */
export function renderAuthorizedKeys(keys: string[]): string {
  const lines = [...new Set(keys.map((k) => k.trim()))];
  for (const k of lines)
    if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/.test(k))
      throw new Error(`${JSON.stringify(k.slice(0, 40))} is not an OpenSSH public key line`);
  if (lines.length === 0) throw new Error("no SSH key for root: nobody could log in");
  return lines.join("\n") + "\n";
}

const HEREDOC_END = "DUCKLAKE_ACCESS_EOF";

/** Remote command: push a new pg_hba.conf + nftables ruleset and apply them (checked before reload). */
export function renderApplyAccessCommand(rules: AccessRules & { catalogDatabase: string }): string {
  const hba = renderPgHba(rules);
  const nft = renderNftables(rules);
  if (hba.includes(HEREDOC_END) || nft.includes(HEREDOC_END)) throw new Error("rendered access files contain the heredoc marker");
  return [
    "set -euo pipefail",
    "dir=$(mktemp -d)",
    `cat > "$dir/pg_hba.conf" <<'${HEREDOC_END}'`,
    hba + HEREDOC_END,
    `cat > "$dir/nftables.conf" <<'${HEREDOC_END}'`,
    nft + HEREDOC_END,
    '/usr/local/sbin/ducklake-apply-access "$dir/pg_hba.conf" "$dir/nftables.conf"',
    'rm -rf "$dir"',
    "",
  ].join("\n");
}
