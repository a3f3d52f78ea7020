// The config keys of issue 11: protectData, sshKeyName (an SSH key already in the Hetzner project),
// backupPrincipal + backupSecretKey (the backup job's own key of another project).
import { ConfigError, RawConfig, validateConfig } from "../../model/config";
import { HETZNER_CONFIG } from "../support/sampleConfig";

const prod: RawConfig = HETZNER_CONFIG;
const local: RawConfig = {
  "ducklake:bucketName": "ducklake-local",
  "ducklake:s3Endpoint": "http://127.0.0.1:47480",
  "ducklake:s3AccessKey": "P1001ABCDEFGHIJKLMNO",
  "ducklake:s3SecretKey": "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
  "ducklake:ownerProjectId": "1001",
  "ducklake:localPgPort": "54329",
  "ducklake:localPgPassword": "s3cretLocalPw",
};
const secretKeys = new Set(["ducklake:s3AccessKey", "ducklake:s3SecretKey", "ducklake:localPgPassword", "ducklake:backupSecretKey"]);
const messageOf = (raw: RawConfig, stack = "prod") => {
  try {
    validateConfig(raw, { stack, secretKeys });
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error("expected a ConfigError");
};

describe("protectData", () => {
  it("defaults to true on hetzner and false locally; true/false only", () => {
    expect(validateConfig(prod, { stack: "prod", secretKeys }).protectData).toBe(true);
    expect(validateConfig(local, { stack: "local", secretKeys }).protectData).toBe(false);
    expect(validateConfig({ ...prod, "ducklake:protectData": "false" }, { stack: "prod", secretKeys }).protectData).toBe(false);
    expect(messageOf({ ...prod, "ducklake:protectData": "no" })).toMatch(/ducklake:protectData: "no" is not true or false/);
  });
});

describe("sshKeyName", () => {
  it("replaces sshPublicKey for a key already in the project; one of the two is required on hetzner", () => {
    const { "ducklake:sshPublicKey": _omit, ...withoutKey } = prod;
    expect(validateConfig({ ...withoutKey, "ducklake:sshKeyName": "me@laptop" }, { stack: "prod", secretKeys })).toMatchObject({
      sshKeyName: "me@laptop",
      sshPublicKey: undefined,
    });
    expect(messageOf(withoutKey)).toMatch(
      /ducklake:sshPublicKey: is missing .* or if the key is already in the Hetzner project: pulumi config set ducklake:sshKeyName/,
    );
    expect(messageOf({ ...prod, "ducklake:sshKeyName": "me@laptop" })).toMatch(/ducklake:sshKeyName: is set together with sshPublicKey/);
    expect(messageOf({ ...withoutKey, "ducklake:sshKeyName": "bad\nname" })).toMatch(/ducklake:sshKeyName: .* is not an SSH key name/);
  });
});

describe("backupPrincipal + backupSecretKey", () => {
  const principal = { "ducklake:backupPrincipal": '{"projectId":"7654321","accessKey":"BACKUPKEY00000000001"}' };
  it("reads a key of another project with its secret", () => {
    const c = validateConfig(
      { ...prod, ...principal, "ducklake:backupSecretKey": "backupSecretKey0123456789" },
      { stack: "prod", secretKeys },
    );
    expect(c).toMatchObject({
      backupPrincipal: { projectId: "7654321", accessKey: "BACKUPKEY00000000001" },
      backupSecretKey: "backupSecretKey0123456789",
    });
    expect(validateConfig(prod, { stack: "prod", secretKeys }).backupPrincipal).toBeUndefined();
  });
  it("refuses the owner's project, missing parts, a plain-text secret, a secret without principal", () => {
    expect(
      messageOf({
        ...prod,
        "ducklake:backupPrincipal": '{"projectId":"1234567","accessKey":"BACKUPKEY00000000001"}',
        "ducklake:backupSecretKey": "backupSecretKey0123456789",
      }),
    ).toMatch(/ducklake:backupPrincipal: is a key of the owner project/);
    expect(
      messageOf({
        ...prod,
        "ducklake:backupPrincipal": '{"projectId":"7654321"}',
        "ducklake:backupSecretKey": "backupSecretKey0123456789",
      }),
    ).toMatch(/ducklake:backupPrincipal: needs accessKey/);
    expect(messageOf({ ...prod, ...principal })).toMatch(/ducklake:backupSecretKey: is missing/);
    expect(() =>
      validateConfig(
        { ...prod, ...principal, "ducklake:backupSecretKey": "backupSecretKey0123456789" },
        { stack: "prod", secretKeys: new Set(["ducklake:s3AccessKey", "ducklake:s3SecretKey"]) },
      ),
    ).toThrow(/ducklake:backupSecretKey: is stored in plain text/);
    expect(messageOf({ ...prod, "ducklake:backupSecretKey": "backupSecretKey0123456789" })).toMatch(
      /ducklake:backupSecretKey: is set without backupPrincipal/,
    );
  });
});
