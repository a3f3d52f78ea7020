import * as pulumi from "@pulumi/pulumi";
import * as hcloud from "@pulumi/hcloud";
import * as tls from "@pulumi/tls";
import * as random from "@pulumi/random";
import * as command from "@pulumi/command";
import {
  ADMIN_ROLE,
  AccessRules,
  BackupSettings,
  canonicalCidrs,
  canonicalRoleCidrs,
  postgresCidrs,
  renderApplyAccessCommand,
  renderAuthorizedKeys,
  renderCloudInit,
  renderProvisionCommand,
  renderServerSecrets,
} from "../model/cloudInit";
import { loadAuthorizedKeysScript, loadServerScripts } from "../templates/load";

export interface LakeServerArgs {
  /** Hetzner location, e.g. fsn1. */
  location: pulumi.Input<string>;
  /** Hetzner server type (validated against model/cost SERVER_TYPES). */
  serverType: pulumi.Input<string>;
  /** RAM of the server type in GB; sizes PostgreSQL's memory settings. */
  ramGb: number;
  /** The operator's OpenSSH public key (root login). Give this or existingSshKeyName. */
  sshPublicKey?: pulumi.Input<string>;
  /** Name of an SSH key already in the Hetzner project (Hetzner refuses a second copy of a key). */
  existingSshKeyName?: string;
  /**
   * Protect the server and its primary IP: Pulumi `protect` plus Hetzner delete/rebuild protection, so
   * neither `pulumi destroy` nor a replace nor the Cloud Console can remove them (docs: teardown path).
   */
  protect?: boolean;
  /** CIDRs that may reach SSH and PostgreSQL. Never empty; world only if the config allowed it. */
  adminCidrs: pulumi.Input<string[]>;
  /** Extra PostgreSQL-only CIDRs per login role (readers' allowedIps); applied in place, no rebuild. */
  roleCidrs?: pulumi.Input<{ role: string; cidrs: string[] }[]>;
  /** PostgreSQL major (15, 16, 17). */
  postgresVersion: number;
  /** Catalog database (pg_hba scope of reader rules, name of the nightly dump). */
  catalogDatabase: string;
  /** Where the nightly dump goes, with the key that uploads it (secret; sent over SSH, never in user data). */
  backup: pulumi.Input<Omit<BackupSettings, "catalogDatabase">>;
  /** How long `pulumi up` waits for PostgreSQL to accept TLS after boot (default 900 s). */
  readyTimeoutSeconds?: number;
}

/**
 * The catalog server: a Hetzner Cloud server with a fixed primary IPv4, a cloud firewall and
 * cloud-init that installs PostgreSQL with TLS from a CA generated here (keys stay secrets). A
 * remote command waits until PostgreSQL accepts verify-full TLS connections: depend on `ready`.
 */
export class LakeServer extends pulumi.ComponentResource {
  readonly ipv4: pulumi.Output<string>;
  readonly ipv6: pulumi.Output<string>;
  /** PEM of the CA that signed the server certificate: clients use it with sslmode=verify-full. */
  readonly caCertPem: pulumi.Output<string>;
  /** Superuser login created at first boot (TLS, admin CIDRs only). */
  readonly adminRole: string = ADMIN_ROLE;
  readonly adminPassword: pulumi.Output<string>;
  readonly server: hcloud.Server;
  readonly firewall: hcloud.Firewall;
  /** Completes when PostgreSQL accepts verify-full TLS connections as the admin role. */
  readonly ready: command.remote.Command;
  /** Re-applies pg_hba.conf + nftables when the allow-lists change. */
  readonly accessRules: command.remote.Command;
  /** Writes root's authorized_keys (operator + deploy key): key rotation runs this, not a new server. */
  readonly authorizedKeys: command.remote.Command;

  constructor(name: string, args: LakeServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ducklake:server:LakeServer", name, {}, opts);
    const parent = { parent: this };
    const protect = args.protect ?? false;
    if ((args.sshPublicKey === undefined) === (args.existingSshKeyName === undefined))
      throw new Error("LakeServer: give exactly one of sshPublicKey and existingSshKeyName");
    const scripts = loadServerScripts();

    const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
    const ca = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: caKey.privateKeyPem,
        subject: { commonName: "ducklake catalog CA", organization: "ducklake-pulumi" },
        isCaCertificate: true,
        allowedUses: ["cert_signing", "crl_signing"],
        validityPeriodHours: 24 * 365 * 10,
      },
      parent,
    );
    this.caCertPem = ca.certPem;

    // A primary IP created before the server lets the certificate name the address it will serve on.
    const ipv4 = new hcloud.PrimaryIp(
      `${name}-ipv4`,
      {
        type: "ipv4",
        assigneeType: "server",
        autoDelete: false,
        location: args.location,
        deleteProtection: protect,
      },
      { ...parent, protect },
    );
    this.ipv4 = ipv4.ipAddress;

    const serverKey = new tls.PrivateKey(`${name}-tls-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
    const csr = new tls.CertRequest(
      `${name}-tls-csr`,
      {
        privateKeyPem: serverKey.privateKeyPem,
        subject: { commonName: ipv4.ipAddress, organization: "ducklake-pulumi" },
        ipAddresses: [ipv4.ipAddress],
      },
      parent,
    );
    // Long-lived: the certificate reaches the server through cloud-init only (see docs/infrastructure.md).
    const serverCert = new tls.LocallySignedCert(
      `${name}-tls-cert`,
      {
        certRequestPem: csr.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        validityPeriodHours: 24 * 365 * 10,
      },
      parent,
    );

    const adminPassword = new random.RandomPassword(`${name}-admin-password`, { length: 32, special: false }, parent);
    this.adminPassword = pulumi.secret(adminPassword.result);

    // The program's own SSH identity (for the remote commands) and a pinned host key: no trust on first use.
    const deployKey = new tls.PrivateKey(`${name}-deploy-key`, { algorithm: "ED25519" }, parent);
    const hostKey = new tls.PrivateKey(`${name}-host-key`, { algorithm: "ED25519" }, parent);
    // An operator key already in the project is looked up (creating it again fails with uniqueness_error).
    const operatorKey =
      args.existingSshKeyName !== undefined
        ? hcloud.getSshKeyOutput({ name: args.existingSshKeyName }, parent).apply((k) => ({ id: String(k.id), publicKey: k.publicKey }))
        : (() => {
            const k = new hcloud.SshKey(`${name}-ssh-key`, { publicKey: args.sshPublicKey! }, parent);
            return pulumi.all([k.id, k.publicKey]).apply(([id, publicKey]) => ({ id, publicKey }));
          })();
    const deploySshKey = new hcloud.SshKey(`${name}-deploy-ssh-key`, { publicKey: deployKey.publicKeyOpenssh }, parent);

    const roleCidrs = pulumi.output(args.roleCidrs ?? []);
    const rules: pulumi.Output<AccessRules> = pulumi
      .all([args.adminCidrs, roleCidrs])
      .apply(([adminCidrs, extra]) => ({ adminCidrs: canonicalCidrs(adminCidrs), roleCidrs: canonicalRoleCidrs(extra) }));

    this.firewall = new hcloud.Firewall(
      `${name}-firewall`,
      {
        rules: rules.apply(firewallRules),
      },
      parent,
    );

    // No secret in user data except the SSH host key (needed before the first, pinned, SSH connection).
    const backup = pulumi.output(args.backup);
    const userData = pulumi
      .all([rules, serverCert.certPem, ca.certPem, backup.hourUtc, hostKey.privateKeyOpenssh, hostKey.publicKeyOpenssh])
      .apply(([access, serverCertPem, caCertPem, hourUtc, hostPrivate, hostPublic]) =>
        renderCloudInit(
          {
            postgresVersion: args.postgresVersion,
            ramGb: args.ramGb,
            catalogDatabase: args.catalogDatabase,
            tls: { caCertPem, serverCertPem },
            access,
            backupHourUtc: hourUtc,
            sshHostKey: { privateOpenssh: hostPrivate, publicOpenssh: hostPublic },
          },
          scripts,
        ),
      );
    // The admin password, TLS key and backup key go over SSH, as the provisioning command's stdin.
    const serverSecrets = pulumi.secret(
      pulumi.all([adminPassword.result, serverKey.privateKeyPem, backup]).apply(([password, keyPem, b]) =>
        renderServerSecrets({
          adminPassword: password,
          serverKeyPem: keyPem,
          backup: { ...b, catalogDatabase: args.catalogDatabase },
        }),
      ),
    );

    this.server = new hcloud.Server(
      `${name}-server`,
      {
        serverType: args.serverType,
        image: "debian-12",
        location: args.location,
        sshKeys: [operatorKey.id, deploySshKey.id],
        firewallIds: [this.firewall.id.apply(Number)],
        publicNets: [{ ipv4Enabled: true, ipv4: ipv4.id.apply(Number), ipv6Enabled: true }],
        userData: pulumi.secret(userData),
        labels: { "managed-by": "ducklake-pulumi", role: "catalog" },
        deleteProtection: protect,
        rebuildProtection: protect,
      },
      {
        ...parent,
        protect,
        // image, userData and sshKeys force a new server (terraform-provider-hcloud server schema: ForceNew)
        // and are only read at creation: a change must never replace the catalog. Allow-lists reach the
        // running server through `accessRules`, SSH keys through `authorizedKeys`, secrets through `ready`.
        ignoreChanges: ["image", "sshKeys", "userData"],
      },
    );
    this.ipv6 = this.server.ipv6Address;

    const connection = {
      host: ipv4.ipAddress,
      user: "root",
      privateKey: deployKey.privateKeyOpenssh,
      hostKey: hostKey.publicKeyOpenssh.apply((k) => k.trim()),
      dialErrorLimit: 60,
      perDialTimeout: 10,
    };
    this.ready = new command.remote.Command(
      `${name}-postgres-ready`,
      {
        connection,
        create: ipv4.ipAddress.apply((ip) => renderProvisionCommand(ip, scripts, args.readyTimeoutSeconds ?? 900)),
        stdin: serverSecrets,
        triggers: [this.server.id],
      },
      { ...parent, dependsOn: [this.server] },
    );

    this.authorizedKeys = new command.remote.Command(
      `${name}-authorized-keys`,
      {
        connection,
        create: loadAuthorizedKeysScript(),
        stdin: pulumi.all([operatorKey.publicKey, deployKey.publicKeyOpenssh]).apply((keys) => renderAuthorizedKeys(keys)),
        triggers: [this.server.id],
      },
      { ...parent, dependsOn: [this.ready] },
    );

    this.accessRules = new command.remote.Command(
      `${name}-access-rules`,
      {
        connection,
        create: rules.apply((r) => renderApplyAccessCommand({ ...r, catalogDatabase: args.catalogDatabase })),
        triggers: [this.server.id],
      },
      { ...parent, dependsOn: [this.ready] },
    );

    this.registerOutputs({ ipv4: this.ipv4, ipv6: this.ipv6, caCertPem: this.caCertPem, adminPassword: this.adminPassword });
  }
}

/** Hetzner Cloud firewall: SSH from admins, PostgreSQL from admins + roles, nothing else inbound. */
export function firewallRules(rules: AccessRules): hcloud.types.input.FirewallRule[] {
  // Canonical order (IPv4 first, as Hetzner wants): reordering adminIps or readers changes nothing.
  return [
    { direction: "in", protocol: "tcp", port: "22", sourceIps: canonicalCidrs(rules.adminCidrs), description: "SSH from admins" },
    {
      direction: "in",
      protocol: "tcp",
      port: "5432",
      sourceIps: postgresCidrs(rules),
      description: "PostgreSQL (TLS) from admins and readers",
    },
  ];
}
