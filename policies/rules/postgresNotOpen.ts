import type { ResourceValidationPolicy } from "@pulumi/policy";

const WORLD = new Set(["0.0.0.0/0", "::/0"]);

/** True when an hcloud firewall port spec ("5432", "5000-6000", "any", undefined) includes the port. */
export function portCovers(spec: unknown, port: number): boolean {
  if (spec === undefined || spec === null || spec === "any") return true;
  const m = /^(\d+)(?:-(\d+))?$/.exec(String(spec));
  if (!m) return false;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return lo <= port && port <= hi;
}

/** PostgreSQL holds every grant and password hash: it is reachable only from listed addresses. */
export const hcloudFirewallPostgresNotOpen: ResourceValidationPolicy = {
  name: "hcloud-firewall-postgres-not-open",
  description: "No inbound firewall rule opens PostgreSQL (tcp/5432) to 0.0.0.0/0 or ::/0.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { postgresPort: { type: "integer", minimum: 1, maximum: 65535 } } },
  validateResource: (args, reportViolation) => {
    if (args.type !== "hcloud:index/firewall:Firewall") return;
    const port = args.getConfig<{ postgresPort?: number }>().postgresPort ?? 5432;
    for (const rule of Array.isArray(args.props.rules) ? args.props.rules : []) {
      if (rule?.direction !== "in" || (rule.protocol !== "tcp" && rule.protocol !== undefined) || !portCovers(rule.port, port)) continue;
      const open = (Array.isArray(rule.sourceIps) ? rule.sourceIps : []).filter((ip: unknown) => WORLD.has(String(ip)));
      if (open.length)
        reportViolation(
          `${args.name}: inbound rule for port ${rule.port ?? "any"} allows ${open.join(", ")} to reach PostgreSQL; list the readers' addresses (allowedIps) instead`,
        );
    }
  },
};
