// Program texts the tests run in a plain node child process (ts-node, transpile only, cwd the repo root):
// Pulumi's serializer uses the V8 inspector, which Jest's sandbox does not allow.
import { execFileSync } from "child_process";
import { repoRoot } from "./services";

/** Runs the CommonJS program text and returns the JSON it printed as its last stdout line. */
export function runNodeProgram(program: string, opts: { timeout?: number } = {}): any {
  const stdout = execFileSync(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), "-e", program], {
    cwd: repoRoot,
    env: process.env,
    encoding: "utf8",
    ...(opts.timeout ? { timeout: opts.timeout } : {}),
  });
  return JSON.parse(stdout.trim().split("\n").pop()!);
}
