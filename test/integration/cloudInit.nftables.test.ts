// The host firewall ruleset, checked by nft itself (`nft -c` parses and resolves without applying).
// Skips where nftables is not installed (apt-get install nftables).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { renderNftables } from "../../model/cloudInit";

const nft = ["/usr/sbin/nft", "/sbin/nft"].find((p) => fs.existsSync(p));
if (!nft) console.warn("nftables ruleset test skipped: nft is not installed (apt-get install nftables)");
const describeIf = nft ? describe : describe.skip;

describeIf("rendered nftables ruleset", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nft-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const check = (text: string) => {
    const file = path.join(dir, `r${Math.random().toString(16).slice(2)}.nft`);
    fs.writeFileSync(file, text);
    return spawnSync(nft!, ["-c", "-f", file], { encoding: "utf8" });
  };

  it.each([
    [
      "admins and readers, IPv4 and IPv6",
      { adminCidrs: ["203.0.113.7/32", "2001:db8::/64"], roleCidrs: [{ role: "alice", cidrs: ["198.51.100.0/24", "2001:db8:9::/48"] }] },
    ],
    ["IPv4 admins only (empty IPv6 sets)", { adminCidrs: ["203.0.113.7/32"] }],
    ["overlapping CIDRs", { adminCidrs: ["10.0.0.0/8"], roleCidrs: [{ role: "bob", cidrs: ["10.1.0.0/16"] }] }],
  ])("nft accepts it: %s", (_label, rules) => {
    const r = check(renderNftables(rules));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("nft -c really checks (a rule naming a missing set is refused)", () => {
    const broken = renderNftables({ adminCidrs: ["203.0.113.7/32"] }).replace("@admin_v4", "@no_such_set");
    expect(check(broken).status).not.toBe(0);
  });
});
