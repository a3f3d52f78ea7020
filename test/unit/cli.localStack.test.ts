import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { checkRequestedPorts, nextStepAfterUp, portFree } from "../../cli/localStack";

describe("local:up port checks", () => {
  let server: net.Server;
  let taken: number;
  beforeAll(async () => {
    server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    taken = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("names the variable, the service and a way out when a chosen port is taken", async () => {
    expect(await portFree(taken)).toBe(false);
    await expect(checkRequestedPorts({ LAKE_PG_PORT: String(taken) })).rejects.toThrow(
      new RegExp(`port ${taken} \\(LAKE_PG_PORT, for PostgreSQL\\) is already taken .*LAKE_PG_PORT=${taken + 1} npm run local:up`),
    );
    await expect(checkRequestedPorts({ LAKE_RGW_PORT: String(taken) })).rejects.toThrow(/LAKE_RGW_PORT, for Ceph RGW/);
  });

  it("accepts free or unset ports and rejects non-ports", async () => {
    await expect(checkRequestedPorts({})).resolves.toBeUndefined();
    await expect(checkRequestedPorts({ LAKE_PG_PORT: "abc" })).rejects.toThrow(/LAKE_PG_PORT=abc: expected a port number/);
    await expect(checkRequestedPorts({ LAKE_RGW_PORT: "80" })).rejects.toThrow(/expected a port number 1024\.\.65535/);
  });
});

describe("local:up's next step", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "localup-next-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is the README's path, npm start (never a bare pulumi up, which would miss its state folder and config)", () => {
    fs.writeFileSync(path.join(dir, "pulumi"), "#!/bin/sh\n", { mode: 0o755 });
    const next = nextStepAfterUp({ PATH: dir });
    expect(next).toBe("next: npm start (deploys the local stack), then npm run status -- --stack local\n");
    expect(next).not.toMatch(/pulumi up/);
    expect(nextStepAfterUp({ PATH: "/nowhere", PULUMI: path.join(dir, "pulumi") })).toBe(next);
  });

  it("says when npm start cannot work yet because the Pulumi CLI is missing", () => {
    expect(nextStepAfterUp({ PATH: "/nowhere" })).toMatch(
      /^next: npm start .*\n +npm start needs the Pulumi CLI, which is not installed: curl -fsSL https:\/\/get\.pulumi\.com \| sh\n$/,
    );
    fs.writeFileSync(path.join(dir, "notexec"), "", { mode: 0o644 });
    expect(nextStepAfterUp({ PATH: "/nowhere", PULUMI: path.join(dir, "notexec") })).toMatch(/not installed/);
  });
});
