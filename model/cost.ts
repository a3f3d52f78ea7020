// Monthly cost estimate from a small price table. Hetzner list prices for new orders in the EU
// locations, EUR excluding VAT, after the 15 June 2026 adjustment (server prices exclude the primary
// IPv4, which is billed separately). Sources: Hetzner's price-adjustment page and website price API as
// quoted in public price trackers in 2026; check https://www.hetzner.com/cloud before relying on them.

export const PRICES_AS_OF = "2026-06-15";
export const BUDGET_EUR = 10;

export interface ServerType {
  vcpu: number;
  ramGb: number;
  diskGb: number;
  arch: "x86" | "arm";
  eurPerMonth: number;
}

/** Server types this program accepts, with their monthly price cap. */
export const SERVER_TYPES: Record<string, ServerType> = {
  cx23: { vcpu: 2, ramGb: 4, diskGb: 40, arch: "x86", eurPerMonth: 5.49 },
  cx33: { vcpu: 4, ramGb: 8, diskGb: 80, arch: "x86", eurPerMonth: 8.49 },
  cx43: { vcpu: 8, ramGb: 16, diskGb: 160, arch: "x86", eurPerMonth: 15.99 },
  cx53: { vcpu: 16, ramGb: 32, diskGb: 320, arch: "x86", eurPerMonth: 29.49 },
  cax11: { vcpu: 2, ramGb: 4, diskGb: 40, arch: "arm", eurPerMonth: 5.99 },
  cax21: { vcpu: 4, ramGb: 8, diskGb: 80, arch: "arm", eurPerMonth: 10.49 },
  cax31: { vcpu: 8, ramGb: 16, diskGb: 160, arch: "arm", eurPerMonth: 20.99 },
  cax41: { vcpu: 16, ramGb: 32, diskGb: 320, arch: "arm", eurPerMonth: 40.99 },
  cpx22: { vcpu: 3, ramGb: 4, diskGb: 80, arch: "x86", eurPerMonth: 19.49 },
};

/** Withdrawn types and their same-size successors (CX22 cannot be ordered since late 2025). */
export const WITHDRAWN_SERVER_TYPES: Record<string, string> = {
  cx22: "cx23",
  cx32: "cx33",
  cx42: "cx43",
  cx52: "cx53",
  cx11: "cx23",
  cx21: "cx23",
};

/** Object Storage base price: 1 TB storage + 1 TB egress included per month. */
export const OBJECT_STORAGE_BASE_EUR = 4.99;
/** Primary IPv4 address per month (IPv6 is free). */
export const PRIMARY_IPV4_EUR = 0.5;

export interface CostLine {
  item: string;
  eurPerMonth: number;
}
export interface CostEstimate {
  lines: CostLine[];
  totalEurPerMonth: number;
  budgetEurPerMonth: number;
  overBudget: boolean;
  pricesAsOf: string;
  /** One line for humans, e.g. "10.98 EUR/month (cx23 5.49 + ...) — OVER the 10 EUR budget". */
  summary: string;
}

/** The cheapest server type this program accepts, by the price table (the price is the same in every EU location). */
export function cheapestServerType(): string {
  return Object.entries(SERVER_TYPES).sort(([a, x], [b, y]) => x.eurPerMonth - y.eurPerMonth || a.localeCompare(b))[0][0];
}

/**
 * Estimate for a stack: the local stack costs nothing; prod = server + IPv4 + object storage base; external =
 * object storage base when the bucket is on Hetzner (the PostgreSQL service bills separately, not counted).
 */
export function estimateMonthlyCost(input: {
  target: "local" | "hetzner" | "external";
  serverType: string;
  s3Endpoint?: string;
}): CostEstimate {
  const lines: CostLine[] = [];
  if (input.target === "external" && /\.your-objectstorage\.com$/.test(new URL(input.s3Endpoint ?? "http://x").hostname))
    lines.push({ item: "object storage base (1 TB incl.)", eurPerMonth: OBJECT_STORAGE_BASE_EUR });
  if (input.target === "hetzner") {
    const type = SERVER_TYPES[input.serverType];
    if (!type) throw new Error(`no price for server type "${input.serverType}"; known: ${Object.keys(SERVER_TYPES).join(", ")}`);
    lines.push({ item: `server ${input.serverType} (${type.vcpu} vCPU, ${type.ramGb} GB)`, eurPerMonth: type.eurPerMonth });
    lines.push({ item: "primary IPv4", eurPerMonth: PRIMARY_IPV4_EUR });
    lines.push({ item: "object storage base (1 TB incl.)", eurPerMonth: OBJECT_STORAGE_BASE_EUR });
  }
  const total = Math.round(lines.reduce((s, l) => s + l.eurPerMonth, 0) * 100) / 100;
  const overBudget = total > BUDGET_EUR;
  const parts = lines.map((l) => `${l.item} ${l.eurPerMonth.toFixed(2)}`).join(" + ");
  const summary =
    `${total.toFixed(2)} EUR/month excl. VAT${parts ? ` (${parts})` : input.target === "local" ? " (local stack)" : ""}` +
    (input.target === "external" ? ", the external PostgreSQL service not included" : "") +
    `, prices as of ${PRICES_AS_OF}` +
    (overBudget ? ` — OVER the ${BUDGET_EUR} EUR budget${overBudgetHint(input.serverType)}` : ` — within the ${BUDGET_EUR} EUR budget`);
  return { lines, totalEurPerMonth: total, budgetEurPerMonth: BUDGET_EUR, overBudget, pricesAsOf: PRICES_AS_OF, summary };
}

/** What an over-budget estimate can do about it: a cheaper type, or nothing (README, "Cost"). */
function overBudgetHint(serverType: string): string {
  const cheapest = cheapestServerType();
  if (cheapest !== serverType)
    return ` (the cheapest type, ${cheapest}, gives ${estimateMonthlyCost({ target: "hetzner", serverType: cheapest }).totalEurPerMonth.toFixed(2)})`;
  return ` even with the cheapest type, ${cheapest}: nothing in the price table fits (README, "Cost")`;
}
