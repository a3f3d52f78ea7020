// The SQL terraform-provider-postgresql runs for the resource types this program registers, replayed over
// node-postgres so contract tests can run it against the real test PostgreSQL. Source: github.com/cyrilgdn/
// terraform-provider-postgresql at ff936b9548c1076f498523a2bd116915ff977142 (v1.26.0-3, the `upstream`
// submodule of pulumi/pulumi-postgresql that @pulumi/postgresql 3.18.1 bridges). Each function names the
// file and function it follows. Only the branches our inputs reach are replayed (superuser connection,
// PostgreSQL >= 13, no column grants, no foreign servers); identifiers are quoted as pq.QuoteIdentifier does.
import type { Client } from "pg";
import { quoteIdent } from "../../model/names";
import { inTransaction } from "../../postgres/connection";

/** Inputs as Pulumi records them for postgresql.Grant (camelCase). */
export interface GrantInputs {
  database: string;
  role: string;
  objectType: string;
  schema?: string;
  objects?: string[];
  privileges: string[];
  withGrantOption?: boolean;
}
export interface DefaultPrivilegesInputs {
  database: string;
  owner: string;
  role: string;
  objectType: string;
  schema?: string;
  privileges: string[];
  withGrantOption?: boolean;
}
export interface RoleInputs {
  name: string;
  login?: boolean;
  password?: string;
  bypassRowLevelSecurity?: boolean;
}
export interface DatabaseInputs {
  name: string;
  owner?: string;
  encoding?: string;
  template?: string;
}
export interface SchemaInputs {
  name: string;
  database: string;
  owner?: string;
}

/** relkind per object type: resource_postgresql_grant.go, var objectTypes. */
const RELKIND: Record<string, string> = { table: "r", sequence: "S" };
/** pg_default_acl.defaclobjtype per object type: resource_postgresql_default_privileges.go, objectTypes. */
const DEFACL_TYPE: Record<string, string> = { table: "r", sequence: "S", function: "f", type: "T", schema: "n" };

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();
const qi = quoteIdent;

/** helpers.go pgLockRole: transaction-scoped advisory lock on the role (and its members). */
async function lockRole(c: Client, role: string): Promise<void> {
  await c.query("SET statement_timeout = 0");
  await c.query("SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = $1", [role]);
  await c.query(
    "SELECT pg_advisory_xact_lock(member::bigint) FROM pg_auth_members JOIN pg_roles ON roleid = pg_roles.oid WHERE rolname = $1",
    [role],
  );
}

// ---- postgresql_grant (resource_postgresql_grant.go) ------------------------------------------------------

/** createRevokeQuery, for the object types we use (database, schema, table without `objects`). */
export function grantRevokeSql(g: GrantInputs): string {
  switch (g.objectType) {
    case "database":
      return `REVOKE ALL PRIVILEGES ON DATABASE ${qi(g.database)} FROM ${qi(g.role)}`;
    case "schema":
      return `REVOKE ALL PRIVILEGES ON SCHEMA ${qi(g.schema!)} FROM ${qi(g.role)}`;
    default:
      if ((g.objects ?? []).length) throw new Error("replay covers grants without `objects` only");
      return `REVOKE ALL PRIVILEGES ON ALL ${g.objectType.toUpperCase()}S IN SCHEMA ${qi(g.schema!)} FROM ${qi(g.role)}`;
  }
}

/** createGrantQuery. */
export function grantGrantSql(g: GrantInputs): string {
  const privs = g.privileges.join(",");
  const base =
    g.objectType === "database"
      ? `GRANT ${privs} ON DATABASE ${qi(g.database)} TO ${qi(g.role)}`
      : g.objectType === "schema"
        ? `GRANT ${privs} ON SCHEMA ${qi(g.schema!)} TO ${qi(g.role)}`
        : `GRANT ${privs} ON ALL ${g.objectType.toUpperCase()}S IN SCHEMA ${qi(g.schema!)} TO ${qi(g.role)}`;
  return g.withGrantOption ? `${base} WITH GRANT OPTION` : base;
}

/**
 * resourcePostgreSQLGrantCreateOrUpdate: one transaction on the grant's database — lock the role (and the
 * database for database grants), REVOKE ALL, GRANT — then read. `c` must be connected to g.database.
 */
export async function grantCreateOrUpdate(c: Client, g: GrantInputs): Promise<string[]> {
  await inTransaction(c, async () => {
    await lockRole(c, g.role);
    if (g.objectType === "database")
      await c.query("SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_database WHERE datname = $1", [g.database]);
    await c.query(grantRevokeSql(g));
    if (g.privileges.length) await c.query(grantGrantSql(g));
  });
  return grantRead(c, g);
}

/**
 * resourcePostgreSQLGrantRead → readRolePrivileges (readDatabaseRolePrivileges, readSchemaRolePrivileges,
 * and the default case for tables). Returns the `privileges` the plugin leaves in the state: the wanted set
 * when everything matches exactly, else the first object's differing set (which Pulumi shows as drift).
 */
export async function grantRead(c: Client, g: GrantInputs): Promise<string[]> {
  const wanted = sorted(g.privileges);
  const same = (got: string[]) => JSON.stringify(sorted(got)) === JSON.stringify(wanted);
  const {
    rows: [{ oid }],
  } = await c.query("SELECT oid FROM pg_roles WHERE rolname = $1", [g.role]);
  if (g.objectType === "database" || g.objectType === "schema") {
    const sql =
      g.objectType === "database"
        ? "SELECT array_agg(privilege_type) AS p FROM (SELECT (aclexplode(datacl)).* FROM pg_database WHERE datname=$1) as privileges WHERE grantee = $2"
        : "SELECT array_agg(privilege_type) AS p FROM (SELECT (aclexplode(nspacl)).* FROM pg_namespace WHERE nspname=$1) as privileges WHERE grantee = $2";
    const {
      rows: [{ p }],
    } = await c.query(sql, [g.objectType === "database" ? g.database : g.schema, oid]);
    const got: string[] = p ?? [];
    return same(got) ? wanted : sorted(got);
  }
  const { rows } = await c.query(
    `
SELECT pg_class.relname, array_remove(array_agg(privilege_type), NULL) AS p
FROM pg_class
JOIN pg_namespace ON pg_namespace.oid = pg_class.relnamespace
LEFT JOIN (
    SELECT acls.* FROM (
        SELECT relname, relnamespace, relkind, (aclexplode(relacl)).* FROM pg_class c
    ) as acls
    WHERE grantee=$1
) privs
USING (relname, relnamespace, relkind)
WHERE nspname = $2 AND relkind = $3
GROUP BY pg_class.relname`,
    [oid, g.schema, RELKIND[g.objectType]],
  );
  for (const r of rows) {
    if ((g.objects ?? []).length && !g.objects!.includes(r.relname)) continue;
    if (!same(r.p)) return sorted(r.p);
  }
  return wanted;
}

/** resourcePostgreSQLGrantDelete: lock, REVOKE ALL (createRevokeQuery), commit. */
export async function grantDelete(c: Client, g: GrantInputs): Promise<void> {
  await c.query("BEGIN");
  await lockRole(c, g.role);
  await c.query(grantRevokeSql(g));
  await c.query("COMMIT");
}

// ---- postgresql_default_privileges (resource_postgresql_default_privileges.go) ---------------------------

/** revokeRoleDefaultPrivileges. */
const defaultRevokeSql = (d: DefaultPrivilegesInputs) =>
  `ALTER DEFAULT PRIVILEGES FOR ROLE ${qi(d.owner)} ${d.schema ? `IN SCHEMA ${qi(d.schema)} ` : ""}REVOKE ALL ON ${d.objectType.toUpperCase()}S FROM ${qi(d.role)}`;
/** grantRoleDefaultPrivileges. */
const defaultGrantSql = (d: DefaultPrivilegesInputs) =>
  `ALTER DEFAULT PRIVILEGES FOR ROLE ${qi(d.owner)} ${d.schema ? `IN SCHEMA ${qi(d.schema)} ` : ""}GRANT ${d.privileges.join(",")} ON ${d.objectType.toUpperCase()}S TO ${qi(d.role)}${d.withGrantOption ? " WITH GRANT OPTION" : ""}`;

/** resourcePostgreSQLDefaultPrivilegesCreate: lock owner, revoke, grant, commit; then read. */
export async function defaultPrivilegesCreate(c: Client, d: DefaultPrivilegesInputs): Promise<string[]> {
  await inTransaction(c, async () => {
    await lockRole(c, d.owner);
    await c.query(defaultRevokeSql(d));
    await c.query(defaultGrantSql(d));
  });
  return defaultPrivilegesRead(c, d);
}

/** readRoleDefaultPrivileges (schema branch): the privilege set the state gets. */
export async function defaultPrivilegesRead(c: Client, d: DefaultPrivilegesInputs): Promise<string[]> {
  const {
    rows: [{ oid }],
  } = await c.query("SELECT oid FROM pg_roles WHERE rolname = $1", [d.role]);
  const {
    rows: [{ p }],
  } = await c.query(
    `SELECT array_agg(prtype) AS p FROM (
		SELECT defaclnamespace, (aclexplode(defaclacl)).* FROM pg_default_acl
		WHERE defaclobjtype = $3
	) AS t (namespace, grantor_oid, grantee_oid, prtype, grantable)
	JOIN pg_namespace ON pg_namespace.oid = namespace
	WHERE grantee_oid = $1 AND nspname = $2 AND pg_get_userbyid(grantor_oid) = $4`,
    [oid, d.schema, DEFACL_TYPE[d.objectType], d.owner],
  );
  return sorted(p ?? []);
}

/** resourcePostgreSQLDefaultPrivilegesDelete. */
export async function defaultPrivilegesDelete(c: Client, d: DefaultPrivilegesInputs): Promise<void> {
  await c.query("BEGIN");
  await lockRole(c, d.owner);
  await c.query(defaultRevokeSql(d));
  await c.query("COMMIT");
}

// ---- postgresql_role (resource_postgresql_role.go) --------------------------------------------------------

/**
 * resourcePostgreSQLRoleCreate for our attributes, options in the plugin's order: string options (ENCRYPTED
 * PASSWORD, VALID UNTIL 'infinity'), CONNECTION LIMIT, then every boolean option spelled out.
 */
export async function roleCreate(c: Client, r: RoleInputs): Promise<void> {
  const opts = [
    ...(r.password ? ["ENCRYPTED", `PASSWORD '${r.password.replace(/'/g, "''")}'`] : []),
    "VALID UNTIL 'infinity'",
    "CONNECTION LIMIT -1",
    "NOSUPERUSER",
    "NOCREATEDB",
    "NOCREATEROLE",
    "INHERIT",
    r.login ? "LOGIN" : "NOLOGIN",
    r.bypassRowLevelSecurity ? "BYPASSRLS" : "NOBYPASSRLS",
    "NOREPLICATION",
  ];
  await c.query("BEGIN");
  await c.query(`CREATE ROLE ${qi(r.name)} WITH ${opts.join(" ")}`);
  await c.query("COMMIT");
}

/** resourcePostgreSQLRoleReadImpl: the attributes compared with the inputs on refresh. */
export async function roleRead(
  c: Client,
  name: string,
): Promise<
  { name: string; login: boolean; bypassRowLevelSecurity: boolean; superuser: boolean; roles: string[]; passwordScheme: string } | undefined
> {
  const { rows } = await c.query(
    `SELECT ARRAY(
			SELECT pg_get_userbyid(roleid) FROM pg_catalog.pg_auth_members members WHERE member = pg_roles.oid
		)::text[] AS roles, rolname, rolcanlogin, rolsuper, rolbypassrls FROM pg_catalog.pg_roles WHERE rolname=$1`,
    [name],
  );
  if (!rows.length) return undefined;
  // (::text[] only so node-postgres parses the name[] that lib/pq scans as a byte array.)
  // readRolePassword: as a superuser the plugin reads pg_shadow; a SCRAM hash reads back as the state's password.
  const {
    rows: [s],
  } = await c.query("SELECT COALESCE(passwd, '') AS p FROM pg_catalog.pg_shadow AS s WHERE s.usename = $1", [name]);
  const r = rows[0];
  return {
    name: r.rolname,
    login: r.rolcanlogin,
    bypassRowLevelSecurity: r.rolbypassrls,
    superuser: r.rolsuper,
    roles: r.roles,
    passwordScheme: String(s?.p ?? "").split("$")[0],
  };
}

/** resourcePostgreSQLRoleDelete: REASSIGN OWNED BY … TO <connected user>; DROP OWNED BY …; DROP ROLE (one txn). */
export async function roleDelete(c: Client, name: string): Promise<void> {
  await inTransaction(c, async () => {
    await lockRole(c, name);
    await c.query(`REASSIGN OWNED BY ${qi(name)} TO CURRENT_USER`);
    await c.query(`DROP OWNED BY ${qi(name)}`);
    await c.query(`DROP ROLE ${qi(name)}`);
  });
}

// ---- postgresql_database (resource_postgresql_database.go) ------------------------------------------------

/** createDatabase (PostgreSQL >= 9.5 branches: ALLOW_CONNECTIONS, IS_TEMPLATE; defaults connection_limit -1). */
export async function databaseCreate(c: Client, d: DatabaseInputs): Promise<void> {
  await c.query(
    `CREATE DATABASE ${qi(d.name)} OWNER ${qi(d.owner!)} TEMPLATE ${qi(d.template ?? "template0")} ENCODING '${(d.encoding ?? "UTF8").replace(/'/g, "''")}'  ALLOW_CONNECTIONS true CONNECTION LIMIT -1 IS_TEMPLATE false`,
  );
}

/** resourcePostgreSQLDatabaseReadImpl. */
export async function databaseRead(
  c: Client,
  name: string,
): Promise<
  { name: string; owner: string; encoding: string; allowConnections: boolean; isTemplate: boolean; connectionLimit: number } | undefined
> {
  const { rows } = await c.query("SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba) AS owner from pg_database d WHERE datname=$1", [
    name,
  ]);
  if (!rows.length) return undefined;
  const {
    rows: [r],
  } = await c.query(
    `SELECT pg_catalog.pg_encoding_to_char(d.encoding) AS encoding, d.datconnlimit, d.datallowconn, d.datistemplate
    FROM pg_catalog.pg_database AS d, pg_catalog.pg_tablespace AS ts WHERE d.datname = $1 AND d.dattablespace = ts.oid`,
    [name],
  );
  return {
    name: rows[0].datname,
    owner: rows[0].owner,
    encoding: r.encoding,
    allowConnections: r.datallowconn,
    isTemplate: r.datistemplate,
    connectionLimit: r.datconnlimit,
  };
}

/**
 * resourcePostgreSQLDatabaseDelete → terminateBConnections + DROP: ALTER DATABASE … ALLOW_CONNECTIONS false,
 * pg_terminate_backend of every session on it, then DROP DATABASE … WITH ( FORCE ) (featureForceDropDatabase, PG >= 13).
 */
export async function databaseDelete(c: Client, name: string): Promise<void> {
  await c.query(`ALTER DATABASE ${qi(name)} IS_TEMPLATE false`);
  await c.query(`ALTER DATABASE ${qi(name)} ALLOW_CONNECTIONS false`);
  await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]);
  await c.query(`DROP DATABASE ${qi(name)} WITH ( FORCE )`);
}

// ---- postgresql_schema (resource_postgresql_schema.go) ----------------------------------------------------

/** createSchema: CREATE SCHEMA … AUTHORIZATION … unless it exists (then the owner is set). `c` on s.database. */
export async function schemaCreate(c: Client, s: SchemaInputs): Promise<void> {
  const { rows } = await c.query("SELECT TRUE FROM pg_catalog.pg_namespace WHERE nspname = $1", [s.name]);
  if (rows.length) await c.query(`ALTER SCHEMA ${qi(s.name)} OWNER TO ${qi(s.owner!)}`);
  else await c.query(`CREATE SCHEMA ${qi(s.name)} AUTHORIZATION ${qi(s.owner!)}`);
}

/** resourcePostgreSQLSchemaReadImpl. */
export async function schemaRead(c: Client, name: string): Promise<{ name: string; owner: string } | undefined> {
  const { rows } = await c.query(
    "SELECT pg_catalog.pg_get_userbyid(n.nspowner) AS owner, COALESCE(n.nspacl, '{}'::aclitem[])::TEXT[] AS acl FROM pg_catalog.pg_namespace n WHERE n.nspname=$1",
    [name],
  );
  return rows.length ? { name, owner: rows[0].owner } : undefined;
}

/** resourcePostgreSQLSchemaDelete (drop_cascade false → RESTRICT). */
export async function schemaDelete(c: Client, name: string): Promise<void> {
  await c.query(`DROP SCHEMA ${qi(name)} RESTRICT`);
}

/**
 * config.go Config.connStr + connParams: the URL lib/pq gets. Parameters as the plugin sets them for a
 * plain `postgres` scheme: sslmode, connect_timeout, sslrootcert (a file path), fallback_application_name.
 */
export function pluginConnStr(p: {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
  sslmode: string;
  sslrootcert?: string;
  connectTimeout?: number;
}): string {
  const params: Record<string, string> = {
    sslmode: p.sslmode,
    connect_timeout: String(p.connectTimeout ?? 180),
    fallback_application_name: "terraform-provider-postgresql",
    ...(p.sslrootcert ? { sslrootcert: p.sslrootcert } : {}),
  };
  const q = Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join("&");
  return `postgres://${encodeURIComponent(p.username)}:${encodeURIComponent(p.password)}@${p.host}:${p.port}/${p.database}?${q}`;
}

// ---- The non-superuser branches (provider `superuser: false`, the external target) -----------------------

/** resourcePostgreSQLGrantRoleCreate: one transaction, revokeRole then grantRole (WITH ADMIN OPTION when asked). */
export async function grantRoleCreate(c: Client, g: { role: string; grantRole: string; withAdminOption?: boolean }): Promise<void> {
  await inTransaction(c, async () => {
    await c.query(`REVOKE ${qi(g.grantRole)} FROM ${qi(g.role)}`);
    await c.query(`GRANT ${qi(g.grantRole)} TO ${qi(g.role)}${g.withAdminOption ? " WITH ADMIN OPTION" : ""}`);
  });
}

/** readGrantRole (getGrantRoleQuery): the membership and its admin option, or undefined. */
export async function grantRoleRead(c: Client, g: { role: string; grantRole: string }): Promise<{ withAdminOption: boolean } | undefined> {
  const { rows } = await c.query(
    `SELECT pg_get_userbyid(member) AS role, pg_get_userbyid(roleid) AS grant_role, admin_option FROM pg_auth_members
     WHERE pg_get_userbyid(member) = $1 AND pg_get_userbyid(roleid) = $2`,
    [g.role, g.grantRole],
  );
  return rows.length ? { withAdminOption: rows[0].admin_option } : undefined;
}

/** resourcePostgreSQLGrantRoleDelete. */
export async function grantRoleDelete(c: Client, g: { role: string; grantRole: string }): Promise<void> {
  await c.query(`REVOKE ${qi(g.grantRole)} FROM ${qi(g.role)}`);
}

/** helpers.go grantRoleMembership / revokeRoleMembership around `fn` (withRolesGranted for a non-superuser). */
export async function withRoleGranted<T>(c: Client, role: string, fn: () => Promise<T>): Promise<T> {
  const {
    rows: [{ member }],
  } = await c.query("SELECT pg_has_role(current_user, $1, 'MEMBER') AS member", [role]);
  if (!member) await c.query(`GRANT ${qi(role)} TO CURRENT_USER`);
  try {
    return await fn();
  } finally {
    if (!member) await c.query(`REVOKE ${qi(role)} FROM CURRENT_USER`);
  }
}

/** resourcePostgreSQLRoleDelete as a non-superuser: REASSIGN/DROP OWNED inside withRolesGranted, then DROP ROLE. */
export async function roleDeleteNonSuperuser(c: Client, name: string): Promise<void> {
  await inTransaction(c, async () => {
    await lockRole(c, name);
    await withRoleGranted(c, name, async () => {
      await c.query(`REASSIGN OWNED BY ${qi(name)} TO CURRENT_USER`);
      await c.query(`DROP OWNED BY ${qi(name)}`);
    });
    await c.query(`DROP ROLE ${qi(name)}`);
  });
}

/** resourcePostgreSQLDatabaseDelete as a non-superuser (is_template false): owner granted if needed, then the drop. */
export async function databaseDeleteNonSuperuser(c: Client, name: string, owner: string): Promise<void> {
  await withRoleGranted(c, owner, async () => {
    await c.query(`ALTER DATABASE ${qi(name)} ALLOW_CONNECTIONS false`);
    await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]);
    await c.query(`DROP DATABASE ${qi(name)} WITH ( FORCE )`);
  });
}
