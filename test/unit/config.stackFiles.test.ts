// The project and stack files agree with the config validator: declared keys are known and defaulted,
// no secret sits in a stack file, prod's placeholders are refused until filled in, local is complete
// once `npm start` has added the per-start values.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { CONFIG_KEYS, ConfigError, SECRET_KEYS, validateConfig } from "../../model/config";

const repo = path.resolve(__dirname, "..", "..");
const load = (f: string) => yaml.load(fs.readFileSync(path.join(repo, f), "utf8")) as Record<string, any>;
// Stack files hold lists as YAML; Pulumi hands them to the program as JSON text.
const raw = (config: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
const secrets = { "ducklake:s3AccessKey": "P1001ABCDEFGHIJKLMNO", "ducklake:s3SecretKey": "abcdefghijklmnopqrstuvwxyz0123456789ABCD" };
const secretSet = new Set([...Object.keys(secrets), "ducklake:localPgPassword"]);

describe("Pulumi.yaml", () => {
  const project = load("Pulumi.yaml");
  it("is a nodejs project whose config block declares known keys, each described and defaulted", () => {
    expect(project.runtime.name).toBe("nodejs");
    expect(project.name).toBe("ducklake");
    for (const [key, decl] of Object.entries<any>(project.config)) {
      expect(Object.keys(CONFIG_KEYS)).toContain(key.replace(/^ducklake:/, ""));
      expect(decl.description).toEqual(expect.any(String));
      expect(decl.default).toBeDefined();
    }
  });
});

describe("stack files", () => {
  const defaults = Object.fromEntries(Object.entries<any>(load("Pulumi.yaml").config).map(([k, d]) => [k, String(d.default)]));

  it("never hold a secret in plain text", () => {
    for (const f of ["Pulumi.local.yaml", "Pulumi.prod.yaml"]) {
      const keys = Object.keys(load(f).config ?? {});
      for (const s of SECRET_KEYS) expect(keys).not.toContain(`ducklake:${s}`);
    }
  });

  it("prod: the CHANGE ME placeholders are refused with what to fill in", () => {
    let err: ConfigError | undefined;
    try {
      validateConfig({ ...defaults, ...raw(load("Pulumi.prod.yaml").config), ...secrets }, { stack: "prod", secretKeys: secretSet });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err?.problems.map((p) => p.key).sort()).toEqual(["adminIps", "bucketName", "ownerProjectId", "sshPublicKey"]);
  });

  it("prod: valid once the placeholders are filled in", () => {
    const filled = {
      ...raw(load("Pulumi.prod.yaml").config),
      "ducklake:bucketName": "acme-lake",
      "ducklake:ownerProjectId": "1234567",
      "ducklake:sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6vLTUhrAjb9jSXXHbSjeDM5R4pYuBnWXbC1rXmlWcL me@laptop",
      "ducklake:adminIps": '["203.0.113.7/32"]',
    };
    expect(validateConfig({ ...defaults, ...filled, ...secrets }, { stack: "prod", secretKeys: secretSet }).serverType).toBe("cx23");
  });

  it("local: valid with the values npm start sets", () => {
    const started = {
      "ducklake:localPgPort": "54329",
      "ducklake:localPgPassword": "pw",
      "ducklake:s3Endpoint": "http://127.0.0.1:47480",
      "ducklake:s3Region": "us-east-1",
    };
    const c = validateConfig(
      { ...defaults, ...raw(load("Pulumi.local.yaml").config), ...started, ...secrets },
      { stack: "local", secretKeys: secretSet },
    );
    expect([c.target, c.bucketName, c.ownerProjectId]).toEqual(["local", "ducklake-local", "1001"]);
  });
});
