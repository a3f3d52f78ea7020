// `npm start` (scripts/start-local-stack.sh): without the Pulumi CLI it explains, starts nothing and exits 1;
// with a stand-in `pulumi` it configures the local stack from the running services and runs `up`.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";

const repo = path.resolve(__dirname, "..", "..");
const script = path.join(repo, "scripts", "start-local-stack.sh");

describe("npm start", () => {
  it("is the package's start script", () => {
    expect(JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")).scripts.start).toBe("bash scripts/start-local-stack.sh");
  });

  it("without the Pulumi CLI: says how to install it, starts nothing, exits 1 (it did not do its job)", () => {
    const dirs = fs.mkdtempSync(path.join(os.tmpdir(), "start-nocli-"));
    const env = { PATH: "/usr/bin:/bin", HOME: dirs, LAKE_PG_DIR: path.join(dirs, "pg"), LAKE_RGW_DIR: path.join(dirs, "rgw") };
    expect(spawnSync("bash", ["-c", "command -v pulumi"], { env }).status).not.toBe(0);
    const run = spawnSync("bash", [script], { env, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("npm start needs the Pulumi CLI");
    expect(run.stderr).toContain("curl -fsSL https://get.pulumi.com | sh");
    expect(run.stderr).toContain("Nothing was started.");
    expect(fs.readdirSync(dirs)).toEqual([]);
    fs.rmSync(dirs, { recursive: true });
  });

  it("with a CLI: file backend, passphrase, config from the running services (secrets via stdin), then up", () => {
    const pgFile = process.env.LAKE_TEST_PG!;
    const rgwFile = process.env.LAKE_TEST_RGW!;
    const pg = JSON.parse(fs.readFileSync(pgFile, "utf8"));
    const s3 = JSON.parse(fs.readFileSync(rgwFile, "utf8"));
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "start-fakecli-"));
    const log = path.join(bin, "calls.log");
    // A stand-in pulumi that records its arguments, stdin and the environment that matters.
    fs.writeFileSync(
      path.join(bin, "pulumi"),
      `#!/usr/bin/env bash
stdin=""; if [ "$1 $2" = "config set" ] && [[ " $* " == *" --secret "* ]]; then stdin=$(cat); fi
printf '%s|stdin=%s|backend=%s|pass=%s\\n' "$*" "$stdin" "$PULUMI_BACKEND_URL" "$PULUMI_CONFIG_PASSPHRASE" >> "${log}"
`,
      { mode: 0o755 },
    );
    const env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      LAKE_PG_DIR: path.dirname(pgFile),
      LAKE_RGW_DIR: path.dirname(rgwFile),
    };
    delete (env as Record<string, string | undefined>).PULUMI_CONFIG_PASSPHRASE;
    const run = spawnSync("bash", [script, "--yes"], { env, encoding: "utf8", timeout: 60000 });
    expect(run.status).toBe(0);
    const calls = fs.readFileSync(log, "utf8").trim().split("\n");
    const backend = `file://${repo}/.pulumi-state`;
    for (const c of calls) expect(c).toMatch(new RegExp(`\\|backend=${backend.replace(/[./]/g, "\\$&")}\\|pass=ducklake-local$`));
    const args = calls.map((c) => c.split("|")[0]);
    expect(args[0]).toBe("stack select local --create --secrets-provider passphrase");
    expect(args[args.length - 1]).toBe("up --stack local --yes");
    expect(calls).toContain(`config set --stack local ducklake:localPgPort ${pg.port}|stdin=|backend=${backend}|pass=ducklake-local`);
    expect(calls).toContain(`config set --stack local ducklake:s3Endpoint ${s3.endpoint}|stdin=|backend=${backend}|pass=ducklake-local`);
    expect(calls).toContain(
      `config set --stack local --secret ducklake:localPgPassword|stdin=${pg.password}|backend=${backend}|pass=ducklake-local`,
    );
    expect(calls).toContain(
      `config set --stack local --secret ducklake:s3SecretKey|stdin=${s3.admin.secretKey}|backend=${backend}|pass=ducklake-local`,
    );
    // readers of access.ts get keys of the local readers project, never the admin key; secrets via stdin
    const readerKeys = s3.readers.slice(0, 3);
    ["analyst", "finance", "hr_partner"].forEach((reader, i) => {
      expect(args).toContain(`config set --stack local --path ducklake:readerPrincipals.${reader}.projectId ${s3.readerProject}`);
      expect(args).toContain(`config set --stack local --path ducklake:readerPrincipals.${reader}.accessKey ${readerKeys[i].accessKey}`);
      expect(calls).toContain(
        `config set --stack local --secret --path ducklake:readerSecretKeys.${reader}|stdin=${readerKeys[i].secretKey}|backend=${backend}|pass=ducklake-local`,
      );
    });
    for (const a of args) for (const k of readerKeys) expect(a).not.toContain(k.secretKey);
    // no secret value on any command line
    for (const a of args) for (const secret of [pg.password, s3.admin.secretKey, s3.admin.accessKey]) expect(a).not.toContain(secret);
    fs.rmSync(bin, { recursive: true });
  });
});
