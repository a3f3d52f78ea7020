// Plain-text tables for terminal reports (no colours: output is also read by CI logs and tests).

/** Renders rows under headers with columns padded to their widest cell. */
export function formatTable(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => headers.map((_, i) => cellText(r[i])));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

function cellText(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return "NULL";
  return String(v).replace(/\n/g, "\\n");
}
