// `npm run status`: health of the catalog PostgreSQL (reachable, version, TLS, DuckLake catalog,
// guard installed and its version; row-level security and the guard policy on every catalog table, the guard's
// triggers, `visible` and inlined-table grants agreeing with the ACL, who may create temporary tables), the bucket (reachable, policy present), and each reader's role
// (exists, can log in with its password, member of the reader role, no elevated rights).
// Exit 1 when anything is unhealthy.
import { Client } from "pg";
import { runReportCommand } from "./args";
import { explainError, runMain } from "./errors";
import { LakeConnectionInfo, readerCatalogConnection } from "./connectionInfo";
import { connectCatalog } from "../postgres/connection";
import { GuardApi, GuardStatus, latestGuardVersion, loadGuardApi } from "./guardApi";
import { lakeS3Client, probes, readBucketPolicy } from "./s3";
import { sqlFile } from "../postgres/sqlFiles";
import { formatTable } from "./table";
import { quoteIdent, quoteLiteral, READER_BASE_ROLE } from "../model/names";
import { hasFunction, listGrantDetails } from "../postgres/guardClient";

export interface StatusCheck {
  component: string;
  check: string;
  ok: boolean;
  detail: string;
}

const LOOPBACK = /^(127\.|localhost$|::1$)/;

export async function lakeStatus(info: LakeConnectionInfo, opts: { guard?: GuardApi } = {}): Promise<StatusCheck[]> {
  return [...(await catalogStatus(info, opts)), ...(await storageStatus(info))];
}

/** The catalog PostgreSQL's checks: server, TLS, DuckLake catalog, the guard and its integrity, each reader's role. */
export async function catalogStatus(
  info: Pick<LakeConnectionInfo, "catalog" | "readers" | "storage">,
  opts: { guard?: GuardApi } = {},
): Promise<StatusCheck[]> {
  const checks: StatusCheck[] = [];
  const add = (component: string, check: string, ok: boolean, detail: string) => checks.push({ component, check, ok, detail });
  const pgLabel = `postgres ${info.catalog.host}:${info.catalog.port}/${info.catalog.database}`;

  let admin: Client | undefined;
  try {
    admin = await connectCatalog(info.catalog, info.catalog.schema, "status");
    add(pgLabel, "reachable", true, `as ${info.catalog.user}`);
  } catch (e) {
    add(pgLabel, "reachable", false, explainError(e));
  }
  if (admin) {
    try {
      const h = (await admin.query(sqlFile("server_health"))).rows[0];
      add(
        pgLabel,
        "version",
        h.version_num >= 120000,
        h.version_num >= 120000 ? `PostgreSQL ${h.version}` : `PostgreSQL ${h.version}: DuckLake needs 12 or newer`,
      );
      const tls = tlsCheck({ ssl: h.ssl, tlsVersion: h.tls_version }, info.catalog);
      add(pgLabel, "TLS", tls.ok, tls.detail);
      const cat = (await admin.query(sqlFile("catalog_tables_present")).catch(() => ({ rows: [{ tables: 0, version: null }] }))).rows[0];
      add(
        pgLabel,
        "DuckLake catalog",
        cat.tables === 7,
        cat.tables === 7
          ? `schema ${info.catalog.schema}, format ${cat.version}`
          : `no DuckLake catalog in schema ${info.catalog.schema}: run \`pulumi up\` (or attach the lake once as the owner)`,
      );
      const guard = await (opts.guard ?? loadGuardApi()).guardStatus(admin);
      const latest = latestGuardVersion();
      const current = guard.installed && (guard.version ?? 0) >= latest;
      add(
        pgLabel,
        "catalog guard",
        current,
        !guard.installed
          ? "not installed: every reader can read the whole catalog; run `pulumi up` to install it"
          : current
            ? `version ${guard.version} on schema ${guard.catalogSchema}`
            : `version ${guard.version} is older than this checkout's ${latest}: run \`pulumi up\` to upgrade it`,
      );
      if (guard.installed && guard.catalogSchema !== info.catalog.schema)
        add(
          pgLabel,
          "guarded schema",
          false,
          `the guard protects schema ${guard.catalogSchema}, but the lake's catalog is in ${info.catalog.schema}`,
        );
      if (guard.installed && guard.catalogSchema === info.catalog.schema)
        await guardIntegrityChecks(admin, guard, (check, ok, detail) => add(pgLabel, check, ok, detail));
      for (const r of info.readers) await readerRoleChecks(info, admin, r.name, guard, add);
    } catch (e) {
      add(pgLabel, "queries", false, explainError(e));
    } finally {
      await admin.end().catch(() => undefined);
    }
  }

  return checks;
}

/** The bucket's checks: reachable with the admin key, bucket policy present when there are readers. */
async function storageStatus(info: LakeConnectionInfo): Promise<StatusCheck[]> {
  const checks: StatusCheck[] = [];
  const add = (component: string, check: string, ok: boolean, detail: string) => checks.push({ component, check, ok, detail });
  const { bucket } = info.storage;
  const s3Label = `bucket ${bucket} at ${info.storage.endpoint}`;
  try {
    const s3 = lakeS3Client(info, info.storage.admin);
    const status = await probes.headBucket(s3, bucket);
    add(
      s3Label,
      "reachable",
      status === 200,
      status === 200
        ? "admin key can reach it"
        : status === 404
          ? "bucket does not exist: run `pulumi up`"
          : `HEAD bucket answered ${status}: check the admin key`,
    );
    if (status === 200) {
      const policy = await readBucketPolicy(s3, bucket);
      const statements = Array.isArray((policy as { Statement?: unknown[] } | undefined)?.Statement)
        ? (policy as { Statement: unknown[] }).Statement.length
        : 0;
      const needed = info.readers.length > 0;
      add(
        s3Label,
        "bucket policy",
        policy !== undefined || !needed,
        policy !== undefined
          ? `${statements} statement(s), ${JSON.stringify(policy).length} bytes (limit 1 MB)`
          : needed
            ? "no bucket policy: readers cannot read any data file; run `pulumi up`"
            : "none (no readers)",
      );
    }
  } catch (e) {
    add(s3Label, "reachable", false, explainError(e));
  }
  return checks;
}

/**
 * TLS of the status connection: on a network (not loopback) it must be encrypted, and with sslmode verify-full,
 * or anyone on the path (a managed service is reached over a network) could impersonate the server.
 */
export function tlsCheck(
  session: { ssl: boolean; tlsVersion?: string | null },
  conn: { host: string; sslmode: string },
): { ok: boolean; detail: string } {
  const local = LOOPBACK.test(conn.host);
  if (!session.ssl)
    return local
      ? { ok: true, detail: "off (loopback only)" }
      : { ok: false, detail: "off: passwords and catalog rows cross the network in clear; set sslmode verify-full with the server's CA" };
  if (conn.sslmode !== "verify-full" && !local)
    return {
      ok: false,
      detail:
        `${session.tlsVersion} but sslmode ${conn.sslmode} does not check the server's certificate (anyone on the path can pose as the server): ` +
        "set sslmode verify-full and the server's CA (sslRootCert)",
    };
  return { ok: true, detail: `${session.tlsVersion} (sslmode ${conn.sslmode})` };
}

/**
 * The guard's own protection: RLS + policy on every catalog table (and the writer's policy), its triggers, how new
 * inlined tables get granted, `visible` vs the ACL, grants of missing roles, TEMPORARY.
 */
async function guardIntegrityChecks(
  admin: Client,
  guard: GuardStatus,
  add: (check: string, ok: boolean, detail: string) => void,
): Promise<void> {
  const version = guard.version ?? 0;
  const owner = guard.catalogOwner ?? "";
  const asOwner = `as the catalog owner (${owner}) or a superuser`;
  const tables = (
    await admin.query<{
      table_name: string;
      rls: boolean;
      guard_policy: boolean;
      reader_select: boolean;
      write_policy: boolean;
      other_policies: string[];
    }>(sqlFile("guard_protection"))
  ).rows;
  // Catalog tables DuckLake created after the guard (no event trigger without superuser): no RLS, no policy, and no
  // SELECT for readers either — they are refused (fail closed) until protect_all() runs, which `pulumi up` does.
  const unprotected = tables.filter((t) => !t.rls && !t.guard_policy && !t.reader_select && !t.other_policies.length);
  if (unprotected.length)
    add(
      "catalog tables without the guard policy",
      false,
      `${unprotected.length} (${unprotected.map((t) => t.table_name).join(", ")}): created after the guard was installed, so readers are refused ` +
        `(they cannot attach) until they are protected. Repair: run \`pulumi up\` (the guard protects them), or ${asOwner}: SELECT ducklake_guard.protect_all();`,
    );
  let bad = unprotected.length;
  for (const t of tables.filter((x) => !unprotected.includes(x))) {
    const problems: string[] = [];
    if (!t.rls) problems.push("row-level security is off: every reader sees every row");
    if (!t.guard_policy)
      problems.push("the guard's read policy ducklake_guard_read is missing or altered: readers see nothing, or more than granted");
    if (t.other_policies.length)
      problems.push(`other policies ${t.other_policies.join(", ")} (a permissive one widens what readers see; DROP POLICY it)`);
    if (problems.length) {
      bad++;
      add(`protection of ${t.table_name}`, false, `${problems.join("; ")}. Repair ${asOwner}: SELECT ducklake_guard.protect_all();`);
    }
  }
  await writerPolicyCheck(admin, tables, guard, asOwner, add);
  if (!bad)
    add(
      "catalog tables protected",
      tables.length > 0,
      tables.length > 0
        ? `${tables.length} catalog tables: row-level security on, the guard's read policy and no other`
        : "no catalog table with a guard rule found in this schema",
    );
  for (const t of (
    await admin.query<{ kind: string; name: string; on_table: string | null; enabled: string | null }>(sqlFile("guard_triggers"), [version])
  ).rows) {
    const where = t.on_table ? ` on ${t.on_table}` : "";
    if (t.enabled === null && unprotected.some((u) => u.table_name === t.on_table)) continue; // protect_all() attaches it: reported above
    if (t.enabled === null || t.enabled === "D") {
      const what = t.enabled === null ? "is missing" : "is disabled";
      const repair =
        t.kind === "event trigger"
          ? t.enabled === null
            ? "the guard recorded it as installed (a restore does not bring event triggers back): as a superuser re-create it with the " +
              "CREATE EVENT TRIGGER of sql/004_inlined_event_trigger.sql; without a superuser, record that it is gone " +
              `${asOwner}: UPDATE ducklake_guard.setting SET value = 'missing' WHERE key = 'event_trigger'; SELECT ducklake_guard.protect_all(); ` +
              "(the commit trigger grants new inlined tables)"
            : "as a superuser: ALTER EVENT TRIGGER ducklake_guard_create_table ENABLE;"
          : t.on_table === "ducklake_guard.acl"
            ? `${asOwner}: run \`pulumi up\` (guard migration 006 recreates it); until then hand edits of the ACL are not enforced`
            : `${asOwner}: SELECT ducklake_guard.protect_all();`;
      add(`${t.kind} ${t.name}${where}`, false, `${what}: ${repair}`);
    }
  }
  await inlinedGrantCheck(admin, guard, asOwner, add);
  await inlinedRowFilterCheck(admin, guard, asOwner, add);
  if (version >= 6) {
    const drift = (
      await admin.query<{ area: string; reader: string; detail: string }>(
        "SELECT area, reader, detail FROM ducklake_guard.enforcement_drift()",
      )
    ).rows;
    for (const d of drift.slice(0, 20)) {
      // A privilege another role granted (the writer owns what it creates) is one the guard cannot revoke.
      const grantor = /\(granted by (\S+)\)$/.exec(d.detail)?.[1];
      const writerGrant = grantor !== undefined && grantor !== owner;
      const table = /^may \S+ (\S+\.\S+)[ ,]/.exec(d.detail)?.[1];
      // An inlined table without the row filter: the detail names its own repair (who may put the filter on).
      if (/: it has no row filter; /.test(d.detail)) {
        add(`ACL enforced for ${d.reader}`, false, d.detail);
        continue;
      }
      add(
        `ACL enforced for ${d.reader}`,
        false,
        `${d.detail}. Repair: ${
          writerGrant && table
            ? `as a superuser (or ${grantor}): REVOKE ALL ON ${table} FROM ${d.reader === "PUBLIC" ? "PUBLIC" : quoteIdent(d.reader)}; (granted by a role other than the catalog owner, so resync cannot revoke it)`
            : `${asOwner}: SELECT ducklake_guard.resync();`
        }`,
      );
    }
    if (drift.length > 20)
      add("ACL enforced", false, `${drift.length - 20} more difference(s): SELECT * FROM ducklake_guard.enforcement_drift();`);
    if (!drift.length) add("ACL enforced", true, "visible ids and inlined-table grants agree with the ACL");
  }
  // A grant whose role is gone, or was dropped and re-created (a new oid: a restore on another server): it grants nothing.
  for (const g of (await listGrantDetails(admin)).filter((x) => x.status === "role missing")) {
    const args = `${quoteLiteral(g.reader)}, ${quoteLiteral(g.schema)}, ${g.table === null ? "NULL" : quoteLiteral(g.table)}`;
    add(
      `grant of ${g.reader}`,
      false,
      `${g.schema}${g.table === null ? " (whole schema)" : `.${g.table}`}: role ${g.reader} does not exist, or is not the role that was granted ` +
        `(dropped and re-created, or restored on another server), so the grant gives nothing. Repair ${asOwner}: ` +
        `re-pin it to the role of that name with SELECT ducklake_guard.grant_read(${args}); or remove it with SELECT ducklake_guard.revoke_read(${args});`,
    );
  }
  const temp = (await admin.query<{ grantee: string }>(sqlFile("temporary_grantees"), [owner])).rows.map((r) => r.grantee);
  add(
    "TEMPORARY",
    temp.length === 0,
    temp.length === 0
      ? "only the catalog owner and superusers may create temporary tables"
      : `${temp.join(", ")} may create temporary tables (they can shadow relations for code that does not put pg_temp last): ` +
          temp
            .map((g) => `REVOKE TEMPORARY ON DATABASE ${quoteIdent(String(admin.database))} FROM ${g === "PUBLIC" ? g : quoteIdent(g)};`)
            .join(" ") +
          " (as the database owner)",
  );
}

/** The writer must see every catalog row: BYPASSRLS, or the guard's write policy on every protected table. */
async function writerPolicyCheck(
  admin: Client,
  tables: Array<{ table_name: string; rls: boolean; write_policy: boolean }>,
  guard: GuardStatus,
  asOwner: string,
  add: (check: string, ok: boolean, detail: string) => void,
): Promise<void> {
  const writer = guard.catalogWriter;
  if (!writer) {
    if (await hasFunction(admin, "set_catalog_writer(name)"))
      add("catalog writer", true, "none recorded: the guard gives no role its write policy, so the writer needs BYPASSRLS (VPS target)");
    return;
  }
  const role = (await admin.query<{ bypass_rls: boolean }>(sqlFile("writer_role"), [writer])).rows[0];
  if (!role) {
    add("catalog writer", false, `role ${writer} (setting catalog_writer) does not exist: run \`pulumi up\``);
    return;
  }
  const without = tables.filter((t) => t.rls && !t.write_policy).map((t) => t.table_name);
  if (role.bypass_rls || !without.length) {
    add(
      "catalog writer",
      true,
      role.bypass_rls
        ? `${writer} bypasses row-level security (BYPASSRLS)`
        : `${writer} has the guard's write policy on every protected catalog table (no BYPASSRLS needed)`,
    );
    return;
  }
  add(
    "catalog writer",
    false,
    `${writer} has neither BYPASSRLS nor the guard's write policy on ${without.length} catalog table(s) (${without.join(", ")}): ` +
      `DuckLake writes fail ("No snapshot found in DuckLake") or miss rows. Repair: run \`pulumi up\`, or ${asOwner}: SELECT ducklake_guard.protect_all();`,
  );
}

const MECHANISM_WORDS: Record<string, string> = { commit_trigger: "commit trigger", event_trigger: "event trigger" };

/** How new inlined tables get granted: the triggers present now (the guard records what it installed in setting inlined_grants). */
async function inlinedGrantCheck(
  admin: Client,
  guard: GuardStatus,
  asOwner: string,
  add: (check: string, ok: boolean, detail: string) => void,
): Promise<void> {
  const catalog = (await admin.query<{ ok: boolean }>("SELECT to_regclass('ducklake_snapshot') IS NOT NULL AS ok")).rows[0].ok;
  if (!catalog) return; // no DuckLake catalog yet: reported above
  const live = (await hasFunction(admin, "inlined_grant_mechanism()"))
    ? (await admin.query<{ m: string }>("SELECT ducklake_guard.inlined_grant_mechanism() AS m")).rows[0].m
    : guard.eventTrigger &&
        (await admin.query("SELECT 1 FROM pg_event_trigger WHERE evtname = 'ducklake_guard_create_table' AND evtenabled <> 'D'")).rows
          .length
      ? "event_trigger"
      : "none";
  const words = live === "none" ? [] : live.split(",").map((m) => MECHANISM_WORDS[m] ?? m);
  add(
    "new inlined tables",
    words.length > 0,
    words.length
      ? `granted at creation by the ${words.join(" and the ")} (recorded: ${guard.inlinedGrants ?? "event_trigger"})`
      : `none: new inlined tables stay unreadable for their readers until SELECT ducklake_guard.resync(). Repair: run \`pulumi up\` ` +
          `(the guard's commit trigger needs no superuser), or ${asOwner}: SELECT ducklake_guard.protect_all();`,
  );
}

const FILTER_WORDS: Record<string, string> = {
  event_trigger: "the superuser's event trigger",
  owner_member_of_writer: "the commit trigger (the catalog owner is a member of the writer)",
};

/** Who puts the row filter on the writer's new inlined tables; without one, partition readers cannot read them (fail closed). */
async function inlinedRowFilterCheck(
  admin: Client,
  guard: GuardStatus,
  asOwner: string,
  add: (check: string, ok: boolean, detail: string) => void,
): Promise<void> {
  if (!(await hasFunction(admin, "inlined_filter_mechanism()"))) return; // before partition grants (sql/007)
  const r = (await admin.query<{ mechanism: string; partition_grants: boolean }>(sqlFile("inlined_row_filter"))).rows[0];
  if (r.mechanism !== "none") {
    const words = r.mechanism.split(",").map((m) => FILTER_WORDS[m] ?? m);
    add("row filter on new inlined tables", true, `put on at creation by ${words.join(" and by ")}`);
    return;
  }
  const owner = guard.catalogOwner ?? "<owner>",
    writer = guard.catalogWriter ?? "<writer>";
  const fix =
    `run \`pulumi up\` (it makes the catalog owner a member of the writer), or as the admin: GRANT ${quoteIdent(writer)} TO ${quoteIdent(owner)}; ` +
    `then ${asOwner}: SELECT ducklake_guard.resync();`;
  add(
    "row filter on new inlined tables",
    !r.partition_grants,
    r.partition_grants
      ? `nobody puts it on: partition readers cannot read the inlined tables ${writer} creates (fail closed). Repair: ${fix}`
      : `nobody puts it on (no superuser event trigger, and ${owner} is not a member of ${writer}); no partition grant needs it yet. Before granting partitions: ${fix}`,
  );
}

async function readerRoleChecks(
  info: Pick<LakeConnectionInfo, "catalog" | "readers" | "storage">,
  admin: Client,
  name: string,
  guard: GuardStatus | undefined,
  add: (component: string, check: string, ok: boolean, detail: string) => void,
): Promise<void> {
  const label = `reader ${name}`;
  const owner = guard?.catalogOwner ?? null,
    writer = guard?.catalogWriter ?? null;
  const role = (await admin.query(sqlFile("reader_role"), [name, READER_BASE_ROLE, owner, writer])).rows[0];
  if (!role) {
    add(label, "role", false, `no PostgreSQL role ${name}: run \`pulumi up\``);
    return;
  }
  const problems: string[] = [];
  if (!role.can_login) problems.push("cannot log in");
  if (role.superuser || role.bypass_rls) problems.push("bypasses row-level security (superuser or BYPASSRLS): sees the whole catalog");
  if (role.can_create) problems.push("may create roles or databases");
  if (!role.base_role_exists) problems.push(`role ${READER_BASE_ROLE} is missing`);
  else if (!role.in_base_role) problems.push(`not a member of ${READER_BASE_ROLE}`);
  // Policies and ownership apply to members: such a reader sees every catalog row, whatever its grants.
  for (const [member, of, what] of [
    [role.member_of_owner, owner, "the catalog owner (owns every catalog table)"],
    [role.member_of_writer, writer, "the catalog writer (its write policy shows every catalog row)"],
  ] as const)
    if (member && of)
      problems.push(`member of ${what}: sees the whole catalog; as the admin: REVOKE ${quoteIdent(of)} FROM ${quoteIdent(name)};`);
  add(label, "role", problems.length === 0, problems.length === 0 ? `login role, member of ${READER_BASE_ROLE}` : problems.join("; "));
  const reader = info.readers.find((r) => r.name === name)!;
  // A key of the bucket owner's project can only be confined by Deny statements (the storage guard's
  // fallback); say so, since such a key can also replace the bucket policy elsewhere.
  add(
    label,
    "S3 key",
    true,
    reader.s3.projectId === info.storage.adminProjectId
      ? `key ${reader.s3.accessKey} is from the bucket owner's project ${reader.s3.projectId}: confined only by Deny statements; prefer a separate project`
      : `key ${reader.s3.accessKey} of project ${reader.s3.projectId}`,
  );
  try {
    const c = await connectCatalog(readerCatalogConnection(info, reader), info.catalog.schema, "status");
    let jit: string;
    try {
      jit = (await c.query<{ jit: string }>("SELECT current_setting('jit') AS jit")).rows[0].jit;
    } finally {
      await c.end();
    }
    add(label, "login", true, "its password works");
    // Measured: with jit on, row-level-security catalog queries go from milliseconds to seconds.
    add(
      label,
      "jit",
      jit === "off",
      jit === "off"
        ? "off in its sessions"
        : "on: the reader's catalog queries under row-level security get ~100x slower; ALTER DATABASE … SET jit = off (the guard does this as database owner)",
    );
  } catch (e) {
    add(label, "login", false, explainError(e));
  }
}

export function formatStatus(checks: StatusCheck[]): string {
  const bad = checks.filter((c) => !c.ok).length;
  return (
    `${formatTable(
      ["component", "check", "state", "detail"],
      checks.map((c) => [c.component, c.check, c.ok ? "ok" : "PROBLEM", c.detail]),
    )}\n` + (bad === 0 ? `status: healthy (${checks.length} checks)` : `status: UNHEALTHY — ${bad} problem(s)`)
  );
}

const USAGE = "usage: npm run status -- [--stack <s> | --from <file>] [--json]";

export async function main(argv: string[]): Promise<number> {
  return runReportCommand(argv, USAGE, lakeStatus, {
    good: (checks) => checks.every((c) => c.ok),
    json: (checks) => ({ healthy: checks.every((c) => c.ok), checks }),
    text: formatStatus,
  });
}

if (require.main === module) runMain(() => main(process.argv.slice(2)));
