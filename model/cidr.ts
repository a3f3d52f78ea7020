// IPv4/IPv6 networks as config and the access list write them ("203.0.113.7/32", "2001:db8::/64").
// The one rule for both: an explicit prefix length and no host bits set. Whether the whole internet
// (/0) is acceptable is the caller's decision (adminIps may opt in; reader allowedIps never).

/** Why `cidr` is not a network in CIDR form, or undefined. A problem with host bits names the network form. */
export function cidrProblem(cidr: unknown): string | undefined {
  if (typeof cidr !== "string") return 'is not a string; write a CIDR such as "203.0.113.7/32"';
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) return `"${cidr}" is not a CIDR; write an address with a prefix length such as "203.0.113.7/32" or "2001:db8::/48"`;
  const [, addr, lenText] = m;
  const len = Number(lenText);
  const v4 = parseIpv4(addr);
  const v6 = v4 === undefined ? parseIpv6(addr) : undefined;
  if (v4 === undefined && v6 === undefined) return `"${cidr}" is not an IPv4 or IPv6 address with a prefix length`;
  const width = v4 !== undefined ? 32 : 128;
  if (len > width) return `"${cidr}" has prefix length ${len} (${width === 32 ? "IPv4 allows 0-32" : "IPv6 allows 0-128"})`;
  const value = (v4 ?? v6) as bigint;
  const hostBits = (1n << BigInt(width - len)) - 1n;
  if ((value & hostBits) !== 0n) {
    const net = value & ~hostBits;
    return `"${cidr}" has host bits set after /${len}; write "${width === 32 ? formatIpv4(net) : formatIpv6(net)}/${len}"`;
  }
  return undefined;
}

/** 0.0.0.0/0 or ::/0: every address. */
export function isWorld(cidr: string): boolean {
  return cidr === "0.0.0.0/0" || cidr === "::/0";
}
export function isIpv6Cidr(cidr: string): boolean {
  return cidr.includes(":");
}

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) + BigInt(p), 0n);
}

function parseIpv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(s) || (s.match(/::/g) ?? []).length > 1) return undefined;
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  if (tail === undefined ? h.length !== 8 : h.length + t.length > 7) return undefined;
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
}

function formatIpv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join(".");
}

/** RFC 5952 text: lower case, leading zeros dropped, the longest run (≥ 2) of zero groups as "::". */
function formatIpv6(v: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(16 * (7 - i))) & 0xffffn));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.len).join(":")}`;
}
