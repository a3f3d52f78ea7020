// The catalog guard as plain TypeScript over a connected node-postgres client: install/upgrade the SQL
// migrations, manage the ACL through the guard's own SQL functions, inspect the installed state.
// Used by the dynamic providers (inside their functions), the CLIs and the tests. Values always travel as
// query parameters; the only identifiers here are fixed guard names.
import type { Client, ClientBase } from "pg";
import { GUARD_SCHEMA, DEFAULT_CATALOG_SCHEMA, lakeNameProblem, quoteIdent, readerNameProblem } from "../model/names";
import { loadMigrations, GuardMigration } from "../postgres/sqlFiles";
import type { PartitionTransform, RowFilterKey } from "../model/accessSpec";
import { canonicalRows } from "../model/rowFilter";

export type { GuardMigration };

export interface InstallResult {
  /** Highest applied migration version after the call. */
  version: number;
  /** Names of the migrations applied by this call (empty when already up to date). */
  applied: string[];
}

export interface GuardStatus {
  installed: boolean;
  version: number | null;
  catalogSchema: string | null;
  catalogOwner?: string | null;
  /** Whether the event trigger granting new inlined tables is installed (needs a superuser). */
  eventTrigger?: boolean;
  /** The writer role given the write policy (setting catalog_writer), when recorded. */
  catalogWriter?: string | null;
  /** How new inlined tables get granted, as the guard recorded it: "commit_trigger", "commit_trigger,event_trigger", … (null before the commit trigger migration). */
  inlinedGrants?: string | null;
}

export interface GuardGrant {
  reader: string;
  schema: string;
  /** null = the whole schema, including tables created later. */
  table: string | null;
  /** Partition grant (sql/007): only the rows in these partitions; absent for table and schema grants. */
  rows?: RowFilterKey[];
}

export interface GuardGrantDetail extends GuardGrant {
  schemaId: number;
  tableId: number | null;
  /** What the pinned ids are called now (null when dropped). */
  currentSchema: string | null;
  currentTable: string | null;
  status: "active" | "renamed" | "dropped" | "role missing";
}

type Queryable = Pick<ClientBase, "query">;

/** sha256 of a migration file's text as recorded in ducklake_guard.migration (CRLF read as LF, so a checkout's line endings do not count as a change). */
export function migrationSha256(sql: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required inside the function: Pulumi serializes dynamic providers
  const { createHash } = require("crypto") as typeof import("crypto");
  return createHash("sha256").update(sql.replace(/\r\n/g, "\n"), "utf8").digest("hex");
}

/**
 * Migrations in `news` whose text differs from the same version in `olds` (both as given to the installer):
 * a message per file saying it changed. Lets `pulumi preview` refuse an edited, already applied migration.
 */
export function changedMigrationProblems(olds: GuardMigration[], news: GuardMigration[]): string[] {
  const before = new Map(olds.map((m) => [m.version, m]));
  return news
    .filter((m) => before.has(m.version) && migrationSha256(before.get(m.version)!.sql) !== migrationSha256(m.sql))
    .map((m) => changedMigrationMessage(m.name, "the previous deployment"));
}

function changedMigrationMessage(name: string, where: string): string {
  return (
    `sql/${name}.sql differs from the file applied by ${where}; applied migrations are immutable: ` +
    `restore sql/${name}.sql as released (e.g. git checkout -- sql/${name}.sql) and put the change in a new migration`
  );
}

/** Problem with a catalog schema name, or undefined. */
export function catalogSchemaProblem(name: unknown): string | undefined {
  const p = lakeNameProblem(name);
  return p ? `catalogSchema ${p}` : undefined;
}

/** Problems with a grant's names (readers are role names; schema/table are DuckLake names). */
export function grantProblems(g: { reader?: unknown; schema?: unknown; table?: unknown }): string[] {
  const problems: string[] = [];
  const r = readerNameProblem(g.reader);
  if (r) problems.push(`reader: ${r}`);
  const s = lakeNameProblem(g.schema);
  if (s) problems.push(`schema: ${s}`);
  if (g.table !== undefined && g.table !== null) {
    const t = lakeNameProblem(g.table);
    if (t) problems.push(`table: ${t}`);
  }
  return problems;
}

function assertGrant(g: GuardGrant | { reader: string; schema: string; table?: string | null }): void {
  const problems = grantProblems(g);
  if (problems.length) throw new Error(`invalid grant: ${problems.join("; ")}`);
}

/** Installed version, catalog schema and owner; `installed: false` on a database without the guard. */
export async function guardStatus(client: Queryable): Promise<GuardStatus> {
  const exists = await client.query("SELECT to_regclass($1) IS NOT NULL AS ok", [`${GUARD_SCHEMA}.migration`]);
  if (!exists.rows[0].ok)
    return {
      installed: false,
      version: null,
      catalogSchema: null,
      catalogOwner: null,
      eventTrigger: false,
      catalogWriter: null,
      inlinedGrants: null,
    };
  const v = await client.query(`SELECT max(version)::int AS v FROM ${GUARD_SCHEMA}.migration`);
  const s = await client.query(`SELECT key, value FROM ${GUARD_SCHEMA}.setting`);
  const settings = new Map<string, string>(s.rows.map((r) => [r.key, r.value]));
  return {
    installed: true,
    version: v.rows[0].v ?? null,
    catalogSchema: settings.get("catalog_schema") ?? null,
    catalogOwner: settings.get("catalog_owner") ?? null,
    eventTrigger: settings.get("event_trigger") === "installed",
    catalogWriter: settings.get("catalog_writer") ?? null,
    inlinedGrants: settings.get("inlined_grants") ?? null,
  };
}

/**
 * A superuser session touches an installed guard only as its owner. Every guard object (the setting and
 * migration tables, the guard functions) belongs to the catalog owner, who could replace one with code that
 * runs as whoever calls it — a superuser reading `ducklake_guard.setting` or calling an owner-owned function
 * would run the owner's code with superuser rights. So a superuser first becomes the owner of the
 * ducklake_guard schema (read from pg_catalog only); migration files, which need superuser for their event
 * triggers, reset the role themselves (installGuard). A no-op for other sessions and before the install.
 */
export async function actAsGuardOwner(client: Queryable): Promise<void> {
  const { rows } = await client.query(
    `SELECT pg_catalog.pg_get_userbyid(n.nspowner)::text AS owner
       FROM pg_catalog.pg_namespace n
      WHERE n.nspname = 'ducklake_guard' AND (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)
        AND n.nspowner <> (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)`,
  );
  if (rows.length) await client.query("SELECT pg_catalog.set_config('role', $1, false)", [rows[0].owner]);
}

/** Who is installing and what the managed (non-superuser) shape needs, as installGuard probes it. */
export interface InstallerShape {
  user: string;
  superuser: boolean;
  /** The catalog owner the guard is (or will be) owned by. */
  owner: string;
  /** The installing login may act as the owner (is it, or a member of it). */
  actsAsOwner: boolean;
  /** ducklake_reader: missing, present but the owner lacks ADMIN OPTION on it, or usable. */
  readerRole: "missing" | "no admin" | "ok";
  /** The guard is installed already (001 applied): ducklake_reader exists and is administered by then. */
  installed: boolean;
}

/** Why the guard cannot be installed by this login without a superuser (a message naming the fix), or undefined. */
export function installerProblem(s: InstallerShape): string | undefined {
  if (s.superuser) return undefined;
  const owner = quoteIdent(s.owner);
  if (!s.actsAsOwner)
    return (
      `cannot install the catalog guard as "${s.user}": it is neither a superuser nor the catalog owner "${s.owner}" nor a member of it; ` +
      `as a role with CREATEROLE run GRANT ${owner} TO ${quoteIdent(s.user)}; or install as the owner's login`
    );
  if (s.installed) return undefined;
  if (s.readerRole === "missing")
    return (
      `role ducklake_reader does not exist and the catalog owner "${s.owner}" cannot create it (no CREATEROLE); ` +
      `as the admin login (CREATEROLE) run once per server: CREATE ROLE ducklake_reader NOLOGIN NOINHERIT; GRANT ducklake_reader TO ${owner} WITH ADMIN OPTION;`
    );
  if (s.readerRole === "no admin")
    return (
      `the catalog owner "${s.owner}" lacks ADMIN OPTION on role ducklake_reader (it enrols readers in it); ` +
      `as the admin login (CREATEROLE) run: GRANT ducklake_reader TO ${owner} WITH ADMIN OPTION;`
    );
  return undefined;
}

/** Probes the installing session: superuser?, the catalog owner (as 001 determines it), membership, ducklake_reader. */
export async function installerShape(client: Queryable, catalogSchema: string, catalogOwner?: string): Promise<InstallerShape> {
  // Readable without any right on the guard: an installed guard's schema belongs to the catalog owner.
  const { rows } = await client.query(
    `WITH o AS (
       SELECT coalesce((SELECT pg_get_userbyid(n.nspowner)::text FROM pg_namespace n WHERE n.nspname = 'ducklake_guard'), $2::text,
                (SELECT pg_get_userbyid(c.relowner)::text FROM pg_class c
                  WHERE c.relnamespace = to_regnamespace(quote_ident($1::text)) AND c.relname = 'ducklake_metadata'),
                (SELECT pg_get_userbyid(d.datdba)::text FROM pg_database d WHERE d.datname = current_database())) AS owner)
     SELECT current_user::text AS "user", (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser, o.owner,
            (o.owner = current_user OR (EXISTS (SELECT FROM pg_roles WHERE rolname = o.owner) AND pg_has_role(current_user, o.owner, 'MEMBER'))) AS acts_as_owner,
            CASE WHEN NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ducklake_reader') THEN 'missing'
                 WHEN NOT EXISTS (SELECT FROM pg_roles WHERE rolname = o.owner) THEN 'no admin'
                 WHEN pg_has_role(o.owner, 'ducklake_reader', 'USAGE WITH ADMIN OPTION')
                   OR (SELECT rolsuper FROM pg_roles WHERE rolname = o.owner) THEN 'ok'
                 ELSE 'no admin' END AS reader_role,
            to_regnamespace('ducklake_guard') IS NOT NULL AS installed
       FROM o`,
    [catalogSchema, catalogOwner ?? null],
  );
  const r = rows[0];
  return {
    user: r.user,
    superuser: r.superuser === true,
    owner: r.owner,
    actsAsOwner: r.acts_as_owner === true,
    readerRole: r.reader_role,
    installed: r.installed === true,
  };
}

/**
 * Applies the migrations not yet recorded, in order (idempotent; concurrent installers serialize on an
 * advisory lock inside each file). Run as a superuser (objects end up owned by the catalog owner), as
 * the catalog owner, or — the managed shape, no superuser anywhere — as an admin login that is a member of
 * the owner (the files then run under SET ROLE <owner>); without a superuser the event trigger of 004 is
 * skipped with a warning and ducklake_reader must exist with ADMIN OPTION for the owner (installerProblem).
 * `catalogWriter`: the writer role that gets the guard's write policy (needs no BYPASSRLS then).
 */
export async function installGuard(
  client: Client,
  opts: { catalogSchema?: string; catalogOwner?: string; catalogWriter?: string; migrations?: GuardMigration[] } = {},
): Promise<InstallResult> {
  const catalogSchema = opts.catalogSchema ?? DEFAULT_CATALOG_SCHEMA;
  const problem = catalogSchemaProblem(catalogSchema);
  if (problem) throw new Error(problem);
  const migrations = opts.migrations ?? loadMigrations();
  const shape = await installerShape(client, catalogSchema, opts.catalogOwner);
  const shapeProblem = installerProblem(shape);
  if (shapeProblem) throw new Error(shapeProblem);
  await actAsGuardOwner(client);
  const before = await guardStatus(client);
  if (before.installed && before.catalogSchema !== catalogSchema)
    throw new Error(
      `the guard in this database protects catalog schema "${before.catalogSchema}", not "${catalogSchema}"; ` +
        `use catalogSchema "${before.catalogSchema}" (one guard per database)`,
    );
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  if (before.version !== null && before.version > latest)
    throw new Error(
      `the database has guard version ${before.version}, newer than this program's ${latest}; upgrade the program instead of downgrading the guard`,
    );
  if (opts.catalogWriter !== undefined) {
    const p = catalogWriterProblem(opts.catalogWriter);
    if (p) throw new Error(p);
  }
  // A non-superuser admin acts as the owner; 004 and 006 RESET ROLE inside, so it is set again before each file.
  // A superuser runs the files as itself (004 and 007 create event triggers) and everything else as the owner.
  const asOwner = async () => {
    if (!shape.superuser && shape.user !== shape.owner) await client.query("SELECT set_config('role', $1, false)", [shape.owner]);
    else if (shape.superuser) await actAsGuardOwner(client);
  };
  const forFile = async () => {
    if (shape.superuser) await client.query("RESET ROLE");
    else await asOwner();
  };
  // Parameters for the files, as a DBA would pass them with PGOPTIONS; session-level, reset afterwards.
  await client.query("SELECT set_config('ducklake_guard.catalog_schema', $1, false)", [catalogSchema]);
  await client.query("SELECT set_config('ducklake_guard.catalog_owner', $1, false)", [opts.catalogOwner ?? ""]);
  await client.query("SELECT set_config('ducklake_guard.catalog_writer', $1, false)", [opts.catalogWriter ?? ""]);
  await refuseChangedMigrations(client, migrations);
  const applied: string[] = [];
  try {
    for (const m of migrations) {
      await asOwner();
      const current = await guardStatus(client);
      if (current.version !== null && current.version >= m.version) continue;
      await forFile();
      try {
        await client.query(m.sql); // each file is its own BEGIN … COMMIT
      } catch (e) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw new Error(`guard migration ${m.name} failed: ${(e as Error).message}`);
      }
      applied.push(m.name);
    }
    await asOwner();
    await recordMigrationHashes(client, migrations);
    // A writer named after the migration ran (an upgraded VPS stack, a changed writer): record it and re-apply the policies.
    if (opts.catalogWriter && (await hasFunction(client, "set_catalog_writer(name)"))) {
      await asOwner();
      await client.query(`SELECT ${GUARD_SCHEMA}.set_catalog_writer($1)`, [opts.catalogWriter]);
    }
  } finally {
    await client.query(
      "RESET ducklake_guard.catalog_schema; RESET ducklake_guard.catalog_owner; RESET ducklake_guard.catalog_writer; RESET ROLE",
    );
  }
  await actAsGuardOwner(client);
  const after = await guardStatus(client);
  await client.query("RESET ROLE");
  return { version: after.version ?? 0, applied };
}

/** Whether the installed guard has the function `signature` (e.g. "protect_all()"): a feature test, not a version number. */
export async function hasFunction(client: Queryable, signature: string): Promise<boolean> {
  const { rows } = await client.query("SELECT to_regprocedure($1) IS NOT NULL AS ok", [`${GUARD_SCHEMA}.${signature}`]);
  return rows[0].ok === true;
}

/**
 * Catalog tables (and guard triggers) that `protect_all()` would repair: catalog tables DuckLake created after the
 * guard was installed have no policy until it runs (without an event trigger, i.e. without superuser). Empty on a
 * guard without ducklake_guard.unprotected_catalog_tables() (older than the external-catalog migration).
 */
export async function unprotectedCatalogTables(client: Queryable): Promise<Array<{ table: string; problem: string }>> {
  if (!(await hasFunction(client, "unprotected_catalog_tables()"))) return [];
  const { rows } = await client.query(`SELECT table_name, problem FROM ${GUARD_SCHEMA}.unprotected_catalog_tables() ORDER BY 1, 2`);
  return rows.map((r) => ({ table: r.table_name, problem: r.problem }));
}

/** Problem with a writer role name, or undefined (a value: the writer is usually ducklake_writer, reserved for readers). */
export function catalogWriterProblem(name: unknown): string | undefined {
  const p = lakeNameProblem(name);
  return p ? `catalogWriter ${p}` : undefined;
}

/** Protects every catalog table that exists now (policies, grants, triggers, resync); returns how many tables. SECURITY DEFINER: the owner or a member of it. */
export async function protectAll(client: Queryable): Promise<number> {
  const { rows } = await client.query(`SELECT ${GUARD_SCHEMA}.protect_all() AS n`);
  return Number(rows[0].n);
}

async function hasMigrationHashes(client: Queryable): Promise<boolean> {
  const { rows } =
    await client.query(`SELECT EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('${GUARD_SCHEMA}.migration')
    AND attname = 'sha256' AND NOT attisdropped) AS ok`);
  return rows[0].ok === true;
}

/** Refuses to install over an applied migration whose file changed since (hashes recorded from 006 on). */
async function refuseChangedMigrations(client: Queryable, migrations: GuardMigration[]): Promise<void> {
  if (!(await hasMigrationHashes(client))) return;
  const { rows } = await client.query(
    `SELECT version, name, sha256 FROM ${GUARD_SCHEMA}.migration WHERE sha256 IS NOT NULL ORDER BY version`,
  );
  for (const r of rows) {
    const m = migrations.find((x) => x.version === r.version);
    if (!m) continue; // newer than this program: installGuard refuses with its own message
    if (m.name !== r.name)
      throw new Error(
        `guard migration ${r.version} was applied as sql/${r.name}.sql, but this program has sql/${m.name}.sql; ` +
          "applied migrations are immutable: restore the released file and put changes in a new migration",
      );
    if (migrationSha256(m.sql) !== r.sha256)
      throw new Error(
        changedMigrationMessage(
          m.name,
          `this database (recorded sha256 ${String(r.sha256).slice(0, 12)}…, file ${migrationSha256(m.sql).slice(0, 12)}…)`,
        ),
      );
  }
}

/** Records the hash of every applied migration that has none yet (the files as given: first install, or 001-005 on the upgrade to 006). */
async function recordMigrationHashes(client: Queryable, migrations: GuardMigration[]): Promise<void> {
  if (!(await hasMigrationHashes(client))) return;
  await client.query(
    `UPDATE ${GUARD_SCHEMA}.migration m SET sha256 = f.sha256 FROM unnest($1::int[], $2::text[], $3::text[]) AS f(version, name, sha256)
    WHERE m.version = f.version AND m.name = f.name AND m.sha256 IS NULL`,
    [migrations.map((m) => m.version), migrations.map((m) => m.name), migrations.map((m) => migrationSha256(m.sql))],
  );
}

/** Grants `reader` one table, or the whole schema when `table` is null/omitted. Idempotent. */
export async function grantRead(client: Queryable, g: { reader: string; schema: string; table?: string | null }): Promise<boolean> {
  assertGrant(g);
  // Literal guard name: the dynamic providers serialize this function (their tests look for the call in its text).
  const { rows } = await client.query("SELECT ducklake_guard.grant_read($1, $2, $3) AS changed", [g.reader, g.schema, g.table ?? null]);
  return rows[0].changed === true;
}

/** Removes one grant; false when it did not exist. Effective from the reader's next statement. */
export async function revokeRead(client: Queryable, g: { reader: string; schema: string; table?: string | null }): Promise<boolean> {
  const { rows } = await client.query("SELECT ducklake_guard.revoke_read($1, $2, $3) AS revoked", [g.reader, g.schema, g.table ?? null]);
  return rows[0].revoked === true;
}

/** The guard version that brings partition grants (grant_rows, revoke_rows, list_grants.rows). */
export const PARTITION_GRANTS_VERSION = 7;

/** A partition grant as the guard's SQL API takes it: the table and its row filter (RowFilterKey; `key` optional). */
export interface RowGrant {
  reader: string;
  schema: string;
  table: string;
  rows: ReadonlyArray<Pick<RowFilterKey, "column" | "transform" | "values"> & { key?: string }>;
}

/** The guard's `p_filter`: [{column, transform, values}] (order does not matter; the guard canonicalizes it). */
export function rowFilterJson(rows: RowGrant["rows"]): string {
  return JSON.stringify(rows.map((k) => ({ column: k.column, transform: k.transform, values: k.values })));
}

function assertRowGrant(g: RowGrant): void {
  const problems = grantProblems(g);
  if (typeof g.table !== "string" || g.table === "") problems.push("table: a partition grant needs a table");
  if (!Array.isArray(g.rows) || g.rows.length === 0) problems.push("rows: at least one partition key");
  if (problems.length) throw new Error(`invalid partition grant: ${problems.join("; ")}`);
}

/**
 * Grants `reader` the rows of one table whose partition keys take the listed values (sql/007 grant_rows; the guard
 * checks the keys against the table's current partitioning). Idempotent; true when the ACL changed.
 */
export async function grantRows(client: Queryable, g: RowGrant): Promise<boolean> {
  assertRowGrant(g);
  const { rows } = await client.query("SELECT ducklake_guard.grant_rows($1, $2, $3, $4::jsonb) AS changed", [
    g.reader,
    g.schema,
    g.table,
    rowFilterJson(g.rows),
  ]);
  return rows[0].changed === true;
}

/** Removes one partition grant (same filter, any order); false when it did not exist. */
export async function revokeRows(client: Queryable, g: RowGrant): Promise<boolean> {
  const { rows } = await client.query("SELECT ducklake_guard.revoke_rows($1, $2, $3, $4::jsonb) AS revoked", [
    g.reader,
    g.schema,
    g.table,
    rowFilterJson(g.rows),
  ]);
  return rows[0].revoked === true;
}

/**
 * list_grants' rows column (jsonb; NULL for table/schema grants, absent before sql/007) as RowFilterKey in
 * model/rowFilter's canonical order, the key written like access.ts (`region`, `year(ts)`, `month("paid at")`),
 * so live entries compare equal to declared ones.
 */
export function parseGuardRows(json: unknown): RowFilterKey[] | undefined {
  if (json === null || json === undefined) return undefined;
  const list = (typeof json === "string" ? JSON.parse(json) : json) as {
    column: string;
    transform: PartitionTransform;
    values: (string | null)[];
  }[];
  return Array.isArray(list) && list.length ? canonicalRows(list) : undefined;
}

/** The ACL with what each pinned grant points at now (partition grants carry `rows`). */
export async function listGrantDetails(client: Queryable, reader?: string): Promise<GuardGrantDetail[]> {
  const { rows } = await client.query(`SELECT * FROM ${GUARD_SCHEMA}.list_grants($1)`, [reader ?? null]);
  return rows.map((r) => {
    const filter = parseGuardRows(r.rows);
    return {
      reader: r.reader,
      schema: r.schema_name,
      table: r.table_name ?? null,
      ...(filter ? { rows: filter } : {}),
      schemaId: Number(r.schema_id),
      tableId: r.table_id === null ? null : Number(r.table_id),
      currentSchema: r.current_schema_name ?? null,
      currentTable: r.current_table_name ?? null,
      status: r.status,
    };
  });
}

/** The ACL as (reader, schema, table[, rows]) entries, ordered by reader, schema, table (schema grants first). */
export async function listGrants(client: Queryable, reader?: string): Promise<GuardGrant[]> {
  return (await listGrantDetails(client, reader)).map(({ reader: r, schema, table, rows }) => ({
    reader: r,
    schema,
    table,
    ...(rows ? { rows } : {}),
  }));
}

/** Same filter, whatever the order of keys and values (the guard stores the canonical form). */
function sameRows(a: RowGrant["rows"] | undefined, b: RowGrant["rows"] | undefined): boolean {
  if (!a || !b) return !a && !b;
  const canon = (rows: RowGrant["rows"]) =>
    rows
      .map((k) => JSON.stringify([k.column, k.transform, [...k.values].map((v) => (v === null ? "\u0000null" : v)).sort()]))
      .sort()
      .join("\n");
  return canon(a) === canon(b);
}

/** One grant with its status, or undefined when it is not in the ACL (what `pulumi refresh` reads); `rows` picks a partition grant. */
export async function findGrant(client: Queryable, g: GuardGrant): Promise<GuardGrantDetail | undefined> {
  return (await listGrantDetails(client, g.reader)).find(
    (d) => d.schema === g.schema && d.table === (g.table ?? null) && sameRows(d.rows, g.rows),
  );
}

/** Whether a DuckLake table (current snapshot) exists: lets `check` fail a grant at preview time. */
export async function catalogObjectExists(
  client: Queryable,
  catalogSchema: string,
  schema: string,
  table?: string | null,
): Promise<boolean> {
  const reg = await client.query("SELECT to_regclass(format('%I.%I', $1::text, 'ducklake_table'::text)) IS NOT NULL AS ok", [
    catalogSchema,
  ]);
  if (!reg.rows[0].ok) return false;
  const q = client.query.bind(client);
  const schemaRows = await q(
    "SELECT 1 FROM " + `${quoteCatalog(catalogSchema)}.ducklake_schema WHERE schema_name = $1 AND end_snapshot IS NULL`,
    [schema],
  );
  if (!schemaRows.rows.length || table === undefined || table === null) return schemaRows.rows.length > 0;
  const t = await q(
    `SELECT 1 FROM ${quoteCatalog(catalogSchema)}.ducklake_table t JOIN ${quoteCatalog(catalogSchema)}.ducklake_schema s USING (schema_id)
    WHERE s.schema_name = $1 AND t.table_name = $2 AND s.end_snapshot IS NULL AND t.end_snapshot IS NULL`,
    [schema, table],
  );
  return t.rows.length > 0;
}

/** Rebuilds resolved ids and inlined-table grants from the ACL (repair; owner only). */
export async function resyncGuard(client: Queryable): Promise<void> {
  await client.query(`SELECT ${GUARD_SCHEMA}.resync()`);
}

function quoteCatalog(name: string): string {
  const p = catalogSchemaProblem(name);
  if (p) throw new Error(p);
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Removes the guard, failing closed: readers lose SELECT on the catalog first, then the guard schema
 * (ACL, ids, policies that depend on them) and the event trigger go. RLS stays enabled on the catalog
 * tables, so any role other than the owner sees nothing until a guard is installed again.
 */
export async function uninstallGuard(client: Client): Promise<boolean> {
  const status = await guardStatus(client);
  if (!status.installed) return false;
  const schema = status.catalogSchema!;
  const shape = await installerShape(client, schema);
  await client.query("BEGIN");
  try {
    // The managed shape: an admin that is a member of the owner acts as it (it granted the readers' SELECT).
    if (!shape.superuser && shape.user !== shape.owner && shape.actsAsOwner)
      await client.query("SELECT set_config('role', $1, true)", [shape.owner]);
    const tables = await client.query(
      `SELECT c.relname FROM pg_class c WHERE c.relnamespace = to_regnamespace(quote_ident($1)) AND c.relkind = 'r'
      AND (c.relname IN (SELECT table_name FROM ${GUARD_SCHEMA}.catalog_rule) OR c.relname ~ '^ducklake_inlined_(data|delete)_')`,
      [schema],
    );
    const readers = await client.query("SELECT DISTINCT reader FROM ducklake_guard.acl");
    for (const t of tables.rows) {
      const target = `${quoteCatalog(schema)}.${quoteCatalog(t.relname)}`;
      await client.query(`REVOKE ALL ON ${target} FROM ducklake_reader`);
      for (const r of readers.rows) await client.query(`REVOKE ALL ON ${target} FROM ${quoteCatalog(r.reader)}`).catch(() => undefined);
    }
    // The write policy depends on nothing of the guard (USING true), so DROP SCHEMA … CASCADE would leave it: the
    // writer keeps its access, every other role sees nothing (RLS stays on).
    const writePolicies = await client.query(
      `SELECT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
      WHERE c.relnamespace = to_regnamespace(quote_ident($1)) AND p.polname = 'ducklake_guard_write'`,
      [schema],
    );
    for (const t of writePolicies.rows)
      await client.query(`DROP POLICY ducklake_guard_write ON ${quoteCatalog(schema)}.${quoteCatalog(t.relname)}`);
    const snapshot = await client.query("SELECT to_regclass(format('%I.ducklake_snapshot', $1::text)) IS NOT NULL AS ok", [schema]);
    if (snapshot.rows[0].ok)
      await client.query(`DROP TRIGGER IF EXISTS ducklake_guard_snapshot_at_commit ON ${quoteCatalog(schema)}.ducklake_snapshot`);
    // Only a superuser may drop an event trigger, and only one can have made it.
    if ((await client.query("SELECT 1 FROM pg_event_trigger WHERE evtname = 'ducklake_guard_create_table'")).rows.length)
      await client.query("DROP EVENT TRIGGER ducklake_guard_create_table");
    await client.query(`DROP SCHEMA ${GUARD_SCHEMA} CASCADE`);
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK");
    throw e;
  }
  return true;
}

// ---- The ACL change log (sql/005) ------------------------------------------------------------------------

/** The guard version that brings ducklake_guard.acl_log. */
export const ACL_LOG_VERSION = 5;

/** One change of one ACL entry, as ducklake_guard.acl_log recorded it. */
export interface AclLogEntry {
  id: number;
  at: Date;
  /** 'baseline': the entry existed when the log was installed (granted_at/granted_by say what is known). */
  action: "grant" | "revoke" | "update" | "baseline";
  reader: string;
  readerOid: number;
  schema: string;
  /** null = the whole schema. */
  table: string | null;
  schemaId: number;
  tableId: number | null;
  grantedAt: Date | null;
  grantedBy: string | null;
  /** The filter of a partition grant (sql/007); null for table and schema grants. */
  rows?: RowFilterKey[] | null;
  /** The whole entry before an update (acl column names); null for other actions. */
  previous: Record<string, unknown> | null;
  /** Transaction id (xid8, as text): changes made together share it. */
  txid: string;
  /** The login role of the session, and the role in effect (the catalog owner inside grant_read/revoke_read). */
  sessionUser: string;
  currentUser: string;
  applicationName: string | null;
  /** null for a Unix-socket session. */
  clientAddr: string | null;
  /** With txid, finds the session in PostgreSQL's own log (log_line_prefix %p, and %x = txid modulo 2^32). */
  backendPid: number;
}

export interface AclLogFilter {
  /** Only this role's entries. */
  reader?: string;
  /** Only entries of this DuckLake schema (as granted). */
  schema?: string;
  /** With `schema`: entries naming this table, and whole-schema entries (they cover it too). */
  table?: string;
  /** Only changes at or after this moment. */
  since?: Date;
  /** At most this many rows, the newest ones (default 100, at most 100,000); returned oldest first. */
  limit?: number;
}

/** Problems with an ACL-log filter (values travel as parameters; this catches mistakes early). */
export function aclLogFilterProblems(f: AclLogFilter): string[] {
  const problems: string[] = [];
  if (f.reader !== undefined) {
    const p = lakeNameProblem(f.reader);
    if (p) problems.push(`reader ${p}`);
  }
  if (f.schema !== undefined) {
    const p = lakeNameProblem(f.schema);
    if (p) problems.push(`schema ${p}`);
  }
  if (f.table !== undefined) {
    const p = lakeNameProblem(f.table);
    if (p) problems.push(`table ${p}`);
    if (f.schema === undefined) problems.push("table needs a schema too: pass the schema the table is in");
  }
  if (f.since !== undefined && (!(f.since instanceof Date) || Number.isNaN(f.since.getTime())))
    problems.push("since is not a valid date: pass an ISO 8601 time such as 2025-01-31T00:00:00Z");
  if (f.limit !== undefined && (!Number.isInteger(f.limit) || f.limit < 1 || f.limit > 100_000))
    problems.push(`limit must be a whole number from 1 to 100000, got ${f.limit}`);
  return problems;
}

/**
 * The newest changes of the ACL matching `filter`, oldest first (owner only: readers are refused). Fails
 * with a message naming the fix when the installed guard predates the log.
 */
export async function readAclLog(client: Queryable, filter: AclLogFilter = {}): Promise<AclLogEntry[]> {
  const problems = aclLogFilterProblems(filter);
  if (problems.length) throw new Error(`invalid ACL log filter: ${problems.join("; ")}`);
  const status = await guardStatus(client);
  if (!status.installed)
    throw new Error("the catalog guard is not installed in this database, so there is no ACL change log; run `pulumi up` to install it");
  if ((status.version ?? 0) < ACL_LOG_VERSION)
    throw new Error(
      `the catalog guard here is version ${status.version}; the ACL change log comes with version ${ACL_LOG_VERSION}: run \`pulumi up\` to upgrade the guard`,
    );
  const { rows } = await client.query(
    `SELECT * FROM (
      SELECT l.*, l.txid::text AS txid_text, host(l.client_addr) AS client_host FROM ${GUARD_SCHEMA}.acl_log l
       WHERE ($1::text IS NULL OR l.reader = $1::text) AND ($2::text IS NULL OR l.schema_name = $2::text)
         AND ($3::text IS NULL OR l.table_name = $3::text OR l.table_name IS NULL) AND ($4::timestamptz IS NULL OR l.at >= $4::timestamptz)
       ORDER BY l.id DESC LIMIT $5) newest ORDER BY id`,
    [filter.reader ?? null, filter.schema ?? null, filter.table ?? null, filter.since?.toISOString() ?? null, filter.limit ?? 100],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    action: r.action,
    reader: r.reader,
    readerOid: Number(r.reader_oid),
    schema: r.schema_name,
    table: r.table_name ?? null,
    schemaId: Number(r.schema_id),
    tableId: r.table_id === null ? null : Number(r.table_id),
    grantedAt: r.granted_at ?? null,
    grantedBy: r.granted_by ?? null,
    rows: parseGuardRows(r.rows) ?? null,
    previous: r.previous ?? null,
    txid: r.txid_text,
    sessionUser: r.session_user_name,
    currentUser: r.current_user_name,
    applicationName: r.application_name ?? null,
    clientAddr: r.client_host ?? null,
    backendPid: r.backend_pid,
  }));
}
