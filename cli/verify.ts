// `npm run verify`: proves the access matrix with each reader's own credentials. For every reader it
// lists the catalog tables the reader sees (must equal its grants), compares every table-keyed
// catalog row it sees with the owner's view, checks inlined-row tables, and probes S3 inside and
// outside its prefixes (a real data file of every table: 200 when granted, 403 otherwise), plus bucket
// listing, policy read and a write (all must be 403). Prints a table; exit 1 on any mismatch.
import { randomBytes } from "crypto";
import { Client } from "pg";
import { parseCommandArgs } from "./args";
import { CliError, explainError, runMain } from "./errors";
import { LakeConnectionInfo, ReaderConnection, loadLakeConnectionInfo, readerCatalogConnection } from "./connectionInfo";
import { connectCatalog } from "../postgres/connection";
import { LakeInventory, qualifiedName, readInventory, visibleTableIds } from "./lakeInventory";
import { expectedTables, GrantLike, grantCovers, grantLabel, isPartitionGrantLike, partitionOnlyTables } from "./expectedAccess";
import { readPartitionFacts } from "../postgres/partitionFiles";
import { layoutIndex } from "../model/lakePaths";
import { groupBelongs, partitionGrantResources, surelyOpens } from "../model/partitionFolders";
import {
  catalogRowCounts,
  catalogRules,
  CatalogObjects,
  CatalogRule,
  compareRowCounts,
  existingTableKeyedTables,
  expectedIds,
  partitionGrantFiles,
  partitionRules,
  probeCatalogTables,
  readCatalogObjects,
  resolveGrants,
  RowCounts,
} from "./catalogConsistency";
import { listGrantDetails } from "../postgres/guardClient";
import { GuardApi, loadGuardApi } from "./guardApi";
import { lakeS3Client, probes } from "./s3";
import { sqlFile } from "../postgres/sqlFiles";
import { formatTable } from "./table";
import { verifyReaderWithDuckDB } from "./duckdbProbe";

export interface VerifyRow {
  reader: string;
  /** `schema.table`, or a bucket-level probe such as "(bucket listing)". */
  object: string;
  expected: "read" | "none";
  /** What the reader's catalog session shows: "visible", "hidden" or "login failed". */
  catalog: string;
  /** HTTP status of the reader's S3 probe, or "-" when there is nothing to probe. */
  s3: string;
  ok: boolean;
}

export interface VerifyReport {
  rows: VerifyRow[];
  /** Each mismatch, in words, naming the reader, the object and the layer. */
  problems: string[];
  notes: string[];
}

export interface VerifyOptions {
  /** Only these readers (default: all). */
  readers?: string[];
  /** Try a PutObject as each reader (deleted again with the admin key if it succeeds). Default true. */
  probeWrites?: boolean;
  guard?: GuardApi;
  /** Also attach as each reader with the real DuckDB client (cli/duckdbProbe.ts). The CLI's default. */
  duckdb?: boolean;
}

export async function verifyLake(info: LakeConnectionInfo, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const report: VerifyReport = { rows: [], problems: [], notes: [] };
  const readers = opts.readers ? info.readers.filter((r) => opts.readers!.includes(r.name)) : info.readers;
  for (const name of opts.readers ?? [])
    if (!readers.some((r) => r.name === name)) throw new CliError(`--reader ${name}: no such reader in the connection info`);
  if (readers.length === 0) {
    report.notes.push("no readers in the connection info: nothing to verify");
    return report;
  }

  const admin = await connectCatalog(info.catalog, info.catalog.schema, "verify");
  try {
    const inventory = await readInventory(admin, { bucket: info.storage.bucket, catalogSchema: info.catalog.schema });
    const rules = await catalogRules(admin);
    const keyed = await existingTableKeyedTables(admin, rules);
    const ownerCounts = await catalogRowCounts(admin, keyed);
    const every = rules && { rules, partitionRules: await partitionRules(admin), objects: await readCatalogObjects(admin) };
    for (const reader of readers) {
      const grants = await declaredOrLiveGrants(admin, reader, opts);
      // Every other catalog table, probed for rows of objects the reader was not granted (needs the guard's rules).
      const probe = every && {
        ...every,
        expected: await expectedIds(admin, resolveGrants(grants, every.objects, await listGrantDetails(admin, reader.name)), every.objects),
      };
      if (probe) probe.expected.partitionFiles = await partitionFilesOf(admin, grants, inventory);
      await verifyReader(info, reader, grants, inventory, keyed, ownerCounts, opts, report, probe);
      await verifyPartitionGrants(admin, info, reader, grants, inventory, report);
      if (opts.duckdb) await verifyReaderWithDuckDB(info, reader, grants, inventory, report);
    }
  } finally {
    await admin.end();
  }
  return report;
}

/** Tables the reader is granted only in part → the data files its partition grants cover (union over its grants). */
async function partitionFilesOf(admin: Client, grants: GrantLike[], inv: LakeInventory): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const id of partitionOnlyTables(grants, inv.tables)) {
    const t = inv.tables.find((x) => x.tableId === id)!;
    const files = new Set<string>();
    for (const g of grants.filter(isPartitionGrantLike).filter((x) => grantCovers(x, t)))
      for (const f of await partitionGrantFiles(admin, id, g.rows)) files.add(f);
    out.set(id, files);
  }
  return out;
}

async function declaredOrLiveGrants(admin: Client, reader: ReaderConnection, opts: VerifyOptions): Promise<GrantLike[]> {
  if (reader.grants) return reader.grants;
  const guard = opts.guard ?? loadGuardApi();
  return (await guard.listGrants(admin, reader.name)).filter((g) => g.reader === reader.name);
}

async function verifyReader(
  info: LakeConnectionInfo,
  reader: ReaderConnection,
  grants: GrantLike[],
  inv: LakeInventory,
  keyed: string[],
  ownerCounts: Map<string, RowCounts | undefined>,
  opts: VerifyOptions,
  report: VerifyReport,
  probe?: {
    rules: CatalogRule[];
    partitionRules: CatalogRule[];
    objects: CatalogObjects;
    expected: Awaited<ReturnType<typeof expectedIds>>;
  },
): Promise<void> {
  const r = reader.name;
  const { ids: granted, unmatched } = expectedTables(grants, inv.tables);
  // Tables granted only in part: their files are probed per partition (verifyPartitionGrants), not as a whole.
  const partial = partitionOnlyTables(grants, inv.tables);
  for (const g of unmatched) report.notes.push(`${r}: grant ${grantLabel(g)} matches no current table`);

  let visible: Set<string> | undefined;
  let client: Client | undefined;
  try {
    client = await connectCatalog(readerCatalogConnection(info, reader), info.catalog.schema, "verify");
  } catch (e) {
    report.problems.push(`${r}: cannot log in to the catalog with its own password: ${explainError(e)}`);
  }
  try {
    if (client) {
      try {
        visible = await visibleTableIds(client);
      } catch (e) {
        report.problems.push(`${r}: cannot list catalog tables: ${explainError(e)}`);
      }
      if (visible) await checkCatalogRows(client, r, granted, partial, inv, keyed, ownerCounts, report);
      if (visible && probe)
        report.problems.push(
          ...(await probeCatalogTables(client, r, [...probe.rules, ...probe.partitionRules], probe.expected, probe.objects)),
        );
    }
    const s3 = lakeS3Client(info, reader.s3);
    for (const t of inv.tables) {
      const expected = granted.has(t.tableId);
      const catalog = !client ? "login failed" : !visible ? "error" : visible.has(t.tableId) ? "visible" : "hidden";
      const file = inv.probeFiles.get(t.tableId);
      const key = file?.key;
      let s3Result = "-";
      let s3Ok = true;
      // A file outside its table's folder stays closed to every reader (the policy warns): not a probe of the grant.
      if (file && key === undefined)
        report.notes.push(
          `${r}: ${qualifiedName(t)} has a data file outside its folder ` +
            `${typeof t.folder === "string" ? `s3://${info.storage.bucket}/${t.folder}` : `(${t.folder.problem})`} (${file.location}); not probed`,
        );
      if (key !== undefined && partial.has(t.tableId)) {
        s3Result = "partitions";
      } else if (key !== undefined) {
        const status = await probes.head(s3, info.storage.bucket, key);
        s3Result = String(status);
        s3Ok = expected ? status === 200 : status === 403;
        if (!s3Ok)
          report.problems.push(
            expected
              ? `${r}: S3 refuses ${qualifiedName(t)} (${status} on s3://${info.storage.bucket}/${key}) although it is granted: the bucket policy lacks the grant`
              : `${r}: S3 lets it read ${qualifiedName(t)} (${status} on s3://${info.storage.bucket}/${key}) although it is not granted: the bucket policy grants too much`,
          );
      } else if (!file) {
        report.notes.push(`${r}: ${qualifiedName(t)} has no data file to probe (empty or inlined only)`);
      }
      const catalogOk = catalog === (expected ? "visible" : "hidden");
      if (!catalogOk && visible)
        report.problems.push(
          expected
            ? `${r}: the catalog hides ${qualifiedName(t)} although it is granted: the catalog ACL lacks the grant`
            : `${r}: the catalog shows ${qualifiedName(t)} although it is not granted: the reader sees too much`,
        );
      report.rows.push({
        reader: r,
        object: qualifiedName(t),
        expected: expected ? "read" : "none",
        catalog,
        s3: s3Result,
        ok: catalogOk && s3Ok,
      });
    }
    await bucketProbes(info, reader, inv, granted, opts, report);
  } finally {
    await client?.end().catch(() => undefined);
  }
}

/**
 * Each partition grant in storage: GetObject (HEAD) on a file of a granted partition must give 200, and on a file
 * of another partition of the same table 403. Files come from the catalog (postgres/partitionFiles.ts); the granted
 * folders from the same rule the bucket policy uses (model/partitionFolders.ts).
 */
async function verifyPartitionGrants(
  admin: Client,
  info: LakeConnectionInfo,
  reader: ReaderConnection,
  grants: GrantLike[],
  inv: LakeInventory,
  report: VerifyReport,
): Promise<void> {
  const partitionGrants = grants.filter(isPartitionGrantLike);
  if (partitionGrants.length === 0) return;
  const r = reader.name;
  const bucket = info.storage.bucket;
  const ix = layoutIndex(inv.layout);
  const facts = await readPartitionFacts(admin, ix, partitionGrants);
  const s3 = lakeS3Client(info, reader.s3);
  for (const g of partitionGrants) {
    const label = grantLabel(g);
    const t = ix.findTable(g.schema, g.table);
    const f = t && facts.find((x) => x.schema === t.schema && x.table === t.name);
    const folder = ix.tablePrefix(g.schema, g.table);
    if (!t || !f || typeof folder !== "string") {
      report.notes.push(`${r}: partition grant ${label} matches no current table: nothing to probe`);
      continue;
    }
    const target = { schema: g.schema, table: g.table, rows: g.rows };
    const { patterns } = partitionGrantResources(folder, f, target);
    const data = f.groups.filter((x) => x.kind === "data" && x.sampleKey !== undefined);
    const inside = data.find((x) => groupBelongs(f, target, x) && patterns.some((p) => surelyOpens(p, x.sampleKey!)));
    const other = data.find((x) => x.partitionId !== null && !groupBelongs(f, target, x));
    const probe = async (object: string, key: string, expected: "read" | "none") => {
      const status = await probes.head(s3, bucket, key);
      // A granted file already removed from the bucket (older snapshot, cleaned up) is 404: not a policy mismatch.
      const ok = expected === "read" ? status === 200 || status === 404 : status === 403;
      if (expected === "read" && status === 404)
        report.notes.push(`${r}: ${object}: s3://${bucket}/${key} is gone (404); not a policy probe`);
      if (!ok)
        report.problems.push(
          expected === "read"
            ? `${r}: S3 refuses a file of granted partitions ${label} (${status} on s3://${bucket}/${key}): the bucket policy lacks the partition grant`
            : `${r}: S3 lets it read a file of another partition of ${g.schema}.${g.table} (${status} on s3://${bucket}/${key}) although only ${label} is granted: the bucket policy grants too much`,
        );
      report.rows.push({ reader: r, object, expected, catalog: "-", s3: String(status), ok });
    };
    if (inside) await probe(label, inside.sampleKey!, "read");
    else report.notes.push(`${r}: partition grant ${label} has no file in its folders to probe (no rows yet, or inlined only)`);
    if (other)
      await probe(
        `${g.schema}.${g.table} (${other.folder?.slice(folder.length) || "table folder"}, not granted)`,
        other.sampleKey!,
        "none",
      );
    else report.notes.push(`${r}: ${g.schema}.${g.table} has no file of another partition to probe`);
  }
}

async function checkCatalogRows(
  client: Client,
  r: string,
  granted: Set<string>,
  /** Tables granted only in part: their file rows are checked per file by probeCatalogTables, not counted here. */
  partial: Set<string>,
  inv: LakeInventory,
  keyed: string[],
  ownerCounts: Map<string, RowCounts | undefined>,
  report: VerifyReport,
): Promise<void> {
  const names = new Map(inv.tables.map((t) => [t.tableId, qualifiedName(t)]));
  const label = (id: string) => names.get(id) ?? `dropped table #${id}`;
  // Rows of dropped tables are history, not access: compare current tables only.
  const current = new Set(inv.tables.map((t) => t.tableId));
  const counted = new Set([...current].filter((id) => !partial.has(id)));
  const onlyCurrent = (m: Map<string, RowCounts | undefined>) =>
    new Map([...m].map(([k, v]) => [k, v && new Map([...v].filter(([id]) => counted.has(id)))] as const));
  const readerCounts = await catalogRowCounts(client, keyed);
  for (const p of compareRowCounts(onlyCurrent(ownerCounts), onlyCurrent(readerCounts), granted)) {
    if (p.kind === "hidden-rows-visible")
      report.problems.push(
        `${r}: sees ${p.reader} row(s) of hidden table ${label(p.tableId)} in ${p.catalogTable}: the reader sees too much`,
      );
    else if (p.kind === "granted-rows-missing")
      report.problems.push(
        `${r}: sees ${p.reader} of ${p.owner} row(s) of granted table ${label(p.tableId)} in ${p.catalogTable}: reads would be wrong or fail`,
      );
    else report.problems.push(`${r}: may not read ${p.catalogTable}, which holds rows of granted table ${label(p.tableId)}`);
  }
  for (const [id, tables] of inv.inlinedTables) {
    if (!current.has(id)) continue;
    for (const t of tables) {
      const can = (await client.query<{ can_select: boolean }>(sqlFile("table_privilege"), [t])).rows[0].can_select;
      if (granted.has(id) && !can)
        report.problems.push(`${r}: may not SELECT ${t} (inlined rows of granted table ${label(id)}): its queries will fail`);
      if (!granted.has(id) && can)
        report.problems.push(`${r}: may SELECT ${t} (inlined rows of hidden table ${label(id)}): the reader sees too much`);
    }
  }
  await checkSnapshotChanges(client, r, granted, inv, report);
}

/** ducklake_snapshot_changes names tables in free text: a visible row naming a hidden table leaks it. */
async function checkSnapshotChanges(
  client: Client,
  r: string,
  granted: Set<string>,
  inv: LakeInventory,
  report: VerifyReport,
): Promise<void> {
  let texts: string[];
  try {
    texts = (await client.query<{ changes_made: string | null }>("SELECT changes_made FROM ducklake_snapshot_changes")).rows.map(
      (x) => x.changes_made ?? "",
    );
  } catch (e) {
    if ((e as { code?: string }).code === "42501" || (e as { code?: string }).code === "42P01") return;
    throw e;
  }
  for (const t of inv.tables) {
    if (granted.has(t.tableId)) continue;
    const quoted = `"${t.schema.replace(/"/g, '""')}"."${t.table.replace(/"/g, '""')}"`;
    const idPattern = new RegExp(`_table:${t.tableId}(?![0-9])`);
    if (texts.some((s) => s.includes(quoted) || idPattern.test(s)))
      report.problems.push(`${r}: ducklake_snapshot_changes names hidden table ${qualifiedName(t)}: the reader sees too much`);
  }
}

async function bucketProbes(
  info: LakeConnectionInfo,
  reader: ReaderConnection,
  inv: LakeInventory,
  granted: Set<string>,
  opts: VerifyOptions,
  report: VerifyReport,
): Promise<void> {
  const r = reader.name;
  const { bucket, dataPrefix } = info.storage;
  const s3 = lakeS3Client(info, reader.s3);
  const add = (object: string, status: number, problem: string) => {
    const ok = status === 403;
    if (!ok) report.problems.push(`${r}: ${problem} (${status}, expected 403)`);
    report.rows.push({ reader: r, object, expected: "none", catalog: "-", s3: String(status), ok });
  };
  add("(bucket listing)", await probes.list(s3, bucket, dataPrefix), `can list s3://${bucket}/${dataPrefix}`);
  add("(bucket policy)", await probes.getPolicy(s3, bucket), `can read the bucket policy of ${bucket}`);
  if (opts.probeWrites === false) return;
  // Write where a loose policy is most likely to allow it: inside a granted table's directory.
  const grantedTable = inv.tables.find((t) => granted.has(t.tableId));
  const base = grantedTable && typeof grantedTable.folder === "string" ? grantedTable.folder : dataPrefix;
  const key = `${base}ducklake-verify-${randomBytes(6).toString("hex")}.probe`;
  const status = await probes.put(s3, bucket, key);
  if (status >= 200 && status < 300) await probes.delete(lakeS3Client(info, info.storage.admin), bucket, key);
  add("(write)", status, `can write s3://${bucket}/${key} (probe object deleted again)`);
}

export function formatVerifyReport(report: VerifyReport): string {
  const lines = [
    formatTable(
      ["reader", "object", "expected", "catalog", "s3", "result"],
      report.rows.map((x) => [x.reader, x.object, x.expected, x.catalog, x.s3, x.ok ? "ok" : "MISMATCH"]),
    ),
  ];
  for (const n of report.notes) lines.push(`note: ${n}`);
  for (const p of report.problems) lines.push(`MISMATCH: ${p}`);
  lines.push(
    report.problems.length === 0
      ? `verify: OK — ${report.rows.length} checks, every reader sees exactly its grants in both layers`
      : `verify: FAILED — ${report.problems.length} mismatch(es)`,
  );
  return lines.join("\n");
}

const USAGE = "usage: npm run verify -- [--stack <s> | --from <file>] [--reader <name>]... [--no-write-probe] [--no-duckdb] [--json]";

export async function main(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      reader: { type: "string", multiple: true },
      "no-write-probe": { type: "boolean" },
      json: { type: "boolean" },
      "no-duckdb": { type: "boolean" },
    },
    USAGE,
  );
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const info = loadLakeConnectionInfo(args.source, (m) => process.stderr.write(`${m}\n`));
  const readers = args.values.reader as string[] | undefined;
  const report = await verifyLake(info, { readers, probeWrites: !args.values["no-write-probe"], duckdb: !args.values["no-duckdb"] });
  process.stdout.write(
    args.values.json ? `${JSON.stringify({ ok: report.problems.length === 0, ...report }, null, 2)}\n` : `${formatVerifyReport(report)}\n`,
  );
  return report.problems.length === 0 ? 0 : 1;
}

if (require.main === module) runMain(() => main(process.argv.slice(2)));
