// What to change when the bucket policy is over the size limit, with numbers: which reader-table pairs cost
// most, how many schema grants would make it fit (checked by building that policy), how many shared sets
// fit, and what turning off listing saves. Used only on the too-large path of buildBucketPolicy.
import { NormalizedGrant } from "./accessSpec";

export interface SizeAdviceInput {
  bucket: string;
  bytes: number;
  limitBytes: number;
  allowListing: boolean;
  /** Readers holding Allow statements (keys outside the owner's project), with their ARN and final folders. */
  readers: { name: string; arn: string; prefixes: string[] }[];
  grants: NormalizedGrant[];
  /** Folder of a granted table, or undefined when it has none (problem). */
  tableFolder: (schema: string, table: string) => string | undefined;
  schemaFolder: (schema: string) => string | undefined;
  /** Exact bytes of the ListBucket statements (what allowListing: false removes). */
  listingBytes: number;
  /** Bytes of the policy built from other grants (same readers and options). */
  bytesWith: (grants: NormalizedGrant[]) => number;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en");
/** JSON bytes of a string inside an array (quotes + comma), as buildBucketPolicy counts them. */
const itemBytes = (s: string) => Buffer.byteLength(JSON.stringify(s)) + 1;
/** Fixed JSON of one Allow statement besides its principals and folders. */
const STATEMENT_BYTES = 90;

export function sizeAdvice(a: SizeAdviceInput): string[] {
  const excess = a.bytes - a.limitBytes;
  // One folder costs its object ARN (and its s3:prefix pattern with listing), paid once per distinct reader set.
  const folderBytes = (p: string) => itemBytes(`arn:aws:s3:::${a.bucket}/${p}*`) + (a.allowListing ? itemBytes(`${p}*`) : 0);
  const readersOf = new Map<string, number>();
  for (const r of a.readers) for (const p of r.prefixes) readersOf.set(p, (readersOf.get(p) ?? 0) + 1);
  const pairBytes = (p: string) => folderBytes(p) / (readersOf.get(p) ?? 1);
  const pairs = a.readers.reduce((n, r) => n + r.prefixes.length, 0);
  const out: string[] = [];
  if (pairs === 0) return out;
  const avgFolder = a.readers.reduce((n, r) => n + r.prefixes.reduce((m, p) => m + folderBytes(p), 0), 0) / pairs;
  out.push(
    `each reader-table pair costs one folder entry (~${fmt(avgFolder)} bytes here), shared only by readers with exactly the same set`,
  );

  const readerCost = a.readers
    .map((r) => ({ name: r.name, folders: r.prefixes.length, bytes: r.prefixes.reduce((n, p) => n + pairBytes(p), 0) }))
    .sort((x, y) => y.bytes - x.bytes || (x.name < y.name ? -1 : 1));
  out.push(
    "costliest readers: " +
      readerCost
        .slice(0, 5)
        .map((r) => `"${r.name}" ${r.folders} folders ~${fmt(r.bytes)} bytes`)
        .join("; "),
  );

  // Reader-schema groups of table grants: what a schema grant would replace.
  const byName = new Map(a.readers.map((r) => [r.name, r]));
  const groups = new Map<string, { reader: string; schema: string; tables: number; bytes: number; grants: NormalizedGrant[] }>();
  for (const g of a.grants) {
    const r = byName.get(g.reader);
    if (!r || g.table === null) continue;
    const p = a.tableFolder(g.schema, g.table);
    if (p === undefined || !r.prefixes.includes(p)) continue;
    const key = JSON.stringify([g.reader, g.schema.toLowerCase()]);
    const e = groups.get(key) ?? { reader: g.reader, schema: g.schema, tables: 0, bytes: 0, grants: [] };
    e.tables++;
    e.bytes += pairBytes(p);
    e.grants.push(g);
    groups.set(key, e);
  }
  const ranked = [...groups.values()].sort(
    (x, y) => y.bytes - x.bytes || (x.reader < y.reader ? -1 : x.reader > y.reader ? 1 : x.schema < y.schema ? -1 : 1),
  );
  out.push(
    "costliest reader-schema pairs: " +
      ranked
        .slice(0, 5)
        .map((g) => `"${g.reader}" in "${g.schema}": ${g.tables} tables ~${fmt(g.bytes)} bytes`)
        .join("; "),
  );

  // Schema grants: the groups that save most, until the excess is covered; then checked by building that policy.
  const savings = ranked
    .map((g) => {
      const f = a.schemaFolder(g.schema);
      return { g, saves: f === undefined ? 0 : g.bytes - folderBytes(f) };
    })
    .filter((x) => x.g.tables >= 2 && x.saves > 0)
    .sort((x, y) => y.saves - x.saves);
  const chosen: typeof savings = [];
  let saved = 0;
  for (const s of savings) {
    if (saved >= excess) break;
    chosen.push(s);
    saved += s.saves;
  }
  if (chosen.length === 0)
    out.push("schema grants: no reader has two or more table grants in one schema, so schema grants would not shrink it");
  else {
    const replaced = new Set(chosen.flatMap((c) => c.g.grants));
    const grants = [
      ...a.grants.filter((g) => !replaced.has(g)),
      ...chosen.map((c) => ({
        reader: c.g.reader,
        schema: c.g.schema,
        table: null,
        mode: "read" as const,
        key: `${c.g.reader}/${c.g.schema}`,
      })),
    ];
    const checked = a.bytesWith(grants);
    const verdict =
      checked <= a.limitBytes ? `fits, ${fmt(a.limitBytes - checked)} bytes to spare` : `still ${fmt(checked - a.limitBytes)} over`;
    out.push(
      `schema grants: replacing the table grants of ${chosen.length} reader-schema pair(s) by schema grants ` +
        `(${chosen
          .slice(0, 3)
          .map((c) => `"${c.g.reader}" gets all of "${c.g.schema}" instead of ${c.g.tables} tables`)
          .join("; ")}${chosen.length > 3 ? "; …" : ""}) ` +
        `saves ~${fmt(saved)} bytes: the policy would be ${fmt(checked)} bytes (${verdict}). A schema grant also opens the schema's other and future tables`,
    );
  }

  // Shared sets: readers with identical grants share one statement (folders paid once, ~50 bytes per extra reader).
  const sets = new Set(a.readers.map((r) => r.prefixes.join("\n"))).size;
  const avgSet = pairs / a.readers.length;
  const principals = a.readers.reduce((n, r) => n + itemBytes(r.arn), 0);
  const perSet = STATEMENT_BYTES + avgSet * avgFolder;
  const fit = Math.max(0, Math.floor((a.limitBytes - principals - 100) / perSet));
  out.push(
    `shared sets: the ${a.readers.length} readers hold ${sets} distinct folder sets; at ${fmt(avgSet)} tables per set the limit holds ` +
      `~${fit} distinct sets: give readers with the same needs exactly the same grants (e.g. one set per team)`,
  );

  if (a.allowListing)
    out.push(
      `listing: allowListing: false removes ${fmt(a.listingBytes)} bytes of ListBucket statements ` +
        `(policy then ${fmt(a.bytes - a.listingBytes)} bytes: ${a.bytes - a.listingBytes <= a.limitBytes ? "fits" : "still over"})`,
    );
  out.push("or move some readers' tables to a second lake bucket (each bucket has its own policy and limit)");
  return out;
}
