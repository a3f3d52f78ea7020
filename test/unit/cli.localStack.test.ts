import * as net from "net";
import { checkRequestedPorts, portFree } from "../../cli/localStack";

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
    await expect(checkRequestedPorts({ LAKE_PG_PORT: String(taken) }))
      .rejects.toThrow(new RegExp(`port ${taken} \\(LAKE_PG_PORT, for PostgreSQL\\) is already taken .*LAKE_PG_PORT=${taken + 1} npm run local:up`));
    await expect(checkRequestedPorts({ LAKE_RGW_PORT: String(taken) })).rejects.toThrow(/LAKE_RGW_PORT, for Ceph RGW/);
  });

  it("accepts free or unset ports and rejects non-ports", async () => {
    await expect(checkRequestedPorts({})).resolves.toBeUndefined();
    await expect(checkRequestedPorts({ LAKE_PG_PORT: "abc" })).rejects.toThrow(/LAKE_PG_PORT=abc: expected a port number/);
    await expect(checkRequestedPorts({ LAKE_RGW_PORT: "80" })).rejects.toThrow(/expected a port number 1024\.\.65535/);
  });
});
