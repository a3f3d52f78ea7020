// The pinned AWS SDK warns under node < 22 that later releases will need node 22: known and harmless here.
// The CLIs (runMain) switch off that one warning with the SDK's own setting; other warnings still show.
import * as path from "path";
import { spawnSync } from "child_process";
import { SDK_NODE_WARNING_ENV } from "../../cli/errors";

const repo = path.resolve(__dirname, "..", "..");
const nodeMajor = Number(process.versions.node.split(".")[0]);

/** Runs `body` in a fresh node (ts-node) without the SDK setting in its environment. */
function run(body: string) {
  const env = { ...process.env };
  delete env[SDK_NODE_WARNING_ENV];
  return spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", body], {
    cwd: repo,
    env,
    encoding: "utf8",
    timeout: 60000,
  });
}
const makeClient = `require("./cli/s3").lakeS3Client({ storage: { endpoint: "http://127.0.0.1:1", region: "us-east-1" } }, { accessKey: "a", secretKey: "b" });`;

describe("CLI warnings", () => {
  (nodeMajor < 22 ? it : it.skip)("the SDK does warn on this node without the CLI wrapper (so the next test can fail)", () => {
    const r = run(makeClient);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("NodeVersionSupportWarning");
  });

  it("a CLI making an S3 client prints no node-version warning, and other warnings still reach stderr", () => {
    const r = run(
      `require("./cli/errors").runMain(async () => { ${makeClient} process.emitWarning("something else", "OtherWarning"); return 0; });`,
    );
    expect(r.status).toBe(0);
    expect(r.stderr).not.toContain("NodeVersionSupportWarning");
    expect(r.stderr).toContain("OtherWarning: something else");
  });
});
