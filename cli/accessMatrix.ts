// `npm run access`: the effective access matrix from the live catalog ACL (catalog guard) and the
// live bucket policy (evaluated per reader and table for s3:GetObject on the table's files), with the
// declared grants when the connection info carries them. Exit 1 when the layers disagree.
import { runReportCommand } from "./args";
import { runMain } from "./errors";
import { LakeConnectionInfo } from "./connectionInfo";
import { connectCatalog } from "../postgres/connection";
import { GuardApi, loadGuardApi } from "./guardApi";
import { qualifiedName, readInventory } from "./lakeInventory";
import { expectedTables } from "./expectedAccess";
import { lakeS3Client, readBucketPolicy } from "./s3";
import { policyEvaluator, PolicyEvaluator } from "./policyApi";
import { principalArn } from "../model/principal";
import { formatTable } from "./table";
import { describeRows } from "../model/rowFilter";
import type { RowFilterKey } from "../model/accessSpec";

export interface AccessCell {
  reader: string;
  table: string;
  /** Declared in the program (undefined when the connection info carries no grants for the reader). */
  declared?: boolean;
  catalog: boolean;
  /** Partition grants only: the filters the catalog ACL holds for this table (each as a review shows it, sorted). */
  catalogRows?: string[];
  /** Partition grants only: the declared filters for this table. */
  declaredRows?: string[];
  /** undefined when the table's files lie outside its folder in the lake bucket (no grant opens them). */
  storage?: boolean;
  agree: boolean;
}

export interface AccessMatrix {
  cells: AccessCell[];
  problems: string[];
}

export async function accessMatrix(
  info: LakeConnectionInfo,
  opts: { guard?: GuardApi; evaluate?: PolicyEvaluator } = {},
): Promise<AccessMatrix> {
  const guard = opts.guard ?? loadGuardApi();
  const evaluate = opts.evaluate ?? policyEvaluator(info.storage.bucket);
  const admin = await connectCatalog(info.catalog, info.catalog.schema, "access");
  let inv, acl;
  try {
    inv = await readInventory(admin, { bucket: info.storage.bucket, catalogSchema: info.catalog.schema });
    acl = await guard.listGrants(admin);
  } finally {
    await admin.end();
  }
  const policy = await readBucketPolicy(lakeS3Client(info, info.storage.admin), info.storage.bucket);
  const out: AccessMatrix = { cells: [], problems: [] };
  if (policy === undefined && info.readers.length > 0)
    out.problems.push(`bucket ${info.storage.bucket} has no policy: no reader can read any data file`);
  const known = new Set(info.readers.map((r) => r.name));
  for (const g of acl)
    if (!known.has(g.reader))
      out.problems.push(
        `the catalog ACL grants ${g.schema}.${g.table ?? "*"}${g.rows ? ` [${describeRows(g.rows)}]` : ""} to ${g.reader}, which is not a reader of this stack`,
      );

  for (const reader of info.readers) {
    const mine = acl.filter((g) => g.reader === reader.name);
    const inCatalog = expectedTables(
      mine.filter((g) => !g.rows),
      inv.tables,
    ).ids;
    const declared = reader.grants
      ? expectedTables(
          reader.grants.filter((g) => !g.rows),
          inv.tables,
        ).ids
      : undefined;
    const catalogRows = rowsByTable(mine);
    const declaredRows = reader.grants ? rowsByTable(reader.grants) : undefined;
    const arn = principalArn({ projectId: reader.s3.projectId, accessKey: reader.s3.accessKey });
    const ownerKey = reader.s3.projectId === info.storage.adminProjectId;
    for (const t of inv.tables) {
      const cRows = catalogRows.get(`${t.schema}\u0000${t.table}`);
      const dRows = declaredRows?.get(`${t.schema}\u0000${t.table}`);
      if ((cRows || dRows) && !inCatalog.has(t.tableId) && !declared?.has(t.tableId)) {
        // A partition grant: which files it opens in storage depends on their partitions; `npm run verify` probes them.
        const agree = declaredRows === undefined || JSON.stringify(cRows ?? []) === JSON.stringify(dRows ?? []);
        out.cells.push({
          reader: reader.name,
          table: qualifiedName(t),
          catalog: cRows !== undefined,
          agree,
          ...(cRows ? { catalogRows: cRows } : {}),
          ...(dRows ? { declaredRows: dRows } : {}),
          ...(declaredRows ? { declared: dRows !== undefined } : {}),
        });
        if (!agree)
          out.problems.push(
            `${reader.name} on ${qualifiedName(t)}: layers disagree (declared ${rowsText(dRows)}, catalog ${rowsText(cRows)})`,
          );
        continue;
      }
      // A key inside the table's folder, as the policy grants it: a real data file, else a made-up name there.
      // A file outside the folder (or the bucket) is not the policy's to open: no storage answer.
      const file = inv.probeFiles.get(t.tableId);
      const key = file ? file.key : typeof t.folder === "string" ? `${t.folder}ducklake-probe.parquet` : undefined;
      const storage = key === undefined ? undefined : evaluate(policy, arn, key, ownerKey);
      const catalog = inCatalog.has(t.tableId);
      const want = declared ? declared.has(t.tableId) : catalog;
      const agree = catalog === want && (storage === undefined || storage === want);
      const cell: AccessCell = {
        reader: reader.name,
        table: qualifiedName(t),
        catalog,
        agree,
        ...(storage === undefined ? {} : { storage }),
        ...(declared ? { declared: declared.has(t.tableId) } : {}),
      };
      out.cells.push(cell);
      if (agree) continue;
      const layers = [
        declared ? `declared ${yes(want)}` : "",
        `catalog ${yes(catalog)}`,
        storage === undefined ? "" : `bucket policy ${yes(storage)}`,
      ].filter(Boolean);
      out.problems.push(`${reader.name} on ${qualifiedName(t)}: layers disagree (${layers.join(", ")})`);
    }
  }
  return out;
}

const yes = (b: boolean) => (b ? "read" : "none");
const rowsText = (rows: string[] | undefined) => (rows ? rows.map((r) => `rows [${r}]`).join(" + ") : "none");

/** schema\0table → the described filters of the partition grants of that table, sorted. */
function rowsByTable(grants: { schema: string; table?: string | null; rows?: RowFilterKey[] }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const g of grants) {
    if (!g.rows || !g.table) continue;
    const k = `${g.schema}\u0000${g.table}`;
    out.set(k, [...(out.get(k) ?? []), describeRows(g.rows)].sort());
  }
  return out;
}

export function formatAccessMatrix(m: AccessMatrix): string {
  const withDeclared = m.cells.some((c) => c.declared !== undefined);
  const headers = ["reader", "table", ...(withDeclared ? ["declared"] : []), "catalog", "bucket policy", "result"];
  const rows = m.cells.map((c) => [
    c.reader,
    c.table,
    ...(withDeclared ? [c.declared === undefined ? "-" : c.declaredRows ? rowsText(c.declaredRows) : yes(c.declared)] : []),
    c.catalogRows ? rowsText(c.catalogRows) : yes(c.catalog),
    c.storage !== undefined ? yes(c.storage) : c.catalogRows || c.declaredRows ? "(partitions: npm run verify)" : "(outside folder)",
    c.agree ? "ok" : "DISAGREE",
  ]);
  const lines = [formatTable(headers, rows), ...m.problems.map((p) => `DISAGREE: ${p}`)];
  lines.push(m.problems.length === 0 ? "access: the catalog and the bucket policy agree" : `access: ${m.problems.length} disagreement(s)`);
  return lines.join("\n");
}

const USAGE = "usage: npm run access -- [--stack <s> | --from <file>] [--json]";

export async function main(argv: string[]): Promise<number> {
  return runReportCommand(argv, USAGE, accessMatrix, {
    good: (m) => m.problems.length === 0,
    json: (m) => ({ agree: m.problems.length === 0, ...m }),
    text: formatAccessMatrix,
  });
}

if (require.main === module) runMain(() => main(process.argv.slice(2)));
