import * as fs from "fs";
import * as path from "path";
import {
  BUDGET_EUR,
  OBJECT_STORAGE_BASE_EUR,
  PRIMARY_IPV4_EUR,
  SERVER_TYPES,
  cheapestServerType,
  estimateMonthlyCost,
} from "../../model/cost";
import { SERVER_LOCATIONS } from "../../model/config";

describe("monthly cost estimate", () => {
  it("prices prod as server + IPv4 + object storage base", () => {
    const e = estimateMonthlyCost({ target: "hetzner", serverType: "cx23" });
    expect(e.lines.map((l) => l.eurPerMonth)).toEqual([SERVER_TYPES.cx23.eurPerMonth, PRIMARY_IPV4_EUR, OBJECT_STORAGE_BASE_EUR]);
    expect(e.totalEurPerMonth).toBeCloseTo(SERVER_TYPES.cx23.eurPerMonth + PRIMARY_IPV4_EUR + OBJECT_STORAGE_BASE_EUR, 2);
    expect(e.summary).toContain(e.totalEurPerMonth.toFixed(2));
  });

  it("flags every combination above the budget, and only those", () => {
    for (const serverType of Object.keys(SERVER_TYPES)) {
      const e = estimateMonthlyCost({ target: "hetzner", serverType });
      expect(e.overBudget).toBe(e.totalEurPerMonth > BUDGET_EUR);
      expect(e.summary).toContain(e.overBudget ? "OVER the 10 EUR budget" : "within the 10 EUR budget");
    }
    expect(estimateMonthlyCost({ target: "hetzner", serverType: "cx43" }).overBudget).toBe(true);
  });

  it("costs nothing locally", () => {
    const e = estimateMonthlyCost({ target: "local", serverType: "cx23" });
    expect([e.totalEurPerMonth, e.overBudget, e.lines]).toEqual([0, false, []]);
  });

  it("refuses a type without a price", () => {
    expect(() => estimateMonthlyCost({ target: "hetzner", serverType: "cx22" })).toThrow(/no price for server type "cx22"/);
  });
});

describe("the cheapest configuration", () => {
  const total = (serverType: string) => estimateMonthlyCost({ target: "hetzner", serverType }).totalEurPerMonth;
  const cheapest = cheapestServerType();

  it("is the accepted type with the lowest price", () => {
    for (const t of Object.keys(SERVER_TYPES)) expect(total(cheapest)).toBeLessThanOrEqual(total(t));
  });

  it("the over-budget warning names the cheapest type, or says that even it does not fit", () => {
    const other = Object.keys(SERVER_TYPES).find((t) => t !== cheapest)!;
    expect(estimateMonthlyCost({ target: "hetzner", serverType: other }).summary).toContain(
      `OVER the 10 EUR budget (the cheapest type, ${cheapest}, gives ${total(cheapest).toFixed(2)})`,
    );
    const own = estimateMonthlyCost({ target: "hetzner", serverType: cheapest });
    expect(own.summary).toMatch(
      new RegExp(`OVER the 10 EUR budget even with the cheapest type, ${cheapest}: nothing in the price table fits`),
    );
  });

  describe("README's cost section says what the price table gives", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, "..", "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Cost\n"), readme.indexOf("## What is tested"));
    const eur = (n: number) => n.toFixed(2);

    it("the default's lines and total", () => {
      expect(section).toContain(`| cx23 (2 vCPU, 4 GB, 40 GB disk) | ${eur(SERVER_TYPES.cx23.eurPerMonth)} |`);
      expect(section).toContain(`| primary IPv4 | ${eur(PRIMARY_IPV4_EUR)} |`);
      expect(section).toContain(`included) | ${eur(OBJECT_STORAGE_BASE_EUR)} |`);
      expect(section).toContain(`| **total** | **${eur(total("cx23"))}** — flagged over the 10 EUR budget |`);
    });

    it("nothing fits and the default is the cheapest; the alternatives' figures; IPv6-only; the old cx23 price", () => {
      expect(cheapest).toBe("cx23");
      expect(total(cheapest) > BUDGET_EUR).toBe(true);
      expect(section).toContain("**No configuration fits under 10 EUR at these prices; the default is already the cheapest one.**");
      for (const t of ["cax11", "cx33"])
        expect(section).toMatch(new RegExp(`${t}\\s+\\([^)]*${eur(SERVER_TYPES[t].eurPerMonth)} → ${eur(total(t))}\\)`));
      const ipv6Only = Math.round((total(cheapest) - PRIMARY_IPV4_EUR) * 100) / 100;
      expect(ipv6Only > BUDGET_EUR).toBe(true);
      expect(section).toContain(`IPv6-only server would total **${eur(ipv6Only)}**, still over`);
      expect(section).toContain(`(3.99, from the same trackers): ${eur(3.99 + PRIMARY_IPV4_EUR + OBJECT_STORAGE_BASE_EUR)} with the IPv4`);
      for (const l of SERVER_LOCATIONS) expect(section).toContain(l);
    });
  });
});
