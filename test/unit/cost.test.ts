import { BUDGET_EUR, OBJECT_STORAGE_BASE_EUR, PRIMARY_IPV4_EUR, SERVER_TYPES, estimateMonthlyCost } from "../../model/cost";

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
