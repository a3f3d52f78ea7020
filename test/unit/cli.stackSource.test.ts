// `--stack <name>`: how the CLIs ask the Pulumi CLI for the `lakeConnection` output, and what they say when
// they cannot. A stand-in `pulumi` on PATH records the arguments and environment it was given; the real CLI
// is not installed on this machine.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CONNECTION_FILE_DOCS, loadLakeConnectionInfo, pulumiEnvForStack } from "../../cli/connectionInfo";

const repo = path.resolve(__dirname, "..", "..");
const doc = {
  stack: "local",
  catalog: { host: "127.0.0.1", port: 54329, database: "ducklake", user: "lake_owner", password: "pw", sslmode: "disable" },
  storage: {
    bucket: "ducklake-local",
    dataPrefix: "data/",
    endpoint: "http://127.0.0.1:47480",
    region: "us-east-1",
    adminProjectId: "1001",
    admin: { accessKey: "P1001AAAAAAAAAAAAAAA", secretKey: "s" },
  },
  readers: [],
};

/** A folder holding only a stand-in `pulumi` running `body` (bash), logging to calls.log. */
function fakePulumi(body: string): { bin: string; log: string } {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
  const log = path.join(bin, "calls.log");
  fs.writeFileSync(
    path.join(bin, "pulumi"),
    `#!/bin/bash
printf '%s|backend=%s|pass=%s|passfile=%s|cwd=%s\\n' "$*" "$PULUMI_BACKEND_URL" "\${PULUMI_CONFIG_PASSPHRASE-unset}" "$PULUMI_CONFIG_PASSPHRASE_FILE" "$PWD" >> ${JSON.stringify(log)}
${body}
`,
    { mode: 0o755 },
  );
  return { bin, log };
}

describe("--stack: the Pulumi CLI's environment", () => {
  it("finds the local stack where npm start keeps it: file backend in the repo, default passphrase", () => {
    const env = pulumiEnvForStack("local", { PATH: "/x", PULUMI_BACKEND_URL: "https://api.pulumi.com" }, "/repo");
    expect(env).toMatchObject({ PATH: "/x", PULUMI_BACKEND_URL: "file:///repo/.pulumi-state", PULUMI_CONFIG_PASSPHRASE: "ducklake-local" });
  });

  it("keeps a passphrase the user set (also an empty one, or a passphrase file), and leaves other stacks alone", () => {
    expect(pulumiEnvForStack("local", { PULUMI_CONFIG_PASSPHRASE: "mine" }, "/r").PULUMI_CONFIG_PASSPHRASE).toBe("mine");
    expect(pulumiEnvForStack("local", { PULUMI_CONFIG_PASSPHRASE: "" }, "/r").PULUMI_CONFIG_PASSPHRASE).toBe("");
    expect(pulumiEnvForStack("local", { PULUMI_CONFIG_PASSPHRASE_FILE: "/p" }, "/r").PULUMI_CONFIG_PASSPHRASE).toBeUndefined();
    const prod = { PATH: "/x", PULUMI_BACKEND_URL: "s3://state" };
    expect(pulumiEnvForStack("prod", prod, "/r")).toEqual(prod);
  });

  it("runs `pulumi stack output lakeConnection` for --stack local with that environment, from the repo", () => {
    const { bin, log } = fakePulumi(`printf '%s' ${JSON.stringify(JSON.stringify(doc))}`);
    const info = loadLakeConnectionInfo({ stack: "local", env: { PATH: bin } });
    expect(info.storage.bucket).toBe("ducklake-local");
    expect(fs.readFileSync(log, "utf8").trim()).toBe(
      `stack output lakeConnection --json --show-secrets --stack local|backend=file://${repo}/.pulumi-state|pass=ducklake-local|passfile=|cwd=${repo}`,
    );
    fs.rmSync(bin, { recursive: true });
  });

  it("when the local stack is not there, passes on Pulumi's message and says that npm start deploys it", () => {
    const { bin } = fakePulumi(`echo "error: no stack named 'local' found" >&2; exit 255`);
    expect(() => loadLakeConnectionInfo({ stack: "local", env: { PATH: bin } })).toThrow(
      /^pulumi stack output lakeConnection --stack local failed: error: no stack named 'local' found\nnext: has `npm start` deployed the local stack\?/,
    );
    fs.rmSync(bin, { recursive: true });
  });
});

describe("--stack without the Pulumi CLI", () => {
  const noCli = fs.mkdtempSync(path.join(os.tmpdir(), "no-pulumi-"));
  afterAll(() => fs.rmSync(noCli, { recursive: true }));

  it("local: says what is missing, that npm start is the way, and where the file alternative is documented", () => {
    expect(() => loadLakeConnectionInfo({ stack: "local", env: { PATH: noCli } })).toThrow(
      new RegExp(
        "^--stack local reads the stack output lakeConnection with the Pulumi CLI, which is not installed \\(or not on PATH\\)\\.\\n" +
          "next: install it \\(curl -fsSL https://get\\.pulumi\\.com \\| sh\\), run `npm start` to deploy the local stack, then run this again;\\n" +
          " +or pass --from <file> \\(or set DUCKLAKE_CONNECTION\\) with a connection file: docs/workflows\\.md#writing-a-connection-file says how to write one$",
      ),
    );
  });

  it("another stack: log in to its backend instead of npm start", () => {
    expect(() => loadLakeConnectionInfo({ stack: "prod", env: { PATH: noCli } })).toThrow(
      /log in to the backend of stack prod \(pulumi login\)[^]*docs\/workflows\.md#writing-a-connection-file/,
    );
  });

  it("points at a section that exists in docs/workflows.md", () => {
    const [file, anchor] = CONNECTION_FILE_DOCS.split("#");
    let fenced = false;
    const slugs = fs
      .readFileSync(path.join(repo, file), "utf8")
      .split("\n")
      .filter((l) => {
        if (l.startsWith("```")) fenced = !fenced;
        return !fenced && /^#{1,6} /.test(l);
      })
      .map((l) =>
        l
          .replace(/^#+ /, "")
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, "")
          .replace(/ /g, "-"),
      );
    expect(slugs).toContain(anchor);
  });
});
