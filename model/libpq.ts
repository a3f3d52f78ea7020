// libpq connection strings (key=value pairs): the one quoting rule for every place that writes one
// (ATTACH statements, reader setups, CLI sessions). libpq reads a value either bare (up to white space)
// or single-quoted with \' and \\ escapes.

/** A value, always single-quoted with backslash escapes. */
export function libpqQuote(value: string): string {
  if (value.includes("\u0000")) throw new Error("libpq value contains NUL");
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** A value: bare when it has only characters libpq takes bare, else quoted. */
export function libpqValue(value: string | number): string {
  const s = String(value);
  return /^[A-Za-z0-9_./:@-]+$/.test(s) ? s : libpqQuote(s);
}

/** `key=value …` in the given order; undefined and empty values are left out. */
export function libpqConninfo(params: Record<string, string | number | undefined>): string {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => `${k}=${libpqValue(v as string | number)}`)
    .join(" ");
}
